/**
 * @fileoverview Symbolic execution of one loop-free program into terms: instructions in slot
 * order (a topological order when every jump goes forward), block states merged with
 * if-then-else on path conditions, memory and maps as guarded logs, exits and helper effects
 * collected with their path conditions.
 */
import type { Decoded, Program } from '../isa/decode'
import { jumpTarget } from '../isa/jump'
import { llvmText } from '../isa/disasm-llvm'
import { assertNever } from '../util/result'
import type { BoolTerm, BvTerm } from './term'
import { aluResult, endResult, immOperand, jumpCondition, low32 } from './enc-alu'
import { callHelper } from './enc-helpers'
import { atomicOp, initialByte, ldPacket, loadFrom, storeTo } from './enc-access'
import { SymMemory } from './enc-memory'
import { SymMaps } from './enc-maps'
import { initialRings } from './enc-ringbuf'
import {
  forgetSpills,
  initialBounds,
  MAX_UNROLL,
  privateVar,
  type ExecContext,
  type FlowState,
  type ProgramEncoding
} from './enc-context'
import type { EncodeModel, Ptr, SharedLayout, SymVal } from './enc-state'
import { Unsupported } from './enc-state'
import { liveness } from './liveness'
import { add, and, bv, bvVar, FALSE, ite, not, or, sub, TRUE } from './terms'

function mergeVals(ins: readonly { pc: BoolTerm; val: SymVal }[]): SymVal {
  const last = ins[ins.length - 1] as { pc: BoolTerm; val: SymVal }
  let v = last.val.v
  let ptr = last.val.ptr
  for (let i = ins.length - 2; i >= 0; i--) {
    const x = ins[i] as { pc: BoolTerm; val: SymVal }
    v = ite(x.pc, x.val.v, v)
    const p = x.val.ptr
    if (ptr === undefined || p === undefined || p.rid !== ptr.rid) ptr = undefined
    else {
      const key =
        p.key !== undefined && ptr.key !== undefined ? ite(x.pc, p.key, ptr.key) : undefined
      ptr = { rid: p.rid, off: ite(x.pc, p.off, ptr.off), ...(key ? { key } : {}) }
    }
  }
  return ptr === undefined ? { v } : { v, ptr }
}

/** The spill slots every state in `ins` holds a pointer of one region in, merged like registers. */
function mergeSpills(ins: readonly FlowState[]): ReadonlyMap<string, Ptr> {
  const first = ins[0] as FlowState
  const out = new Map<string, Ptr>()
  for (const [key, ptr] of first.spills) {
    const all = ins.map((s) => s.spills.get(key))
    if (all.some((p) => p === undefined || p.rid !== ptr.rid)) continue
    const merged = mergeVals(
      ins.map((s, i) => ({ pc: s.pc, val: { v: bv(0, 64), ptr: all[i] as Ptr } }))
    ).ptr
    if (merged !== undefined) out.set(key, merged)
  }
  return out
}

/** Joins the states reaching one instruction. */
export function merge(ins: readonly FlowState[]): FlowState {
  if (ins.length === 1) return ins[0] as FlowState
  const regs: SymVal[] = []
  for (let r = 0; r < 11; r++)
    regs.push(mergeVals(ins.map((s) => ({ pc: s.pc, val: s.regs[r] as SymVal }))))
  const counter = (get: (s: FlowState) => BvTerm): BvTerm => {
    let out = get(ins[ins.length - 1] as FlowState)
    for (let i = ins.length - 2; i >= 0; i--)
      out = ite((ins[i] as FlowState).pc, get(ins[i] as FlowState), out)
    return out
  }
  return {
    pc: or(...ins.map((s) => s.pc)),
    regs,
    pkt: {
      meta: counter((s) => s.pkt.meta),
      data: counter((s) => s.pkt.data),
      end: counter((s) => s.pkt.end)
    },
    rings: (ins[0] as FlowState).rings.map((_, i) => counter((s) => s.rings[i] as BvTerm)),
    nrand: counter((s) => s.nrand),
    ntime: counter((s) => s.ntime),
    ncall: counter((s) => s.ncall),
    nperf: counter((s) => s.nperf),
    depth: (ins[0] as FlowState).depth,
    spills: mergeSpills(ins)
  }
}

