/**
 * @fileoverview `struct __sk_buff` access rules of every program type whose context it is
 * (socket filter, tc, cgroup_skb, lwt, sk_skb, flow dissector), as the kernel's
 * `*_is_valid_access` functions in net/core/filter.c decide them (Linux 6.12 to 6.18).
 */
import type { ProgType } from './types'
import { T } from './types'

/** Outcome of a context access check: allowed (with the kind a load yields) or refused. */
export type CtxVerdict = { readonly ok: true; readonly yields: T } | { readonly ok: false }

/** Refused. */
export const NO: CtxVerdict = { ok: false }
/** Allowed, a load yields a scalar. */
export const SCALAR: CtxVerdict = { ok: true, yields: T.SCALAR }

/** A load yields a pointer of `yields`. */
export function yields(kind: T): CtxVerdict {
  return { ok: true, yields: kind }
}

/** Size of `struct __sk_buff`. */
export const SKB_SIZE = 192

/** `__sk_buff` field offsets and sizes the rules name. */
const F = {
  mark: [8, 4],
  queueMapping: [12, 4],
  priority: [32, 4],
  tcIndex: [44, 4],
  cb: [48, 20],
  tcClassid: [72, 4],
  data: [76, 4],
  dataEnd: [80, 4],
  family: [88, 4],
  remoteIp4: [92, 4],
  localIp4: [96, 4],
  remoteIp6: [100, 16],
  localIp6: [116, 16],
  localPort: [136, 4],
  dataMeta: [140, 4],
  flowKeys: [144, 8],
  tstamp: [152, 8],
  wireLen: [160, 4],
  sk: [168, 8],
  tstampType: [180, 1],
  hwtstamp: [184, 8]
} as const

type Field = readonly [number, number]

/** Whether `off` lies inside a field (the kernel's bpf_ctx_range). */
export function inField(off: number, f: Field): boolean {
  return off >= f[0] && off < f[0] + f[1]
}

/** From the start of field `a` to the end of field `b` (bpf_ctx_range_till). */
function inTill(off: number, a: Field, b: Field): boolean {
  return off >= a[0] && off < b[0] + b[1]
}

/** The kernel's bpf_ctx_narrow_access_ok: a power-of-two size no wider than the field. */
export function narrowOk(size: number, fieldSize: number): boolean {
  return size <= fieldSize && (size & (size - 1)) === 0
}

/** bpf_skb_is_valid_access: the rules every `__sk_buff` type shares. */
function skbCommon(off: number, size: number, write: boolean, signed: boolean): CtxVerdict {
  if (off < 0 || off >= SKB_SIZE || off % size !== 0) return NO
  if (inField(off, F.cb)) return off + size > F.cb[0] + F.cb[1] ? NO : SCALAR
  if (inField(off, F.data) || inField(off, F.dataMeta) || inField(off, F.dataEnd))
    return signed || size !== 4 ? NO : SCALAR
  if (inTill(off, F.remoteIp4, F.localIp6)) return size === 4 ? SCALAR : NO
  if (inField(off, F.flowKeys)) return NO
  if (inField(off, F.hwtstamp)) return write || size !== 8 ? NO : SCALAR
  if (inField(off, F.tstamp)) return size === 8 ? SCALAR : NO
  if (inField(off, F.sk)) return write || size !== 8 ? NO : yields(T.SOCK_COMMON_OR_NULL)
  if (off === F.tstampType[0]) return NO
  if (off > F.tstampType[0] && off < F.hwtstamp[0]) return NO
  if (write) return size === 4 ? SCALAR : NO
  return narrowOk(size, 4) ? SCALAR : NO
}

/** The pointer kind a data/data_end/data_meta load yields once the common rules allowed it. */
function withPointers(v: CtxVerdict, off: number, meta: boolean): CtxVerdict {
  if (!v.ok || v.yields !== T.SCALAR) return v
  if (inField(off, F.data)) return yields(T.PKT)
  if (inField(off, F.dataEnd)) return yields(T.PKT_END)
  if (meta && inField(off, F.dataMeta)) return yields(T.PKT_META)
  return v
}

