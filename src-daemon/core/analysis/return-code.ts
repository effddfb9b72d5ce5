/** @fileoverview The return values each program type may exit with (the kernel's check_return_code). */
import type { BtfTarget } from './btf-target'
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

/** LSM hooks whose programs return a bool-like 0 or 1 (the kernel's bool_lsm_hooks). */
const BOOL_LSM_HOOKS: ReadonlySet<string> = new Set([
  'bpf_lsm_audit_rule_known',
  'bpf_lsm_inode_xattr_skipcap'
])

/**
 * LSM (bpf_lsm_get_retval_range): void hooks return anything, bool-like hooks 0 or 1, other int
 * hooks 0 or a negative errno. Without the hook's prototype: 0, what every int hook allows.
 */
export function lsmRange(target: BtfTarget | undefined): readonly [bigint, bigint] | undefined {
  if (target === undefined) return [0n, 0n]
  if (target.ret.kind === 'other' && target.ret.what === 'void') return undefined
  if (BOOL_LSM_HOOKS.has(target.name)) return [0n, 1n]
  return [-4095n, 0n]
}

/** The range r0 must lie in at the main program's exit, or undefined when any value is allowed. */
export function returnRange(
  t: ProgType,
  attach: AttachType | undefined,
  target?: BtfTarget
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
    case 'lsm':
      return attach === 'lsm_cgroup' ? [1n, 1n] : lsmRange(target)
    default:
      return undefined
  }
}

/**
 * Signed bounds of r0's low 32 bits (LSM hooks check the 32-bit subregister), or the full signed
 * range when the analysis cannot tell them from the 64-bit bounds.
 */
function low32(r: Reg): [bigint, bigint] {
  if (r.tm === 0n) {
    const v = BigInt.asIntN(32, r.tv)
    return [v, v]
  }
  if (r.smin >= -(1n << 31n) && r.smax < 1n << 31n) return [r.smin, r.smax]
  if (r.umin >> 32n === r.umax >> 32n) {
    const a = BigInt.asIntN(32, r.umin)
    const b = BigInt.asIntN(32, r.umax)
    if (a <= b) return [a, b]
  }
  return [-(1n << 31n), (1n << 31n) - 1n]
}

/** Checks r0 at the main program's exit against the type's return range. */
export function checkReturnCode(
  t: ProgType,
  attach: AttachType | undefined,
  r0: Reg,
  target?: BtfTarget
): void {
  const range = returnRange(t, attach, target)
  if (range === undefined) return
  if (r0.type !== T.SCALAR) {
    throw new Reject(
      'VERIFY_RETURN_CODE',
      `At program exit the register R0 is not a known value (${TYPE_NAMES[r0.type] ?? '?'})`
    )
  }
  const [lo, hi] = t === 'lsm' && attach !== 'lsm_cgroup' ? low32(r0) : [r0.smin, r0.smax]
  if (lo < range[0] || hi > range[1]) {
    throw new Reject(
      'VERIFY_RETURN_CODE',
      `At program exit the register R0 has smin=${r0.smin} smax=${r0.smax} should have been in [${range[0]}, ${range[1]}]`
    )
  }
}
