/**
 * @fileoverview Packet helpers: skb_store_bytes, skb_load_bytes, l3/l4_csum_replace, csum_diff
 * and the XDP head/meta/tail adjustments, with the kernel's argument checks and return codes.
 */
import * as $layout from './layout'
import * as $machine from './machine'
import type { Machine } from './machine'
import * as $helper_util from './helper-util'

// Imports copied into module constants once: under tsx/vite-node each access to an
// imported binding is a getter call, too costly on the interpreter hot path.
const { Errno, ETH_HLEN, XDP_FRAME_RESERVED, XDP_META_MAX } = $layout
const { Region } = $machine
const { HelperStatus, fault, ptrArg, setR0 } = $helper_util

function ok(m: Machine, v: number): number {
  setR0(m, v)
  return HelperStatus.ok
}

function needSkb(m: Machine, name: string, tcOnly: boolean): boolean {
  const k = m.prog.ctxKind
  return k === 'skb' || (!tcOnly && k === 'socket')
    ? true
    : (fault(m, `${name}: not available for this program type`), false)
}

/** Ones'-complement 32-bit addition with end-around carry. */
function csumAdd(a: number, b: number): number {
  const s = (a >>> 0) + (b >>> 0)
  return (s >= 4294967296 ? s - 4294967295 : s) >>> 0
}

/** Folds a 32-bit partial sum to 16 bits and complements it. */
function csumFold(x: number): number {
  let s = (x & 0xffff) + (x >>> 16)
  s = (s & 0xffff) + (s >>> 16)
  return ~s & 0xffff
}

/** skb_store_bytes(skb, offset, from, len, flags). */
export function skbStoreBytes(m: Machine): number {
  if (!needSkb(m, 'skb_store_bytes', true)) return HelperStatus.fault
  const R = m.regs
  const len = R[8]!
  if (R[9] !== 0 || len <= 0) return fault(m, 'skb_store_bytes: invalid length')
  const from = ptrArg(m, 3, len)
  if (from < 0) return fault(m, 'skb_store_bytes: invalid source pointer')
  if ((R[10]! & ~3) !== 0 || R[11] !== 0) return ok(m, -Errno.EINVAL)
  const off = R[4]! >>> 0
  if (R[5] !== 0 || off > 0xffff || off + len > m.pktEnd - m.pktData) return ok(m, -Errno.EFAULT)
  const base = m.regionBase[Region.packet]! + m.pktData + off
  m.heap.copyWithin(base, from, from + len)
  return ok(m, 0)
}

/** skb_load_bytes(skb, offset, to, len). */
export function skbLoadBytes(m: Machine): number {
  if (!needSkb(m, 'skb_load_bytes', false)) return HelperStatus.fault
  const R = m.regs
  const len = R[8]!
  if (R[9] !== 0 || len <= 0) return fault(m, 'skb_load_bytes: invalid length')
  const to = ptrArg(m, 3, len)
  if (to < 0) return fault(m, 'skb_load_bytes: invalid destination pointer')
  m.noteWrite(m.lastRegion)
  const off = R[4]! >>> 0
  if (R[5] !== 0 || off > 0x7fffffff || off + len > m.pktEnd - m.pktData) {
    m.heap.fill(0, to, to + len)
    return ok(m, -Errno.EFAULT)
  }
  const base = m.regionBase[Region.packet]! + m.pktData + off
  m.heap.copyWithin(to, base, base + len)
  return ok(m, 0)
}

/** Heap index of the 16-bit checksum at packet offset r2 (even, as the kernel wants), or -1 (→ -EFAULT). */
function csumField(m: Machine): number {
  const off = m.regs[4]! >>> 0
  if (m.regs[5] !== 0 || off > 0xffff || (off & 1) !== 0 || off + 2 > m.pktEnd - m.pktData)
    return -1
  return m.regionBase[Region.packet]! + m.pktData + off
}

function replace(m: Machine, at: number, size: number): boolean {
  const R = m.regs
  const from = R[6]!
  const to = R[8]!
  const old = m.view.getUint16(at, true)
  let sum: number
  // A field size of 0 takes a checksum difference in `to` and refuses any `from`.
  if (size === 0 && (from !== 0 || R[7] !== 0)) return false
  if (size === 0) sum = csumFold(csumAdd(to, ~old & 0xffff))
  else if (size === 2) {
    const f = from & 0xffff
    const t = to & 0xffff
    let s = (~old & 0xffff) + (~f & 0xffff)
    s = (s & 0xffff) + (s >>> 16)
    s += t
    s = (s & 0xffff) + (s >>> 16)
    sum = ~s & 0xffff
  } else if (size === 4) sum = csumFold(csumAdd(csumAdd(~old & 0xffff, ~from), to))
  else return false
  m.view.setUint16(at, sum, true)
  return true
}