/** The initial registers: r1 per context kind, r10 the stack frame top, others private. */
function entryState(cx: ExecContext): FlowState {
  const regs: SymVal[] = []
  for (let r = 0; r < 11; r++) regs.push({ v: privateVar(cx, `uninit_r${r}`) })
  const k = cx.model.ctx
  if (k === 'scalar') regs[1] = { v: bvVar('in_r1', 64) }
  else regs[1] = { v: cx.layout.base('ctx'), ptr: { rid: 'ctx', off: bv(0, 64) } }
  if (k === 'plain') regs[2] = { v: bv(cx.model.ctxSize, 64) }
  regs[10] = { v: cx.layout.base('stack0'), ptr: { rid: 'stack0', off: bv(0, 64) } }
  const pkt = initialBounds(cx.layout)
  const rings = initialRings(cx.model)
  return {
    pc: TRUE,
    regs,
    pkt,
    rings,
    nrand: bv(0, 8),
    ntime: bv(0, 8),
    ncall: bv(0, 16),
    nperf: bv(0, 8),
    depth: 0,
    spills: new Map()
  }
}

/** How many separately followed states may reach one instruction before they are merged. */
const MAX_SPLIT = 4

/**
 * Joins the states reaching instruction `slot`. States whose live registers point into the same
 * regions merge into one; states that differ there (a register holding a pointer into one map on
 * one path and into another map, or a number, on another) are followed separately, so that loads
 * and stores through that register keep knowing where they go. Past {@link MAX_SPLIT} groups,
 * everything merges (such registers then lose their provenance).
 */
function join(cx: ExecContext, slot: number, states: readonly FlowState[]): FlowState[] {
  if (states.length <= 1) return [...states]
  const live = liveInAt(cx, slot)
  const groups = new Map<string, FlowState[]>()
  for (const st of states) {
    let key = ''
    for (let r = 0; r <= 10; r++)
      if ((live & (1 << r)) !== 0) key += `${(st.regs[r] as SymVal).ptr?.rid ?? '-'},`
    for (const [slot, p] of st.spills) key += `${slot}=${p.rid},`
    const g = groups.get(key)
    if (g === undefined) groups.set(key, [st])
    else g.push(st)
  }
  if (groups.size === 1 || groups.size > MAX_SPLIT) return [merge(states)]
  return [...groups.values()].map(merge)
}

/** Registers live before the instruction at `slot` of the whole program (all when unknown). */
function liveInAt(cx: ExecContext, slot: number): number {
  if (cx.liveIn === undefined) {
    const insns = cx.program ?? []
    const { liveIn } = liveness({ insns: [...insns], slotCount: 0 })
    cx.liveIn = new Map(insns.map((d, k) => [d.index, liveIn[k] as number]))
  }
  return cx.liveIn.get(slot) ?? 0x7ff
}

/** Pointer arithmetic and ALU for one instruction. */
function alu(d: Decoded, regs: SymVal[]): void {
  const s = d.spec
  if (s.kind === 'end') {
    regs[d.insn.dst] = { v: endResult(s, (regs[d.insn.dst] as SymVal).v, d.insn.imm) }
    return
  }
  if (s.kind !== 'alu') return
  const dst = regs[d.insn.dst] as SymVal
  const srcVal: SymVal =
    s.source === 'reg' ? (regs[d.insn.src] as SymVal) : { v: immOperand(d.insn.imm) }
  const v = aluResult(s, dst.v, srcVal.v)
  if (s.is64 && s.op === 'mov' && srcVal.ptr) regs[d.insn.dst] = srcVal
  else if (s.is64 && s.op === 'add' && dst.ptr && !srcVal.ptr)
    regs[d.insn.dst] = { v, ptr: { ...dst.ptr, off: add(dst.ptr.off, srcVal.v) } }
  else if (s.is64 && s.op === 'add' && srcVal.ptr && !dst.ptr)
    regs[d.insn.dst] = { v, ptr: { ...srcVal.ptr, off: add(srcVal.ptr.off, dst.v) } }
  else if (s.is64 && s.op === 'sub' && dst.ptr && !srcVal.ptr)
    regs[d.insn.dst] = { v, ptr: { ...dst.ptr, off: sub(dst.ptr.off, srcVal.v) } }
  else if (s.is64 && s.op === 'sub' && dst.ptr && srcVal.ptr && dst.ptr.rid === srcVal.ptr.rid)
    regs[d.insn.dst] = { v: sub(dst.ptr.off, srcVal.ptr.off) }
  else regs[d.insn.dst] = { v }
}

