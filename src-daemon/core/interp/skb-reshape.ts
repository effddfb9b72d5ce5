/**
 * @fileoverview Facts the interpreter and the prover share about the tc helpers that change the
 * packet or the socket buffer: skb_change_type and skb_pull_data are modelled exactly;
 * skb_change_proto, skb_change_tail and skb_adjust_room ("reshaping" helpers) are the
 * environment's answer, call by call. Their outcome depends on socket-buffer state the model
 * does not have (the device's header length, GSO, encapsulation, checksum state, where the
 * network header starts), so the call is recorded with everything the program can influence
 * (its arguments, the whole context, the packet's length and bytes) and the result, the packet
 * after the call and the context fields the helper may change are the run's next answer.
 */
import { SK_BUFF } from './layout'

/** Helper ids. */
export const SkbHelper = {
  skb_change_proto: 31,
  skb_change_type: 32,
  skb_change_tail: 38,
  skb_pull_data: 39,
  skb_adjust_room: 50
} as const

/** Argument registers (r2..) each reshaping helper takes after the context. */
const RESHAPE_ARGS: ReadonlyMap<number, number> = new Map([
  [SkbHelper.skb_change_proto, 2],
  [SkbHelper.skb_change_tail, 2],
  [SkbHelper.skb_adjust_room, 3]
])

/** How many argument registers after r1 reshaping helper `id` takes (undefined: not one). */
export function reshapeArgs(id: number): number | undefined {
  return RESHAPE_ARGS.get(id)
}

/**
 * The context fields a reshaping helper may change besides `len` (which becomes the new packet
 * length), in the order of an answer's `fields`: offset in `__sk_buff` and how many low bits of
 * the answer the field takes (the protocol is 16 bits wide in the kernel).
 */
export const RESHAPED_FIELDS: readonly { readonly off: number; readonly bits: number }[] = [
  { off: SK_BUFF.protocol, bits: 16 },
  { off: SK_BUFF.hash, bits: 32 },
  { off: SK_BUFF.gso_segs, bits: 32 },
  { off: SK_BUFF.gso_size, bits: 32 }
]

/**
 * The longest packet a reshaping helper's answer gives (longer answers are cut there). Larger
 * than anything these helpers make of a packet of the model (at most 1,514 bytes on entry,
 * without GSO): skb_change_tail and a growing skb_adjust_room stop at the kernel's
 * BPF_SKB_MAX_LEN (about 16 KiB), skb_adjust_room grows by at most 4,095 bytes a call and
 * skb_change_proto by 20. Not the model's largest packet: a program may ask for a longer one.
 */
export const SKB_RESHAPE_MAX_LEN = 0xffff

/** Bytes of `__sk_buff` a reshaping call records (the whole context). */
export const RESHAPE_CTX_BYTES = 192

/** Lowest result of a reshaping helper: 0 or a negative errno (-4095..-1). */
export const RESHAPE_MIN_RESULT = -4095n

/** The result an answer's raw r0 gives: itself when in [-4095, 0], else 0 (64-bit, unsigned). */
export function reshapeResult(raw: bigint): bigint {
  const v = BigInt.asIntN(64, raw)
  return v >= RESHAPE_MIN_RESULT && v <= 0n ? BigInt.asUintN(64, v) : 0n
}

/** The kernel's largest pkt_type a program may set or change from (PACKET_OTHERHOST). */
export const PKT_TYPE_MAX_CHANGEABLE = 3