function socketFilter(off: number, size: number, write: boolean, signed: boolean): CtxVerdict {
  if (
    inField(off, F.tcClassid) ||
    inField(off, F.data) ||
    inField(off, F.dataMeta) ||
    inField(off, F.dataEnd) ||
    inTill(off, F.family, F.localPort) ||
    inField(off, F.tstamp) ||
    inField(off, F.wireLen) ||
    inField(off, F.hwtstamp)
  )
    return NO
  if (write && !inField(off, F.cb)) return NO
  return skbCommon(off, size, write, signed)
}

function tc(off: number, size: number, write: boolean, signed: boolean): CtxVerdict {
  if (write) {
    const w =
      inField(off, F.mark) ||
      inField(off, F.tcIndex) ||
      inField(off, F.priority) ||
      inField(off, F.tcClassid) ||
      inField(off, F.cb) ||
      inField(off, F.tstamp) ||
      inField(off, F.queueMapping)
    if (!w) return NO
  }
  if (inTill(off, F.family, F.localPort)) return NO
  if (off === F.tstampType[0]) return size === 1 ? SCALAR : NO
  return withPointers(skbCommon(off, size, write, signed), off, true)
}

function cgroupSkb(off: number, size: number, write: boolean, signed: boolean): CtxVerdict {
  if (inField(off, F.tcClassid) || inField(off, F.dataMeta) || inField(off, F.wireLen)) return NO
  const writable =
    inField(off, F.mark) || inField(off, F.priority) || inField(off, F.cb) || inField(off, F.tstamp)
  if (write && !writable) return NO
  return withPointers(skbCommon(off, size, write, signed), off, false)
}

function lwt(off: number, size: number, write: boolean, signed: boolean): CtxVerdict {
  if (
    inField(off, F.tcClassid) ||
    inTill(off, F.family, F.localPort) ||
    inField(off, F.dataMeta) ||
    inField(off, F.tstamp) ||
    inField(off, F.wireLen) ||
    inField(off, F.hwtstamp)
  )
    return NO
  if (write && !(inField(off, F.mark) || inField(off, F.priority) || inField(off, F.cb))) return NO
  return withPointers(skbCommon(off, size, write, signed), off, false)
}

function skSkb(off: number, size: number, write: boolean, signed: boolean): CtxVerdict {
  if (
    inField(off, F.tcClassid) ||
    inField(off, F.dataMeta) ||
    inField(off, F.tstamp) ||
    inField(off, F.wireLen) ||
    inField(off, F.hwtstamp)
  )
    return NO
  if (write && !(inField(off, F.tcIndex) || inField(off, F.priority))) return NO
  if (inField(off, F.mark)) return NO
  return withPointers(skbCommon(off, size, write, signed), off, false)
}

function flowDissector(off: number, size: number, write: boolean, signed: boolean): CtxVerdict {
  if (off < 0 || off >= SKB_SIZE || off % size !== 0 || write) return NO
  if (inField(off, F.data)) return signed || size !== 4 ? NO : yields(T.PKT)
  if (inField(off, F.dataEnd)) return signed || size !== 4 ? NO : yields(T.PKT_END)
  if (inField(off, F.flowKeys)) return size === 8 ? yields(T.FLOW_KEYS) : NO
  return NO
}

/** `__sk_buff` rules of `t`, or undefined when `t`'s context is not a `__sk_buff`. */
export function skbAccess(
  t: ProgType,
  off: number,
  size: number,
  write: boolean,
  signed: boolean
): CtxVerdict | undefined {
  switch (t) {
    case 'socket_filter':
      return socketFilter(off, size, write, signed)
    case 'sched_cls':
    case 'sched_act':
      return tc(off, size, write, signed)
    case 'cgroup_skb':
      return cgroupSkb(off, size, write, signed)
    case 'lwt_in':
    case 'lwt_out':
    case 'lwt_xmit':
    case 'lwt_seg6local':
      return lwt(off, size, write, signed)
    case 'sk_skb':
      return skSkb(off, size, write, signed)
    case 'flow_dissector':
      return flowDissector(off, size, write, signed)
    default:
      return undefined
  }
}