/** The branch condition of a conditional jump; packet pointers compare by offset. */
function branchCondition(d: Decoded, regs: readonly SymVal[]): BoolTerm {
  const s = d.spec
  if (s.kind !== 'jmp') throw new Unsupported('not a conditional jump')
  const a = regs[d.insn.dst] as SymVal
  const b: SymVal =
    s.source === 'reg' ? (regs[d.insn.src] as SymVal) : { v: immOperand(d.insn.imm) }
  let x = a.v
  let y = b.v
  if (a.ptr && b.ptr && a.ptr.rid === b.ptr.rid && a.ptr.rid === 'pkt') {
    x = a.ptr.off
    y = b.ptr.off
  }
  return s.is32 ? jumpCondition(s.cond, low32(x), low32(y)) : jumpCondition(s.cond, x, y)
}

/** A fresh execution context for one program over `layout`. */
export function newContext(model: EncodeModel, layout: SharedLayout, tag: string): ExecContext {
  const mem = new SymMemory((rid, place) => initialByte(model, layout, rid, place))
  return {
    model,
    layout,
    mem,
    maps: new SymMaps(model.maps, layout.inputs, mem),
    exits: [],
    effects: [],
    calls: [],
    reservations: [],
    tag,
    fresh: 0,
    returns: [],
    unroll: 0,
    beyond: [],
    lenient: false
  }
}

/** A copy of `cx` (memory and maps forked) whose later effects are its own, tagged `tag`. */
export function forkContext(cx: ExecContext, tag: string): ExecContext {
  const mem = cx.mem.clone()
  return {
    ...cx,
    mem,
    maps: cx.maps.clone(mem),
    exits: [...cx.exits],
    effects: [...cx.effects],
    calls: [...cx.calls],
    reservations: [...cx.reservations],
    tag
  }
}

/**
 * Runs `insns` (in slot order, forward jumps only) from the entry state (or `start`). With
 * `stopAt`, stops before the instruction at that slot and returns the state reaching it
 * (undefined when no path reaches it), putting states that jump past it into `beyond` by
 * target; without, runs to the end and returns undefined.
 */
export function runInstructions(
  cx: ExecContext,
  insns: readonly Decoded[],
  stopAt?: number,
  start?: FlowState,
  beyond?: Map<number, FlowState[]>,
  body: readonly Decoded[] = insns
): FlowState | undefined {
  cx.program ??= insns
  const pending = new Map<number, FlowState[]>()
  let at = -1
  const push = (slot: number, st: FlowState): void => {
    if (st.pc === FALSE) return
    if (slot <= at) {
      backEdge(cx, body, slot, st, stopAt)
      return
    }
    const list = pending.get(slot)
    if (list === undefined) pending.set(slot, [st])
    else list.push(st)
  }
  let cur: FlowState[] = [start ?? entryState(cx)]
  for (const d of insns) {
    at = d.index
    const incoming = pending.get(d.index) ?? []
    pending.delete(d.index)
    incoming.push(...cur)
    if (d.index === stopAt) {
      // States already jumping past the stop, by target (for windows left by a jump).
      if (beyond !== undefined) for (const [slot, list] of pending) beyond.set(slot, list)
      return incoming.length === 0 ? undefined : merge(incoming)
    }
    cur = []
    for (const st of join(cx, d.index, incoming)) {
      const next = cx.lenient ? stepOrStop(cx, d, st, push) : step(cx, d, st, push)
      if (next !== undefined) cur.push(next)
    }
  }
  if (stopAt !== undefined) throw new Unsupported(`no instruction at slot ${stopAt}`)
  if (cur.length > 0 || pending.size > 0)
    throw new Unsupported('control falls off the end of the program')
  return undefined
}

/**
 * A taken back edge (a loop, or a jump to a block the compiler placed earlier): the path is
 * unrolled by running the function body again from the jump target with this state. Paths that take more than
 * {@link MAX_UNROLL} back edges are recorded as beyond the encoding instead, so that no answer that
 * depends on them is given.
 */
