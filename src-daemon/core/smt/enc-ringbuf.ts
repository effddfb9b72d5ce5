/**
 * @fileoverview Symbolic ring buffers: ringbuf_output, ringbuf_reserve, ringbuf_submit and
 * ringbuf_discard. Each ring buffer starts with an unknown amount of space in use (shared by both
 * programs, a multiple of 8 up to its capacity: the consumer may lag), and every record takes its
 * size plus an 8-byte header, rounded up to 8, as in the interpreter. A submitted or output
 * record is an observable effect (map, flags, size, bytes); a reserved record is a fresh zeroed
 * region whose pointer the program must null-check.
 */
import type { BoolTerm, BvTerm } from './term'
import type { ExecContext, FlowState } from './enc-context'
import type { EncodeModel, SymVal } from './enc-state'
import { Unsupported } from './enc-state'
import { Errno, MapType } from '../interp/layout'
import { errno, mapOf, memPtr, readArg } from './enc-args'
import { add, and, bv, bvAnd, bvVar, eq, ite, not, ule } from './terms'

/** Largest record the prover reads in one piece (bytes, one bit-vector of 8 bits each). */
const MAX_RECORD = 4096

/** Reservations one program may make (the interpreter keeps 64 live at once). */
const MAX_RESERVATIONS = 64

/** Name of the shared input: bytes of ring buffer `map` in use when the program starts. */
export function ringUsedName(map: number): string {
  return `ring_used_${map}`
}

/** Space in use per map at the start (ring buffers: the shared input; others: 0, never used). */
export function initialRings(model: EncodeModel): BvTerm[] {
  return model.maps.map((m, i) =>
    m.type === MapType.RINGBUF ? bvVar(ringUsedName(i), 64) : bv(0, 64)
  )
}

/** Constraints on the initial use of every ring buffer: 8-aligned, at most its capacity. */
export function ringConstraints(model: EncodeModel): BoolTerm[] {
  const out: BoolTerm[] = []
  model.maps.forEach((m, i) => {
    if (m.type !== MapType.RINGBUF) return
    const used = bvVar(ringUsedName(i), 64)
    out.push(ule(used, bv(m.maxEntries, 64)), eq(bvAnd(used, bv(7, 64)), bv(0, 64)))
  })
  return out
}

function ringOf(cx: ExecContext, v: SymVal, what: string): number {
  const map = mapOf(v, what)
  if (cx.maps.def(map).type !== MapType.RINGBUF)
    throw new Unsupported(`${what}: map is not a ring buffer`)
  return map
}

function constSize(v: SymVal, what: string): number {
  if (v.v.op !== 'bvconst') throw new Unsupported(`${what}: the size must be a constant here`)
  const size = v.v.value
  if (size > BigInt(MAX_RECORD))
    throw new Unsupported(`${what}: record size ${size} is above ${MAX_RECORD}`)
  return Number(size)
}

/** Space a record of `size` bytes takes: the size plus an 8-byte header, rounded up to 8. */
function footprint(size: number): number {
  return (size + 8 + 7) & ~7
}

/** What a ring buffer helper leaves: r0 and the space in use afterwards. */
export interface RingResult {
  readonly r0: SymVal
  readonly rings: readonly BvTerm[]
}

function take(st: FlowState, map: number, ok: BoolTerm, size: number): BvTerm[] {
  const rings = [...st.rings]
  const used = st.rings[map] as BvTerm
  rings[map] = ite(ok, add(used, bv(footprint(size), 64)), used)
  return rings
}

function fits(cx: ExecContext, st: FlowState, map: number, size: number): BoolTerm {
  const used = st.rings[map] as BvTerm
  return ule(add(used, bv(footprint(size), 64)), bv(cx.maps.def(map).maxEntries, 64))
}

/** ringbuf_output(map, data, size, flags): the record as an effect, or -EAGAIN when full. */
export function ringbufOutput(cx: ExecContext, st: FlowState, regs: readonly SymVal[]): RingResult {
  const R = (i: number): SymVal => regs[i] as SymVal
  const map = ringOf(cx, R(1), 'ringbuf_output')
  const size = constSize(R(3), 'ringbuf_output')
  const flags = R(4).v
  const badFlags = not(eq(bvAnd(flags, bv(~3n & 0xffffffffffffffffn, 64)), bv(0, 64)))
  const room = fits(cx, st, map, size)
  const ok = and(not(badFlags), room)
  const args = [bv(map, 64), flags, bv(size, 64)]
  if (size > 0) args.push(readArg(cx, memPtr(R(2), 'ringbuf_output'), size))
  cx.effects.push({ cond: and(st.pc, ok), kind: 'ringbuf', args })
  const r0 = ite(badFlags, errno(Errno.EINVAL), ite(room, bv(0, 64), errno(Errno.EAGAIN)))
  return { r0: { v: r0 }, rings: take(st, map, ok, size) }
}

/**
 * ringbuf_reserve(map, size, flags): a pointer to a fresh zeroed record (its own region), or
 * NULL when the flags are not 0 or the ring buffer is full.
 */
export function ringbufReserve(
  cx: ExecContext,
  st: FlowState,
  regs: readonly SymVal[]
): RingResult {
  const R = (i: number): SymVal => regs[i] as SymVal
  const map = ringOf(cx, R(1), 'ringbuf_reserve')
  const size = constSize(R(2), 'ringbuf_reserve')
  if (cx.reservations.length >= MAX_RESERVATIONS)
    throw new Unsupported(`more than ${MAX_RESERVATIONS} ring buffer reservations`)
  const rid = `ringrec${cx.reservations.length}`
  cx.reservations.push({ rid, map, size })
  const ok = and(eq(R(3).v, bv(0, 64)), fits(cx, st, map, size))
  const addr = add(cx.layout.base(rid), bv(0, 64))
  return {
    r0: { v: ite(ok, addr, bv(0, 64)), ptr: { rid, off: bv(0, 64) } },
    rings: take(st, map, ok, size)
  }
}

/** ringbuf_submit / ringbuf_discard(data, flags): a submitted record becomes an effect. */
export function ringbufCommit(
  cx: ExecContext,
  st: FlowState,
  regs: readonly SymVal[],
  submit: boolean
): void {
  const what = submit ? 'ringbuf_submit' : 'ringbuf_discard'
  const p = (regs[1] as SymVal).ptr
  const rec = cx.reservations.find((r) => r.rid === p?.rid)
  if (p === undefined || rec === undefined)
    throw new Unsupported(`${what}: the argument is not a reserved record`)
  if (p.off.op !== 'bvconst' || p.off.value !== 0n)
    throw new Unsupported(`${what}: the argument does not point at the record's start`)
  if (!submit) return
  const args = [bv(rec.map, 64), (regs[2] as SymVal).v, bv(rec.size, 64)]
  if (rec.size > 0) args.push(cx.mem.read(rec.rid, [bv(0, 64)], rec.size))
  cx.effects.push({ cond: st.pc, kind: 'ringbuf', args })
}
