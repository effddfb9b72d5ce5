/** @fileoverview Which context bytes each program type may read or write, and what loads of them yield. */
import { T, type ProgType } from './types'

/** Outcome of a context access check: allowed (with the kind a load yields) or refused. */
export type CtxVerdict = { readonly ok: true; readonly yields: T } | { readonly ok: false }

const NO: CtxVerdict = { ok: false }
const SCALAR: CtxVerdict = { ok: true, yields: T.SCALAR }

/** Size of `struct __sk_buff`. */
const SKB_SIZE = 192
/** `__sk_buff` offsets used by the rules. */
const SKB = {
  mark: 8,
  queueMapping: 12,
  priority: 32,
  tcIndex: 44,
  cb: 48,
  cbEnd: 68,
  tcClassid: 72,
  data: 76,
  dataEnd: 80,
  family: 88,
  localPortEnd: 140,
  dataMeta: 140,
  flowKeys: 144,
  tstamp: 152,
  wireLen: 160,
  sk: 168,
  tstampType: 180,
  hwtstamp: 184
} as const

/** Default context size of flat-context program types (the kernel's limits). */
export function defaultCtxSize(t: ProgType): number {
  switch (t) {
    case 'xdp':
      return 24
    case 'socket_filter':
    case 'sched_cls':
      return SKB_SIZE
    case 'tracepoint':
      return 2048
    case 'kprobe':
      return 168
    case 'raw_tracepoint':
      return 96
    case 'plain':
      return 0
  }
}

const inRange = (off: number, lo: number, hi: number): boolean => off >= lo && off < hi

/** Generic `__sk_buff` rules shared by socket filters and tc (bpf_skb_is_valid_access). */
function skbGeneric(off: number, size: number, write: boolean): CtxVerdict {
  if (off < 0 || off >= SKB_SIZE || off % size !== 0) return NO
  if (inRange(off, SKB.cb, SKB.cbEnd)) return off + size <= SKB.cbEnd ? SCALAR : NO
  if (inRange(off, 92, 132) || off === SKB.data || off === SKB.dataEnd || off === SKB.dataMeta) {
    return size === 4 ? SCALAR : NO
  }
  if (inRange(off, SKB.flowKeys, SKB.flowKeys + 8)) return NO
  if (inRange(off, SKB.hwtstamp, SKB.hwtstamp + 8)) return !write && size === 8 ? SCALAR : NO
  if (inRange(off, SKB.tstamp, SKB.tstamp + 8)) return size === 8 ? SCALAR : NO
  if (inRange(off, SKB.sk, SKB.sk + 8)) return NO
  if (inRange(off, SKB.tstampType, SKB.hwtstamp)) return NO
  if (write) return size === 4 ? SCALAR : NO
  return size <= 4 ? SCALAR : NO
}

function socketFilter(off: number, size: number, write: boolean): CtxVerdict {
  if (
    inRange(off, SKB.tcClassid, SKB.tcClassid + 4) ||
    inRange(off, SKB.data, SKB.dataEnd + 4) ||
    inRange(off, SKB.family, SKB.localPortEnd + 4) ||
    inRange(off, SKB.tstamp, SKB.tstamp + 8) ||
    inRange(off, SKB.wireLen, SKB.wireLen + 4) ||
    inRange(off, SKB.hwtstamp, SKB.hwtstamp + 8)
  ) {
    return NO
  }
  if (write && !inRange(off, SKB.cb, SKB.cbEnd)) return NO
  return skbGeneric(off, size, write)
}

function tcClassifier(off: number, size: number, write: boolean): CtxVerdict {
  if (write) {
    const w =
      inRange(off, SKB.mark, SKB.mark + 4) ||
      inRange(off, SKB.tcIndex, SKB.tcIndex + 4) ||
      inRange(off, SKB.priority, SKB.priority + 4) ||
      inRange(off, SKB.tcClassid, SKB.tcClassid + 4) ||
      inRange(off, SKB.cb, SKB.cbEnd) ||
      inRange(off, SKB.tstamp, SKB.tstamp + 8) ||
      inRange(off, SKB.queueMapping, SKB.queueMapping + 4)
    if (!w) return NO
  }
  if (inRange(off, SKB.family, SKB.localPortEnd)) return NO
  const v = skbGeneric(off, size, write)
  if (!v.ok || write) return v
  if (off === SKB.data) return { ok: true, yields: T.PKT }
  if (off === SKB.dataEnd) return { ok: true, yields: T.PKT_END }
  if (off === SKB.dataMeta) return { ok: true, yields: T.PKT_META }
  return v
}

function xdp(off: number, size: number, write: boolean): CtxVerdict {
  if (write || off === 20) return NO
  if (off < 0 || off >= 24 || off % size !== 0 || size !== 4) return NO
  if (off === 0) return { ok: true, yields: T.PKT }
  if (off === 4) return { ok: true, yields: T.PKT_END }
  if (off === 8) return { ok: true, yields: T.PKT_META }
  return SCALAR
}

/**
 * Checks an access of `size` bytes at context offset `off` (the kernel's is_valid_access of
 * the program type). Flat contexts are bounded by `ctxSize`.
 */
export function ctxAccess(
  t: ProgType,
  off: number,
  size: number,
  write: boolean,
  ctxSize: number
): CtxVerdict {
  switch (t) {
    case 'xdp':
      return xdp(off, size, write)
    case 'socket_filter':
      return socketFilter(off, size, write)
    case 'sched_cls':
      return tcClassifier(off, size, write)
    case 'tracepoint':
      if (write || off < 8 || off + size > ctxSize || off % size !== 0) return NO
      return SCALAR
    case 'kprobe':
    case 'raw_tracepoint':
      if (write || off < 0 || off + size > ctxSize || off % size !== 0) return NO
      return SCALAR
    case 'plain':
      return off >= 0 && off + size <= ctxSize ? SCALAR : NO
  }
}