function backEdge(
  cx: ExecContext,
  body: readonly Decoded[],
  slot: number,
  st: FlowState,
  stopAt: number | undefined
): void {
  if (stopAt !== undefined) throw new Unsupported('a loop before or inside the window')
  if (cx.unroll >= MAX_UNROLL) {
    cx.beyond.push({ cond: st.pc, reason: `a loop may run more than ${MAX_UNROLL} iterations` })
    return
  }
  const from = body.findIndex((x) => x.index === slot)
  if (from < 0) throw new Unsupported(`back edge to slot ${slot} outside the function`)
  cx.unroll++
  try {
    runInstructions(cx, body.slice(from), undefined, st, undefined, body)
  } finally {
    cx.unroll--
  }
}

/** Encodes `program` (throws {@link Unsupported} for constructs outside the model). */
export function encodeExecution(
  program: Program,
  model: EncodeModel,
  layout: SharedLayout,
  tag: string
): ProgramEncoding {
  const cx = newContext(model, layout, tag)
  cx.lenient = true
  runInstructions(cx, program.insns)
  return {
    beyond: cx.beyond,
    exits: cx.exits,
    effects: cx.effects,
    calls: cx.calls,
    mem: cx.mem,
    maps: cx.maps
  }
}

/**
 * {@link step}, except that a construct outside the model ends the path: its condition is
 * recorded in `beyond` with the reason (an input that reaches it gets no answer) and the other
 * paths go on. Writes and effects the instruction recorded before giving up are guarded by the
 * same path condition, so they matter only for inputs that already get no answer.
 */
function stepOrStop(
  cx: ExecContext,
  d: Decoded,
  st: FlowState,
  push: (slot: number, st: FlowState) => void
): FlowState | undefined {
  try {
    return step(cx, d, st, push)
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e
    cx.beyond.push({ cond: st.pc, reason: `slot ${d.index} (${llvmText(d)}): ${e.message}` })
    return undefined
  }
}

/** Executes one instruction; returns the fall-through state (undefined when control leaves). */
function step(
  cx: ExecContext,
  d: Decoded,
  st: FlowState,
  push: (slot: number, st: FlowState) => void
): FlowState | undefined {
  const s = d.spec
  const regs = [...st.regs]
  switch (s.kind) {
    case 'alu':
    case 'end':
      alu(d, regs)
      return { ...st, regs }
    case 'lddw':
      regs[d.insn.dst] = lddwValue(cx, d)
      return { ...st, regs }
    case 'ldx':
      regs[d.insn.dst] = loadFrom(cx, st, regs[d.insn.src] as SymVal, d.insn.off, s.bytes, s.signed)
      return { ...st, regs }
    case 'st':
    case 'stx': {
      const val: SymVal =
        s.kind === 'st' ? { v: immOperand(d.insn.imm) } : (regs[d.insn.src] as SymVal)
      const spills = storeTo(cx, st, regs[d.insn.dst] as SymVal, d.insn.off, s.bytes, val)
      return { ...st, regs, spills }
    }
    case 'atomic': {
      const spills = atomicOp(cx, st, regs, d, s)
      return { ...st, regs, spills }
    }
    case 'ldabs':
    case 'ldind':
      return ldPacket(cx, st, regs, d, s)
    case 'ja': {
      push(jumpTarget(d) as number, { ...st, regs })
      return undefined
    }
    case 'jmp': {
      const c = branchCondition(d, regs)
      const target = jumpTarget(d) as number
      push(target, { ...st, pc: and(st.pc, c), regs })
      return { ...st, pc: and(st.pc, not(c)), regs }
    }
    case 'call':
      if (s.target === 'local') return callLocal(cx, d, { ...st, regs })
      if (s.target !== 'helper') throw new Unsupported(`${s.target} calls are not modelled`)
      return helperCall(cx, st, regs, d.insn.imm)
    case 'exit':
      if (st.depth > 0) cx.returns[cx.returns.length - 1]?.push({ ...st, regs })
      else
        cx.exits.push({
          cond: st.pc,
          via: 'exit',
          r0: (regs[0] as SymVal).v,
          pkt: st.pkt,
          rings: st.rings
        })
      return undefined
    default:
      return assertNever(s)
  }
}