/** l3_csum_replace(skb, offset, from, to, flags). */
export function l3CsumReplace(m: Machine): number {
  if (!needSkb(m, 'l3_csum_replace', true)) return HelperStatus.fault
  const flags = m.regs[10]!
  if ((flags & ~0xf) !== 0 || m.regs[11] !== 0) return ok(m, -Errno.EINVAL)
  const at = csumField(m)
  if (at < 0) return ok(m, -Errno.EFAULT)
  return ok(m, replace(m, at, flags & 0xf) ? 0 : -Errno.EINVAL)
}

/** l4_csum_replace(skb, offset, from, to, flags): the packet's ip_summed is modelled as CHECKSUM_NONE. */
export function l4CsumReplace(m: Machine): number {
  if (!needSkb(m, 'l4_csum_replace', true)) return HelperStatus.fault
  const flags = m.regs[10]!
  if ((flags & ~(0x10 | 0x20 | 0x40 | 0x80 | 0xf)) !== 0 || m.regs[11] !== 0)
    return ok(m, -Errno.EINVAL)
  const at = csumField(m)
  if (at < 0) return ok(m, -Errno.EFAULT)
  // BPF_F_MARK_MANGLED_0 leaves a zero checksum alone unless BPF_F_MARK_ENFORCE is given too.
  const mangled0 = (flags & 0x20) !== 0
  if (mangled0 && (flags & 0x40) === 0 && m.view.getUint16(at, true) === 0) return ok(m, 0)
  if (!replace(m, at, flags & 0xf)) return ok(m, -Errno.EINVAL)
  if (mangled0 && m.view.getUint16(at, true) === 0) m.view.setUint16(at, 0xffff, true)
  return ok(m, 0)
}

/** csum_diff(from, from_size, to, to_size, seed): a 32-bit ones'-complement partial sum. */
export function csumDiff(m: Machine): number {
  const R = m.regs
  const fs = R[4]!
  const ts = R[8]!
  if (R[5] !== 0 || R[9] !== 0 || fs < 0 || ts < 0 || ((fs | ts) & 3) !== 0 || fs + ts > 512)
    return ok(m, -Errno.EINVAL)
  const from = fs > 0 ? ptrArg(m, 1, fs) : 0
  const to = ts > 0 ? ptrArg(m, 3, ts) : 0
  if (from < 0 || to < 0) return fault(m, 'csum_diff: invalid buffer pointer')
  let acc = R[10]! >>> 0
  for (let i = 0; i < fs; i += 4) acc = csumAdd(acc, ~m.view.getInt32(from + i, true))
  for (let i = 0; i < ts; i += 4) acc = csumAdd(acc, m.view.getInt32(to + i, true))
  R[0] = acc | 0
  R[1] = 0
  return HelperStatus.ok
}

function needXdp(m: Machine, name: string): boolean {
  return m.prog.ctxKind === 'xdp'
    ? true
    : (fault(m, `${name}: not available for this program type`), false)
}

/** xdp_adjust_head(xdp, delta). */
export function xdpAdjustHead(m: Machine): number {
  if (!needXdp(m, 'xdp_adjust_head')) return HelperStatus.fault
  const delta = m.regs[4]!
  const metalen = m.pktData - m.pktMeta
  const data = m.pktData + delta
  if (data < XDP_FRAME_RESERVED + metalen || data > m.pktEnd - ETH_HLEN) return ok(m, -Errno.EINVAL)
  if (metalen > 0) {
    const b = m.regionBase[Region.packet]!
    m.heap.copyWithin(b + m.pktMeta + delta, b + m.pktMeta, b + m.pktData)
  }
  m.setPacket(m.pktMeta + delta, data, m.pktEnd)
  return ok(m, 0)
}

/** xdp_adjust_meta(xdp, delta). */
export function xdpAdjustMeta(m: Machine): number {
  if (!needXdp(m, 'xdp_adjust_meta')) return HelperStatus.fault
  if (m.xdpNoMeta) return ok(m, -Errno.ENOTSUPP)
  const meta = m.pktMeta + m.regs[4]!
  const metalen = m.pktData - meta
  if (meta < XDP_FRAME_RESERVED || meta > m.pktData) return ok(m, -Errno.EINVAL)
  if ((metalen & 3) !== 0 || metalen > XDP_META_MAX) return ok(m, -Errno.EACCES)
  m.setPacket(meta, m.pktData, m.pktEnd)
  return ok(m, 0)
}

/** xdp_adjust_tail(xdp, delta): grows (zero-filled) or shrinks the packet end. */
export function xdpAdjustTail(m: Machine): number {
  if (!needXdp(m, 'xdp_adjust_tail')) return HelperStatus.fault
  const delta = m.regs[4]!
  const end = m.pktEnd + delta
  if (end > m.pktHardEnd) return ok(m, -Errno.EINVAL)
  if (end < m.pktData + ETH_HLEN) return ok(m, -Errno.EINVAL)
  if (delta > 0) {
    const b = m.regionBase[Region.packet]!
    m.heap.fill(0, b + m.pktEnd, b + end)
  }
  m.setPacket(m.pktMeta, m.pktData, end)
  return ok(m, 0)
}
