/**
 * @fileoverview The tc helpers that change the packet or the socket buffer (skb-reshape.ts):
 * skb_change_type and skb_pull_data exactly; skb_change_proto, skb_change_tail and
 * skb_adjust_room as the environment's answer (recorded call, answered result, packet and
 * context fields).
 */
import * as $effects from './effects'
import * as $helper_util from './helper-util'
import * as $layout from './layout'
import * as $machine from './machine'
import type { Machine } from './machine'
import * as $skb_reshape from './skb-reshape'

// Imports copied into module constants once (imports are getter calls under tsx/vite-node).
const { EffectKind } = $effects
const { HelperStatus, fault, setR0 } = $helper_util
const { Errno, SK_BUFF } = $layout
const { Region } = $machine
const {
  PKT_TYPE_MAX_CHANGEABLE,
  RESHAPE_CTX_BYTES,
  RESHAPED_FIELDS,
  reshapeArgs,
  reshapeResult,
  SKB_RESHAPE_MAX_LEN
} = $skb_reshape

function needTc(m: Machine, name: string): boolean {
  return m.prog.ctxKind === 'skb'
    ? true
    : (fault(m, `${name}: not available for this program type`), false)
}

/** skb_change_type(skb, type): sets pkt_type when both the old and the new type are at most 3. */
export function skbChangeType(m: Machine): number {
  if (!needTc(m, 'skb_change_type')) return HelperStatus.fault
  const at = m.regionBase[Region.ctx]! + SK_BUFF.pkt_type
  const type = m.regs[4]! >>> 0
  if (m.view.getUint32(at, true) > PKT_TYPE_MAX_CHANGEABLE || type > PKT_TYPE_MAX_CHANGEABLE) {
    setR0(m, -Errno.EINVAL)
    return HelperStatus.ok
  }
  m.view.setUint32(at, type, true)
  setR0(m, 0)
  return HelperStatus.ok
}

/**
 * skb_pull_data(skb, len): makes the first len bytes (all when 0) linear and writable. The
 * packet is linear here, so nothing moves; a length past the packet fails with -ENOMEM.
 */
export function skbPullData(m: Machine): number {
  if (!needTc(m, 'skb_pull_data')) return HelperStatus.fault
  setR0(m, m.regs[4]! >>> 0 > m.pktEnd - m.pktData ? -Errno.ENOMEM : 0)
  return HelperStatus.ok
}

/**
 * skb_change_proto, skb_change_tail or skb_adjust_room: records the call (helper, argument
 * values, packet length; the context's bytes then the packet's as data) and applies the run's
 * next answer: the result (0 or an errno, else 0), the packet after the call (its length the new
 * one, cut at SKB_RESHAPE_MAX_LEN; unchanged when the answer gives none) and the context fields
 * of RESHAPED_FIELDS (unchanged when not given).
 */
export function skbReshape(m: Machine, id: number, name: string): number {
  const n = reshapeArgs(id)
  if (n === undefined) return fault(m, `${name}: not a reshaping helper`)
  if (!needTc(m, name)) return HelperStatus.fault
  const R = m.regs
  const heap = m.heap
  const log = m.effects
  const ctx = m.regionBase[Region.ctx]!
  const pkt = m.regionBase[Region.packet]! + m.pktData
  const len = m.pktEnd - m.pktData
  let ok = log.push(EffectKind.helperCall, id, 0, 0, 0, heap, ctx, RESHAPE_CTX_BYTES)
  for (let r = 2; ok && r < 2 + n; r++) ok = log.pushArg(R[r * 2]!, R[r * 2 + 1]!)
  ok = ok && log.pushArg(len, 0) && log.extend(heap, pkt, len)
  if (!ok) return fault(m, 'output log full')
  const answer = m.calls[m.callIdx++]
  const r0 = answer === undefined ? 0n : reshapeResult(answer.r0)
  R[0] = Number(r0 & 0xffffffffn) | 0
  R[1] = Number(r0 >> 32n) | 0
  const bytes = answer?.packet
  if (bytes !== undefined) {
    const size = Math.min(bytes.length, SKB_RESHAPE_MAX_LEN)
    heap.set(bytes.subarray(0, size), pkt)
    m.setPacket(m.pktMeta, m.pktData, m.pktData + size)
    m.view.setUint32(ctx + SK_BUFF.len, size, true)
  }
  const fields = answer?.fields
  if (fields !== undefined)
    RESHAPED_FIELDS.forEach((f, i) => {
      const v = fields[i]
      if (v === undefined) return
      m.view.setUint32(ctx + f.off, f.bits === 16 ? v & 0xffff : v >>> 0, true)
    })
  return HelperStatus.ok
}
