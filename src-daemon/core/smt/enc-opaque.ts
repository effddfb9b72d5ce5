/**
 * @fileoverview Helpers outside the model (interp/helper-protos.ts) in the encoder. Such a call is
 * the environment's move: it is recorded as a call point (helper, argument values, bytes read, and
 * how many effects came before it), and its result and written bytes are the shared answer at the
 * call's position in the run (the n-th such call of either program reads answer n).
 *
 * Why this is sound: an equivalence claim is "for every input and every behaviour of the
 * environment, both programs give the same outputs". The query asks separately whether the two
 * programs can make different call sequences; only when they cannot (unsat) is an answer given.
 * When both make the same calls, in the same order, with the same arguments, the same bytes in
 * the memory the helper reads and at the same places among the effects, the environment sees the
 * same history from both, so any behaviour it has answers both the same way: giving call n of
 * both programs the same, otherwise unconstrained, answer n covers every such behaviour. This
 * needs every helper listed to depend on nothing the program can change besides what the call
 * records (its table entry says which memory it reads and writes; helpers that read the packet,
 * writable context fields or maps the program writes are not listed), and addresses a program
 * did not derive from its own pointers never to point into its own stack, maps, packet or context
 * (a `src` argument that is such a pointer is modelled exactly as a copy instead; one whose value
 * mixes in a pointer base is refused; a base that only chooses between values, as in a null
 * check, does not make the value a pointer).
 */
import type { BoolTerm, BvTerm } from './term'
import type { ExecContext, FlowState } from './enc-context'
import type { PacketView, SymVal } from './enc-state'
import { mixesOwnPointer, Unsupported } from './enc-state'
import { mapOf, memPtr, placeAt } from './enc-args'
import type { Answer } from './enc-inputs'
import type { OpaqueArg, OpaqueHelper } from '../interp/helper-protos'
import { OPAQUE_MAX_BYTES } from '../interp/helper-protos'
import { add, and, bv, concat, eq, ite, not, sgt, sle, slt, ult } from './terms'

/** The constant byte count in `v` (Unsupported otherwise). */
function constSize(v: SymVal, h: OpaqueHelper): number {
  const t = v.v
  if (t.op !== 'bvconst' || t.value > BigInt(OPAQUE_MAX_BYTES))
    throw new Unsupported(`${h.name}: the size must be a constant up to ${OPAQUE_MAX_BYTES}`)
  return Number(t.value)
}

/** `f(p)` at the symbolic position `index` (16 bits), for positions 0..bound-1. */
export function atPosition<T extends BvTerm | BoolTerm>(
  index: BvTerm,
  bound: number,
  f: (p: number) => T
): T {
  if (index.op === 'bvconst') return f(Number(index.value))
  let out = f(bound - 1)
  for (let p = bound - 2; p >= 0; p--) out = ite(eq(index, bv(p, 16)), f(p), out)
  return out
}

/** Bytes in address order as one little-endian bit-vector. */
function joinBytes(bytes: readonly BvTerm[]): BvTerm {
  let out = bytes[0] as BvTerm
  for (let i = 1; i < bytes.length; i++) out = concat(bytes[i] as BvTerm, out)
  return out
}

/** How many effects the program emitted before this point, on the path taken (16 bits). */
export function effectsBefore(cx: ExecContext): BvTerm {
  let n = bv(0, 16)
  for (const e of cx.effects) n = add(n, ite(e.cond, bv(1, 16), bv(0, 16)))
  return n
}

/** The result a raw answer gives (mirrors interp `answerResult`). */
function resultOf(h: OpaqueHelper, raw: BvTerm, size: number): BvTerm {
  const r = h.ret
  if (r === undefined) return raw
  const hi = r.hi === 'size' ? BigInt(size) : r.hi
  const fallback = bv(h.write === 'str' && size > 0 ? 1 : 0, 64)
  const inRange = and(
    sle(bv(BigInt.asUintN(64, r.lo), 64), raw),
    sle(raw, bv(BigInt.asUintN(64, hi), 64))
  )
  return ite(inRange, raw, fallback)
}

/**
 * The bytes a `str` write leaves in a buffer holding `old`: for r0 > 0 (at most the size, as the
 * helper's range says) a string of r0 bytes, `data` then a NUL, later bytes kept; zeros otherwise.
 */
function stringWrite(r0: BvTerm, data: readonly BvTerm[], old: readonly BvTerm[]): BvTerm[] {
  const ok = sgt(r0, bv(0, 64))
  return old.map((o, i) => {
    const inString = ult(bv(i + 1, 64), r0)
    const atNul = eq(r0, bv(i + 1, 64))
    return ite(ok, ite(inString, data[i] as BvTerm, ite(atNul, bv(0, 8), o)), bv(0, 8))
  })
}