/** A helper call; spilled pointers whose bytes the helper wrote are forgotten. */
function helperCall(
  cx: ExecContext,
  st: FlowState,
  regs: SymVal[],
  id: number
): FlowState | undefined {
  const mark = cx.mem.mark()
  const next = callHelper(cx, st, regs, id)
  if (next === undefined || next.spills.size === 0) return next
  let spills = next.spills
  for (const rid of cx.mem.regions()) {
    if (!rid.startsWith('stack')) continue
    for (const place of cx.mem.placesSince(mark, rid))
      spills = forgetSpills(spills, rid, place[place.length - 1] as BvTerm, 1)
  }
  return { ...next, spills }
}

/** Largest bpf-to-bpf call depth the prover inlines (the kernel allows 8 frames). */
const MAX_CALL_DEPTH = 8

/**
 * A bpf-to-bpf call, inlined: the callee (from its first slot to the next function's) runs from
 * the caller's state with a fresh stack frame; its returns are merged; r6-r9 and r10 are the
 * caller's again afterwards and r1-r5 are clobbered, as the kernel's calling convention says.
 */
function callLocal(cx: ExecContext, d: Decoded, st: FlowState): FlowState | undefined {
  const all = cx.program ?? []
  const target = jumpTarget(d) as number
  // A callee may sit before its caller (libbpf appends subprograms in the order it finds them);
  // recursion, which the kernel refuses, ends at the depth limit as unsupported.
  if (st.depth + 1 >= MAX_CALL_DEPTH)
    throw new Unsupported('call depth exceeds the kernel limit (or the call is recursive)')
  const starts = new Set<number>()
  for (const x of all)
    if (x.spec.kind === 'call' && x.spec.target === 'local') starts.add(jumpTarget(x) as number)
  const from = all.findIndex((x) => x.index === target)
  if (from < 0) throw new Unsupported(`call target ${target} is not an instruction`)
  let to = from + 1
  while (to < all.length && !starts.has((all[to] as Decoded).index)) to++
  const frame = `stack${st.depth + 1}`
  const regs = [...st.regs]
  regs[10] = { v: cx.layout.base(frame), ptr: { rid: frame, off: bv(0, 64) } }
  // The callee's frame is new: nothing spilled there by an earlier call is known to be there.
  const spills = forgetSpills(st.spills, frame, bvVar('any_offset', 64), 8)
  cx.returns.push([])
  runInstructions(cx, all.slice(from, to), undefined, {
    ...st,
    regs,
    spills,
    depth: st.depth + 1
  })
  const back = cx.returns.pop() ?? []
  if (back.length === 0) return undefined
  const joined = merge(back)
  const out = [...joined.regs]
  for (let r = 1; r <= 5; r++) out[r] = { v: privateVar(cx, `clobber_r${r}`) }
  for (let r = 6; r <= 10; r++) out[r] = st.regs[r] as SymVal
  return { ...joined, regs: out, depth: st.depth }
}

/** The value an lddw loads: a constant, a map handle, or a pointer into a map's value. */
function lddwValue(cx: ExecContext, d: Decoded): SymVal {
  const s = d.spec
  if (s.kind !== 'lddw') throw new Unsupported('not an lddw')
  const imm64 = d.imm64 ?? 0n
  if (s.pseudo === 'imm64') return { v: bv(imm64, 64) }
  const index = mapIndex(cx, s.pseudo === 'map_idx' || s.pseudo === 'map_idx_value', d.insn.imm)
  if (s.pseudo === 'map_fd' || s.pseudo === 'map_idx')
    return {
      v: add(cx.layout.base(`mapref${index}`), bv(0, 64)),
      ptr: { rid: `mapref${index}`, off: bv(0, 64) }
    }
  if (s.pseudo === 'map_value' || s.pseudo === 'map_idx_value') {
    const off = bv(BigInt(d.next?.imm ?? 0), 64)
    return {
      v: add(cx.layout.base(`map${index}`), off),
      ptr: { rid: `map${index}`, off, key: bv(0, 32) }
    }
  }
  throw new Unsupported(`ld_imm64 with source ${s.pseudo} is not modelled`)
}

/** The map index an lddw immediate names (by fd when the maps have fds, else by position). */
function mapIndex(cx: ExecContext, byIndex: boolean, imm: number): number {
  const maps = cx.model.maps
  const byFd = !byIndex && maps.some((m) => m.fd !== undefined)
  const index = byFd ? maps.findIndex((m) => m.fd === imm) : imm
  if (index < 0 || index >= maps.length) throw new Unsupported(`ld_imm64 names unknown map ${imm}`)
  return index
}
