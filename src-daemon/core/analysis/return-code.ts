/** @fileoverview The return values each program type may exit with (the kernel's check_return_code). */
import type { AttachType } from './program-kind'
import { Reject, T, TYPE_NAMES, type ProgType, type Reg } from './types'

const RETURN_ONE: readonly AttachType[] = [
  'cgroup_udp4_recvmsg',
  'cgroup_udp6_recvmsg',
  'cgroup_unix_recvmsg',
  'cgroup_inet4_getpeername',
  'cgroup_inet6_getpeername',
  'cgroup_unix_getpeername',
  'cgroup_inet4_getsockname',
  'cgroup_inet6_getsockname',
  'cgroup_unix_getsockname'
]

/** The range r0 must lie in at the main program's exit, or undefined when any value is allowed. */
export function returnRange(
  t: ProgType,
  attach: AttachType | undefined
): readonly [bigint, bigint] | undefined {
  switch (t) {
    case 'cgroup_sock_addr':
      if (attach !== undefined && RETURN_ONE.includes(attach)) return [1n, 1n]
      if (attach === 'cgroup_inet4_bind' || attach === 'cgroup_inet6_bind') return [0n, 3n]
      return [0n, 1n]
    case 'cgroup_skb':
      return attach === 'cgroup_inet_egress' ? [0n, 3n] : [0n, 1n]
    case 'cgroup_sock':
    case 'sock_ops':
    case 'cgroup_device':
    case 'cgroup_sysctl':
    case 'cgroup_sockopt':
    case 'sk_lookup':
    case 'netfilter':
      return [0n, 1n]
    case 'kprobe':
      return attach === 'trace_kprobe_session' ? [0n, 1n] : undefined
    case 'tracing':
      return attach === 'trace_fentry' || attach === 'trace_fexit' ? [0n, 0n] : undefined
    default:
      return undefined
  }
}

/** Checks r0 at the main program's exit against the type's return range. */
export function checkReturnCode(t: ProgType, attach: AttachType | undefined, r0: Reg): void {
  const range = returnRange(t, attach)
  if (range === undefined) return
  if (r0.type !== T.SCALAR) {
    throw new Reject(
      'VERIFY_RETURN_CODE',
      `At program exit the register R0 is not a known value (${TYPE_NAMES[r0.type] ?? '?'})`
    )
  }
  if (r0.smin < range[0] || r0.smax > range[1]) {
    throw new Reject(
      'VERIFY_RETURN_CODE',
      `At program exit the register R0 has smin=${r0.smin} smax=${r0.smax} should have been in [${range[0]}, ${range[1]}]`
    )
  }
}
