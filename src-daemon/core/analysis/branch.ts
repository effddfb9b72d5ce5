/** @fileoverview Conditional jumps: which edges are feasible and what each edge teaches (ranges, null checks, packet bounds). */
import type { Decoded } from '../isa/decode'
import type { JmpSpec } from '../isa/opcodes'
import { readReg } from './alu'
import { constReg, isPointer } from './reg'
import { branchTaken, negate, refine, type Cond } from './scalar-cmp'
import { cloneState, mapAllRegs, top, type State } from './state'
import { NON_NULL, T, type Reg } from './types'

const MAX_VAR_OFF = 1n << 29n

/** The states on the jump-taken edge and the fall-through edge (undefined: edge is dead). */
export interface Edges {
  readonly taken: State | undefined
  readonly fall: State | undefined
}

/** Replaces every scalar sharing `r.id` (copies made by mov) with the refined value. */
function propagateScalar(st: State, regno: number, r: Reg): void {
  top(st).regs[regno] = r
  if (r.id === 0) return
  mapAllRegs(st, (x) => (x.type === T.SCALAR && x.id === r.id ? { ...r } : x))
}

/** Marks every copy of a nullable pointer with `id` as null (scalar 0) or non-null. */
function markNull(st: State, id: number, isNull: boolean): void {
  let ref = 0
  mapAllRegs(st, (x) => {
    if (!nullable(x) || x.id !== id) return x
    if (isNull) {
      // Only the acquired pointer itself (not a cast of it) gives its reference back when null.
      if (x.ref !== 0 && x.ref === x.id) ref = x.ref
      return constReg(0n)
    }
    return liftNull(x)
  })
  if (ref !== 0) st.refs = st.refs.filter((r) => r.id !== ref)
}

/** Records that `pkt` (and every packet pointer with its id) has `off` readable bytes. */
function goodPktPointers(st: State, pkt: Reg, rightOpen: boolean): void {
  if (pkt.off < 0 || (pkt.off === 0 && rightOpen)) return
  if (pkt.umax > 0xffffn || pkt.umax + BigInt(pkt.off) > 0xffffn) return
  const range = pkt.off + (rightOpen ? 1 : 0)
  mapAllRegs(st, (x) =>
    x.type === pkt.type && x.id === pkt.id && x.range < range ? { ...x, range } : x
  )
}

/**
 * The kernel's packet-pointer comparisons: `pkt' > pkt_end` and its mirrored forms teach the
 * fall-through or taken edge that bytes up to pkt' are in the packet. Returns false when the
 * operands are not such a pair.
 */
function isData(x: Reg, y: Reg): boolean {
  return (
    (x.type === T.PKT && y.type === T.PKT_END) ||
    (x.type === T.PKT_META && y.type === T.PKT && y.off === 0 && y.tm === 0n && y.umax === 0n)
  )
}

function nullable(x: Reg): boolean {
  return NON_NULL.has(x.type)
}

function zero(x: Reg): boolean {
  return x.type === T.SCALAR && x.tm === 0n && x.tv === 0n
}

/** Kinds the kernel knows cannot be null (reg_not_null; BTF pointers are left out: only trusted ones qualify). */
const NEVER_NULL: ReadonlySet<T> = new Set([
  T.MAP_VALUE,
  T.MEM,
  T.MAP_PTR,
  T.SOCKET,
  T.SOCK_COMMON,
  T.TCP_SOCK,
  T.XDP_SOCK
])

/** The kernel's reg_not_null: a never-null kind with a bounded variable offset. */
function notNull(x: Reg): boolean {
  return NEVER_NULL.has(x.type) && x.smin > -MAX_VAR_OFF && x.smax < MAX_VAR_OFF
}

/** Marks one register (not its copies) as not null, as the kernel's mark_ptr_not_null_reg does. */
function markNotNull(st: State, regno: number): void {
  const regs = top(st).regs
  regs[regno] = liftNull(regs[regno] as Reg)
}

/** A nullable pointer known not to be null. */
function liftNull(x: Reg): Reg {
  return { ...x, type: NON_NULL.get(x.type) ?? x.type, id: 0 }
}

/** The kernel's marks for a packet pointer known to be at (-1) or beyond (-2) the packet end. */
const AT_PKT_END = -1
const BEYOND_PKT_END = -2

/** Marks register `regno` (itself only) as at or beyond the packet end (mark_pkt_end). */
function markPktEnd(st: State, regno: number, beyond: boolean): void {
  const regs = top(st).regs
  const r = regs[regno] as Reg
  if (r.type !== T.PKT) return
  regs[regno] = { ...r, range: beyond ? BEYOND_PKT_END : AT_PKT_END }
}

/**
 * The kernel's packet-pointer comparisons (try_match_pkt_pointers): `pkt' > pkt_end` and its
 * mirrored forms teach one edge that bytes up to pkt' are in the packet, and the other edge that
 * pkt' is at or beyond the end. Returns false when the operands are not such a pair.
 */
