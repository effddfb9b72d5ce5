/**
 * @fileoverview Symbolic tc helpers that change the packet or the socket buffer, mirroring
 * interp/helpers-skb.ts: skb_change_type and skb_pull_data exactly; skb_change_proto,
 * skb_change_tail and skb_adjust_room as the environment's answer (interp/skb-reshape.ts).
 *
 * A reshaping call is recorded (enc-opaque's `recordCall`) with its argument values, the
 * packet's length, every context byte, the packet as it is (its bounds, and its bytes compared
 * wherever either program wrote: enc-equiv's effectsDiffer) and its place among the effects: everything the kernel's outcome can depend on that the program controls.
 * Its result, the new packet length, the new packet bytes and the context fields it may change
 * are the shared answer at the call's position. The packet after the call lives at a place of
 * its own in the packet region, (position + 1) * RESHAPE_STRIDE, where it has never been written:
 * its bytes are shared inputs there, the same in both programs (the answer's bytes), and no
 * byte of the packet before the call aliases them. The prover answers only when both programs
 * make the same calls with the same recorded values (enc-opaque's header says why this is
 * sound); a program that changes the packet or a call's arguments before it gets no answer.
 */
import type { BvTerm } from './term'
import type { ExecContext, FlowState } from './enc-context'
import type { SymVal } from './enc-state'
import { Unsupported } from './enc-state'
import { low32 } from './enc-alu'
import { errno } from './enc-args'
import { atPosition, effectsBefore, recordCall } from './enc-opaque'
import type { Answer } from './enc-inputs'
import { Errno, SK_BUFF } from '../interp/layout'
import {
  PKT_TYPE_MAX_CHANGEABLE,
  RESHAPE_CTX_BYTES,
  RESHAPE_MIN_RESULT,
  RESHAPED_FIELDS,
  reshapeArgs,
  SKB_RESHAPE_MAX_LEN,
  SkbHelper
} from '../interp/skb-reshape'
import { add, and, bv, extract, ite, not, or, sle, sub, ugt, zeroExt } from './terms'

/** Distance in the packet region between the packets of successive answers (above any packet). */
export const RESHAPE_STRIDE = 1 << 20

/** The answer name of a reshaping call's new packet length (16 bits). */
export const RESHAPE_LEN = 'len'

/** The answer name of field `i` of RESHAPED_FIELDS. */
export function reshapeField(i: number): string {
  return `f${i}`
}

/** True for the ids this module encodes. */
export function isSkbChangeHelper(id: number): boolean {
  return (
    id === SkbHelper.skb_change_type ||
    id === SkbHelper.skb_pull_data ||
    reshapeArgs(id) !== undefined
  )
}

function needTc(cx: ExecContext, name: string): void {
  if (cx.model.ctx !== 'skb')
    throw new Unsupported(`${name} is not available for this program type`)
}

/** A constant context place. */
function ctxAt(off: number): BvTerm[] {
  return [bv(off, 64)]
}

/** skb_change_type(skb, type): pkt_type becomes `type` when it and the old type are at most 3. */
function changeType(cx: ExecContext, st: FlowState, regs: readonly SymVal[]): BvTerm {
  needTc(cx, 'skb_change_type')
  const old = cx.mem.read('ctx', ctxAt(SK_BUFF.pkt_type), 4)
  const type = low32((regs[2] as SymVal).v)
  const top = bv(PKT_TYPE_MAX_CHANGEABLE, 32)
  const bad = or(ugt(old, top), ugt(type, top))
  cx.mem.write('ctx', and(st.pc, not(bad)), ctxAt(SK_BUFF.pkt_type), 4, type)
  return ite(bad, errno(Errno.EINVAL), bv(0, 64))
}

/** skb_pull_data(skb, len): the packet is linear; a length past its end gives -ENOMEM. */
function pullData(cx: ExecContext, st: FlowState, regs: readonly SymVal[]): BvTerm {
  needTc(cx, 'skb_pull_data')
  const want = zeroExt(low32((regs[2] as SymVal).v), 32)
  return ite(ugt(want, sub(st.pkt.end, st.pkt.data)), errno(Errno.ENOMEM), bv(0, 64))
}

/** A reshaping helper (see the header): returns r0 and the state after the call. */
function reshape(
  cx: ExecContext,
  st: FlowState,
  regs: readonly SymVal[],
  id: number,
  n: number
): { r0: BvTerm; next: FlowState } {
  const name = Object.entries(SkbHelper).find(([, v]) => v === id)?.[0] ?? `helper ${id}`
  needTc(cx, name)
  const max = Math.max(cx.model.maxPacket, SKB_RESHAPE_MAX_LEN)
  if (max >= RESHAPE_STRIDE) throw new Unsupported(`${name}: packets up to ${max} bytes`)
  const p = st.pkt
  const len = sub(p.end, p.data)
  const args: BvTerm[] = []
  for (let r = 2; r < 2 + n; r++) args.push((regs[r] as SymVal).v)
  args.push(len)
  for (let o = 0; o < RESHAPE_CTX_BYTES; o++) args.push(cx.mem.readByte('ctx', ctxAt(o)))
  args.push(effectsBefore(cx))
  const seen = cx.mem.snapshot('pkt')
  const { bound, next } = recordCall(cx, st, id, args, {
    data: p.data,
    end: p.end,
    byte: (place) => seen.readByte('pkt', place),
    written: () => seen.writtenPlaces('pkt')
  })
  const answer = (f: (a: Answer) => BvTerm): BvTerm =>
    atPosition(st.ncall, bound, (q) => f(cx.layout.inputs.answer(q)))
  const raw = answer((a) => a.r0)
  const inRange = and(sle(bv(BigInt.asUintN(64, RESHAPE_MIN_RESULT), 64), raw), sle(raw, bv(0, 64)))
  const r0 = ite(inRange, raw, bv(0, 64))
  // Any length up to SKB_RESHAPE_MAX_LEN (16 bits): a program may ask for more than the model's
  // largest packet, and the kernel gives it.
  const newLen = zeroExt(
    answer((a) => a.value(RESHAPE_LEN, 16)),
    48
  )
  const base = atPosition(st.ncall, bound, (q) => bv(RESHAPE_STRIDE * (q + 1), 64))
  cx.mem.write('ctx', st.pc, ctxAt(SK_BUFF.len), 4, extract(newLen, 31, 0))
  RESHAPED_FIELDS.forEach((f, i) => {
    const v = answer((a) => a.value(reshapeField(i), f.bits))
    cx.mem.write('ctx', st.pc, ctxAt(f.off), 4, f.bits === 32 ? v : zeroExt(v, 32 - f.bits))
  })
  return { r0, next: { ...next, pkt: { meta: base, data: base, end: add(base, newLen) } } }
}

/** Runs helper `id` (one of {@link isSkbChangeHelper}); returns r0 and the state after it. */
export function callSkbChange(
  cx: ExecContext,
  st: FlowState,
  regs: readonly SymVal[],
  id: number
): { r0: BvTerm; next: FlowState } {
  if (id === SkbHelper.skb_change_type) return { r0: changeType(cx, st, regs), next: st }
  if (id === SkbHelper.skb_pull_data) return { r0: pullData(cx, st, regs), next: st }
  const n = reshapeArgs(id)
  if (n === undefined) throw new Unsupported(`helper ${id} is not modelled by the prover`)
  return reshape(cx, st, regs, id, n)
}
