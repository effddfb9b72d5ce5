/** @fileoverview Which context bytes each program type may read or write, and what loads of them yield. */
import { NO, SCALAR, skbAccess, SKB_SIZE, yields, type CtxVerdict } from './ctx-skb'
import {
  cgroupSockCtx,
  sockAddrCtx,
  sockoptCtx,
  sockOpsCtx,
  skLookupCtx,
  skMsgCtx,
  skReuseportCtx
} from './ctx-sock'
import {
  cgroupDeviceCtx,
  kprobeCtx,
  lircCtx,
  perfEventCtx,
  rawTracepointCtx,
  rawTracepointWritableCtx,
  sysctlCtx,
  tracepointCtx,
  TRACING_ARGS_SIZE
} from './ctx-trace'
import { FLAT_CONTEXT_SIZES, isStructContext, STRUCT_CONTEXTS } from '../interp/contexts'
import type { AttachType } from './program-kind'
import { T, type ProgType } from './types'

export type { CtxVerdict } from './ctx-skb'

/** Program types whose context the kernel types from BTF (not modelled: every access is refused). */
export const BTF_CONTEXT: ReadonlySet<ProgType> = new Set<ProgType>([
  'tracing',
  'lsm',
  'ext',
  'struct_ops',
  'netfilter'
])

/** Size of a program type's context (flat contexts: the kernel's limit). */
export function defaultCtxSize(t: ProgType): number {
  if (isStructContext(t)) return STRUCT_CONTEXTS[t].size
  const flat = FLAT_CONTEXT_SIZES[t]
  if (flat !== undefined) return flat
  switch (t) {
    case 'xdp':
      return 24
    case 'tracing':
    case 'lsm':
      return TRACING_ARGS_SIZE
    case 'plain':
      return 0
    case 'syscall':
      return 65535
    default:
      return SKB_SIZE
  }
}

function xdp(off: number, size: number, write: boolean, signed: boolean, attach?: AttachType) {
  if (off === 20 && attach !== 'xdp_devmap') return NO
  if (write || off < 0 || off >= 24 || off % size !== 0 || size !== 4) return NO
  if (off === 0) return signed ? NO : yields(T.PKT)
  if (off === 4) return signed ? NO : yields(T.PKT_END)
  if (off === 8) return signed ? NO : yields(T.PKT_META)
  return SCALAR
}

/** How a context access is made. */
export interface CtxAccess {
  readonly off: number
  readonly size: number
  readonly write: boolean
  /** A sign-extending load (BPF_MEMSX). */
  readonly signed?: boolean
}

/**
 * Checks an access at context offset `off` (the kernel's is_valid_access of the program type
 * and attach type). Flat contexts (tracepoint, plain) are also bounded by `ctxSize`.
 */
export function ctxAccess(
  t: ProgType,
  a: CtxAccess,
  ctxSize: number,
  attach?: AttachType
): CtxVerdict {
  const { off, size, write } = a
  const signed = a.signed ?? false
  const skb = skbAccess(t, off, size, write, signed)
  if (skb !== undefined) return skb
  switch (t) {
    case 'xdp':
      return xdp(off, size, write, signed, attach)
    case 'kprobe':
      return kprobeCtx(off, size, write)
    case 'tracepoint':
      return tracepointCtx(off, size, write, ctxSize)
    case 'raw_tracepoint':
      return rawTracepointCtx(off, size, write)
    case 'raw_tracepoint_writable':
      return rawTracepointWritableCtx(off, size, write)
    case 'perf_event':
      return perfEventCtx(off, size, write)
    case 'cgroup_sock':
      return cgroupSockCtx(off, size, write, attach)
    case 'cgroup_sock_addr':
      return sockAddrCtx(off, size, write, attach)
    case 'sock_ops':
      return sockOpsCtx(off, size, write)
    case 'sk_msg':
      return skMsgCtx(off, size, write)
    case 'sk_reuseport':
      return skReuseportCtx(off, size, write)
    case 'sk_lookup':
      return skLookupCtx(off, size, write)
    case 'cgroup_sockopt':
      return sockoptCtx(off, size, write, attach)
    case 'cgroup_device':
      return cgroupDeviceCtx(off, size, write)
    case 'cgroup_sysctl':
      return sysctlCtx(off, size, write)
    case 'lirc_mode2':
      return lircCtx(off, size, write)
    case 'syscall':
      return off >= 0 && off < 65535 && off % size === 0 && off + size <= ctxSize ? SCALAR : NO
    case 'plain':
      return off >= 0 && off + size <= ctxSize ? SCALAR : NO
    default:
      return NO
  }
}