/** Executes opaque helper `h`; returns r0 and the state after (ncall advanced). */
export function callOpaque(
  cx: ExecContext,
  st: FlowState,
  regs: readonly SymVal[],
  h: OpaqueHelper
): { r0: SymVal; next: FlowState } {
  const R = (i: number): SymVal => regs[i] as SymVal
  const args: BvTerm[] = []
  const reads: BvTerm[] = []
  let outIndex = -1
  let outSize = 0
  for (let i = 0; i < h.args.length; i++) {
    const a = h.args[i] as OpaqueArg
    const v = R(i + 1)
    switch (a.kind) {
      case 'value':
        args.push(v.v)
        break
      case 'ctx':
        break
      case 'map': {
        const map = mapOf(v, h.name)
        if (!a.types.includes(cx.maps.def(map).type))
          throw new Unsupported(`${h.name}: map ${map} has a type this helper does not take`)
        args.push(bv(map, 64))
        break
      }
      case 'size':
        args.push(bv(constSize(v, h), 64))
        break
      case 'in': {
        const n = constSize(R(a.size), h)
        const p = memPtr(v, h.name)
        if (n > 0) reads.push(cx.mem.read(p.rid, placeAt(p, 0), n))
        break
      }
      case 'inout':
      case 'out': {
        outIndex = i
        outSize = constSize(R(a.size), h)
        if (a.kind === 'inout' && outSize > 0) {
          const p = memPtr(v, h.name)
          reads.push(cx.mem.read(p.rid, placeAt(p, 0), outSize))
        }
        break
      }
      case 'src': {
        if (v.ptr !== undefined) return copyOwn(cx, st, regs, h, v, outIndex, outSize)
        if (mixesOwnPointer(v.v))
          throw new Unsupported(`${h.name}: the address is computed from a pointer of the program`)
        args.push(v.v)
        break
      }
    }
  }
  args.push(...reads, effectsBefore(cx))
  const { bound } = recordCall(cx, st, h.id, args)
  const answer = (f: (a: Answer) => BvTerm): BvTerm =>
    atPosition(st.ncall, bound, (p) => f(cx.layout.inputs.answer(p)))
  const r0 = resultOf(
    h,
    answer((a) => a.r0),
    outSize
  )
  if (outIndex >= 0 && outSize > 0) {
    const a = h.args[outIndex] as OpaqueArg
    const p = memPtr(R(outIndex + 1), h.name)
    const old: BvTerm[] = []
    for (let i = 0; i < outSize; i++) old.push(cx.mem.readByte(p.rid, placeAt(p, i)))
    const data = old.map((_, i) => answer((x) => x.byte(i)))
    let bytes: BvTerm[]
    if (a.kind === 'inout') {
      bytes = old.map((o, i) =>
        ite(
          atPosition(st.ncall, bound, (q) => cx.layout.inputs.answer(q).keep(i)),
          o,
          data[i] as BvTerm
        )
      )
    } else if (h.write === 'str') bytes = stringWrite(r0, data, old)
    else {
      const ok = not(slt(r0, bv(0, 64)))
      bytes = data.map((d) => ite(ok, d, bv(0, 8)))
    }
    cx.mem.write(p.rid, st.pc, placeAt(p, 0), outSize, joinBytes(bytes))
  }
  return { r0: { v: r0 }, next: { ...st, ncall: add(st.ncall, bv(1, 16)) } }
}

/**
 * Records a call of helper `id` with `args` (and the packet it saw, for a helper that reads it
 * whole) on the path of `st`; its answer is the one at position `st.ncall`, which lies below the
 * returned bound (the calls recorded so far).
 */
export function recordCall(
  cx: ExecContext,
  st: FlowState,
  id: number,
  args: readonly BvTerm[],
  pkt?: PacketView
): { bound: number; next: FlowState } {
  cx.calls.push({ cond: st.pc, kind: `helper${id}`, args, ...(pkt ? { pkt } : {}) })
  return { bound: cx.calls.length, next: { ...st, ncall: add(st.ncall, bv(1, 16)) } }
}

/**
 * probe_read(_str) of the program's own memory: an exact copy (r0 = 0), or for the string form
 * the bytes up to the first NUL within size - 1 and a NUL (r0 = the length with the NUL).
 */
function copyOwn(
  cx: ExecContext,
  st: FlowState,
  regs: readonly SymVal[],
  h: OpaqueHelper,
  src: SymVal,
  outIndex: number,
  size: number
): { r0: SymVal; next: FlowState } {
  const from = src.ptr
  if (from === undefined || from.rid.startsWith('mapref'))
    throw new Unsupported(`${h.name}: reads through a map handle`)
  if (outIndex < 0 || size === 0) return { r0: { v: bv(0, 64) }, next: st }
  const to = memPtr(regs[outIndex + 1] as SymVal, h.name)
  const bytes: BvTerm[] = []
  for (let i = 0; i < size; i++) bytes.push(cx.mem.readByte(from.rid, placeAt(from, i)))
  if (h.write !== 'str') {
    cx.mem.write(to.rid, st.pc, placeAt(to, 0), size, joinBytes(bytes))
    return { r0: { v: bv(0, 64) }, next: st }
  }
  // n = 1 + the index of the first NUL among the first size - 1 bytes, or size.
  let n: BvTerm = bv(size, 64)
  for (let i = size - 2; i >= 0; i--) n = ite(eq(bytes[i] as BvTerm, bv(0, 8)), bv(i + 1, 64), n)
  const old: BvTerm[] = []
  for (let i = 0; i < size; i++) old.push(cx.mem.readByte(to.rid, placeAt(to, i)))
  const out = old.map((o, i) =>
    ite(ult(bv(i + 1, 64), n), bytes[i] as BvTerm, ite(eq(n, bv(i + 1, 64)), bv(0, 8), o))
  )
  cx.mem.write(to.rid, st.pc, placeAt(to, 0), size, joinBytes(out))
  return { r0: { v: n }, next: st }
}