function pktCompare(c: Cond, d: Decoded, a: Reg, b: Reg, taken: State, fall: State): boolean {
  const dst = d.insn.dst
  const src = d.insn.src
  if (isData(a, b)) {
    // dst = pkt', src = end (or pkt_meta' and pkt)
    if (c === 'jgt') {
      goodPktPointers(fall, a, false)
      markPktEnd(taken, dst, true)
    } else if (c === 'jge') {
      goodPktPointers(fall, a, true)
      markPktEnd(taken, dst, false)
    } else if (c === 'jlt') {
      goodPktPointers(taken, a, true)
      markPktEnd(fall, dst, false)
    } else if (c === 'jle') {
      goodPktPointers(taken, a, false)
      markPktEnd(fall, dst, true)
    } else return false
    return true
  }
  if (isData(b, a)) {
    // dst = end, src = pkt'
    if (c === 'jgt') {
      goodPktPointers(taken, b, true)
      markPktEnd(fall, src, false)
    } else if (c === 'jlt') {
      goodPktPointers(fall, b, false)
      markPktEnd(taken, src, true)
    } else if (c === 'jge') {
      goodPktPointers(taken, b, false)
      markPktEnd(fall, src, true)
    } else if (c === 'jle') {
      goodPktPointers(fall, b, true)
      markPktEnd(taken, src, false)
    } else return false
    return true
  }
  return false
}

/** is_pkt_ptr_branch_taken: a pointer marked at or beyond the end decides some comparisons. */
function pktBranchTaken(c: Cond, a: Reg, b: Reg): boolean | undefined {
  let pkt: Reg
  let op = c
  if (b.type === T.PKT_END && a.type === T.PKT) pkt = a
  else if (a.type === T.PKT_END && b.type === T.PKT) {
    pkt = b
    op = c === 'jgt' ? 'jlt' : c === 'jlt' ? 'jgt' : c === 'jge' ? 'jle' : c === 'jle' ? 'jge' : c
  } else return undefined
  if (pkt.range >= 0) return undefined
  if ((op === 'jle' || op === 'jgt') && pkt.range === BEYOND_PKT_END) return op === 'jgt'
  if (op === 'jlt' || op === 'jge') return op === 'jge'
  return undefined
}

/** Evaluates a conditional jump on a state (consumed): the feasible edges with refined states. */
export function condJump(st: State, d: Decoded): Edges {
  const s = d.spec as JmpSpec
  const a = readReg(st, d.insn.dst)
  const b: Reg = s.source === 'reg' ? readReg(st, d.insn.src) : constReg(BigInt(d.insn.imm))
  const c: Cond = s.cond
  if (a.type === T.SCALAR && b.type === T.SCALAR) {
    const t = branchTaken(c, a, b, s.is32)
    if (t === true) return { taken: st, fall: undefined }
    if (t === false) return { taken: undefined, fall: st }
    const taken = cloneState(st)
    const fall = st
    const rt = refine(c, a, b, s.is32)
    const rf = refine(negate(c), a, b, s.is32)
    if (rt !== undefined) {
      propagateScalar(taken, d.insn.dst, rt[0])
      if (s.source === 'reg') propagateScalar(taken, d.insn.src, rt[1])
    }
    if (rf !== undefined) {
      propagateScalar(fall, d.insn.dst, rf[0])
      if (s.source === 'reg') propagateScalar(fall, d.insn.src, rf[1])
    }
    return {
      taken: rt === undefined ? undefined : taken,
      fall: rf === undefined ? undefined : fall
    }
  }
  if (!s.is32 && (c === 'jeq' || c === 'jne')) {
    // Only `if rX ==/!= 0` (an immediate zero, the nullable pointer as destination) is a null
    // check; a register known to hold zero is not (kernel 6.12 to 6.18, check_cond_jmp_op).
    if (s.source === 'imm' && d.insn.imm === 0 && nullable(a)) {
      const taken = cloneState(st)
      markNull(taken, a.id, c === 'jeq')
      markNull(st, a.id, c !== 'jeq')
      return { taken, fall: st }
    }
    // A pointer that cannot be null compared with a known zero (immediate or register).
    if ((notNull(a) && zero(b)) || (notNull(b) && zero(a))) {
      return c === 'jeq' ? { taken: undefined, fall: st } : { taken: st, fall: undefined }
    }
    // Two pointers equal on one edge: a nullable one equal to a non-null one is not null there.
    if (s.source === 'reg' && isPointer(a) && isPointer(b)) {
      const taken = cloneState(st)
      const eq = c === 'jeq' ? taken : st
      if (notNull(a) && nullable(b)) markNotNull(eq, d.insn.src)
      if (notNull(b) && nullable(a)) markNotNull(eq, d.insn.dst)
      if (!s.is32) pktCompare(c, d, a, b, taken, st)
      return { taken, fall: st }
    }
  }
  if (!s.is32) {
    const t = pktBranchTaken(c, a, b)
    if (t === true) return { taken: st, fall: undefined }
    if (t === false) return { taken: undefined, fall: st }
  }
  const taken = cloneState(st)
  if (!s.is32 && s.source === 'reg') pktCompare(c, d, a, b, taken, st)
  return { taken, fall: st }
}
