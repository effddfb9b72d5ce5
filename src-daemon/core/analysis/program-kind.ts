/**
 * @fileoverview Kernel program types and expected attach types by name and number, and the
 * expected attach type libbpf gives a section name (facts of linux/bpf.h and libbpf's section
 * table; the context rules depend on both).
 */

/** `enum bpf_prog_type` by the kernel's lower-case names. */
export const KERNEL_PROG_TYPES = {
  socket_filter: 1,
  kprobe: 2,
  sched_cls: 3,
  sched_act: 4,
  tracepoint: 5,
  xdp: 6,
  perf_event: 7,
  cgroup_skb: 8,
  cgroup_sock: 9,
  lwt_in: 10,
  lwt_out: 11,
  lwt_xmit: 12,
  sock_ops: 13,
  sk_skb: 14,
  cgroup_device: 15,
  sk_msg: 16,
  raw_tracepoint: 17,
  cgroup_sock_addr: 18,
  lwt_seg6local: 19,
  lirc_mode2: 20,
  sk_reuseport: 21,
  flow_dissector: 22,
  cgroup_sysctl: 23,
  raw_tracepoint_writable: 24,
  cgroup_sockopt: 25,
  tracing: 26,
  struct_ops: 27,
  ext: 28,
  lsm: 29,
  sk_lookup: 30,
  syscall: 31,
  netfilter: 32
} as const

/** A kernel program type name. */
export type KernelProgType = keyof typeof KERNEL_PROG_TYPES

/** `enum bpf_attach_type` by lower-case name without the `BPF_` prefix. */
export const ATTACH_TYPES = {
  cgroup_inet_ingress: 0,
  cgroup_inet_egress: 1,
  cgroup_inet_sock_create: 2,
  cgroup_sock_ops: 3,
  sk_skb_stream_parser: 4,
  sk_skb_stream_verdict: 5,
  cgroup_device: 6,
  sk_msg_verdict: 7,
  cgroup_inet4_bind: 8,
  cgroup_inet6_bind: 9,
  cgroup_inet4_connect: 10,
  cgroup_inet6_connect: 11,
  cgroup_inet4_post_bind: 12,
  cgroup_inet6_post_bind: 13,
  cgroup_udp4_sendmsg: 14,
  cgroup_udp6_sendmsg: 15,
  lirc_mode2: 16,
  flow_dissector: 17,
  cgroup_sysctl: 18,
  cgroup_udp4_recvmsg: 19,
  cgroup_udp6_recvmsg: 20,
  cgroup_getsockopt: 21,
  cgroup_setsockopt: 22,
  trace_raw_tp: 23,
  trace_fentry: 24,
  trace_fexit: 25,
  modify_return: 26,
  lsm_mac: 27,
  trace_iter: 28,
  cgroup_inet4_getpeername: 29,
  cgroup_inet6_getpeername: 30,
  cgroup_inet4_getsockname: 31,
  cgroup_inet6_getsockname: 32,
  xdp_devmap: 33,
  cgroup_inet_sock_release: 34,
  xdp_cpumap: 35,
  sk_lookup: 36,
  xdp: 37,
  sk_skb_verdict: 38,
  sk_reuseport_select: 39,
  sk_reuseport_select_or_migrate: 40,
  perf_event: 41,
  trace_kprobe_multi: 42,
  lsm_cgroup: 43,
  struct_ops: 44,
  netfilter: 45,
  tcx_ingress: 46,
  tcx_egress: 47,
  trace_uprobe_multi: 48,
  cgroup_unix_connect: 49,
  cgroup_unix_sendmsg: 50,
  cgroup_unix_recvmsg: 51,
  cgroup_unix_getpeername: 52,
  cgroup_unix_getsockname: 53,
  netkit_primary: 54,
  netkit_peer: 55,
  trace_kprobe_session: 56
} as const

/** An expected attach type name. */
export type AttachType = keyof typeof ATTACH_TYPES

/**
 * Section names (exact, or a prefix followed by `/`) whose programs libbpf loads with an
 * expected attach type; longer names first. Types whose context does not depend on the
 * attach type (xdp, tc, sk_msg, flow_dissector, ...) are listed only where it matters.
 */
const SECTION_ATTACH: readonly (readonly [string, AttachType])[] = [
  ['cgroup_skb/ingress', 'cgroup_inet_ingress'],
  ['cgroup_skb/egress', 'cgroup_inet_egress'],
  ['cgroup/sock_create', 'cgroup_inet_sock_create'],
  ['cgroup/sock_release', 'cgroup_inet_sock_release'],
  ['cgroup/sock', 'cgroup_inet_sock_create'],
  ['cgroup/post_bind4', 'cgroup_inet4_post_bind'],
  ['cgroup/post_bind6', 'cgroup_inet6_post_bind'],
  ['cgroup/bind4', 'cgroup_inet4_bind'],
  ['cgroup/bind6', 'cgroup_inet6_bind'],
  ['cgroup/connect4', 'cgroup_inet4_connect'],
  ['cgroup/connect6', 'cgroup_inet6_connect'],
  ['cgroup/connect_unix', 'cgroup_unix_connect'],
  ['cgroup/sendmsg4', 'cgroup_udp4_sendmsg'],
  ['cgroup/sendmsg6', 'cgroup_udp6_sendmsg'],
  ['cgroup/sendmsg_unix', 'cgroup_unix_sendmsg'],
  ['cgroup/recvmsg4', 'cgroup_udp4_recvmsg'],
  ['cgroup/recvmsg6', 'cgroup_udp6_recvmsg'],
  ['cgroup/recvmsg_unix', 'cgroup_unix_recvmsg'],
  ['cgroup/getpeername4', 'cgroup_inet4_getpeername'],
  ['cgroup/getpeername6', 'cgroup_inet6_getpeername'],
  ['cgroup/getpeername_unix', 'cgroup_unix_getpeername'],
  ['cgroup/getsockname4', 'cgroup_inet4_getsockname'],
  ['cgroup/getsockname6', 'cgroup_inet6_getsockname'],
  ['cgroup/getsockname_unix', 'cgroup_unix_getsockname'],
  ['cgroup/sysctl', 'cgroup_sysctl'],
  ['cgroup/getsockopt', 'cgroup_getsockopt'],
  ['cgroup/setsockopt', 'cgroup_setsockopt'],
  ['cgroup/dev', 'cgroup_device'],
  ['sockops', 'cgroup_sock_ops'],
  ['sk_skb/stream_parser', 'sk_skb_stream_parser'],
  ['sk_skb/stream_verdict', 'sk_skb_stream_verdict'],
  ['sk_skb/verdict', 'sk_skb_verdict'],
  ['sk_msg', 'sk_msg_verdict'],
  ['flow_dissector', 'flow_dissector'],
  ['sk_lookup', 'sk_lookup'],
  ['sk_reuseport/migrate', 'sk_reuseport_select_or_migrate'],
  ['sk_reuseport', 'sk_reuseport_select'],
  ['xdp.frags/devmap', 'xdp_devmap'],
  ['xdp/devmap', 'xdp_devmap'],
  ['xdp.frags/cpumap', 'xdp_cpumap'],
  ['xdp/cpumap', 'xdp_cpumap'],
  ['tp_btf', 'trace_raw_tp'],
  ['fentry', 'trace_fentry'],
  ['fexit', 'trace_fexit'],
  ['fmod_ret', 'modify_return'],
  ['lsm_cgroup', 'lsm_cgroup'],
  ['lsm', 'lsm_mac'],
  ['iter', 'trace_iter'],
  ['kprobe.multi', 'trace_kprobe_multi'],
  ['kretprobe.multi', 'trace_kprobe_multi'],
  ['kprobe.session', 'trace_kprobe_session'],
  ['uprobe.multi', 'trace_uprobe_multi'],
  ['uretprobe.multi', 'trace_uprobe_multi'],
  ['lirc_mode2', 'lirc_mode2']
]

/** The expected attach type libbpf loads a program of section `section` with (undefined: none). */
export function attachTypeOfSection(section: string): AttachType | undefined {
  for (const [name, attach] of SECTION_ATTACH) {
    if (section === name) return attach
    if (!section.startsWith(name)) continue
    const next = section[name.length]
    if (next === '/' || next === '+' || next === '.') {
      // `lsm.s/...`, `fentry.s/...` are sleepable variants of the same attach type.
      if (next !== '.' || section.startsWith(`${name}.s`)) return attach
    }
  }
  return undefined
}

/** Whether the section name marks a sleepable program (`fentry.s/...`, `lsm.s/...`, `uprobe.s`). */
export function isSleepableSection(section: string): boolean {
  return /^[a-z_]+(\.multi|\.session)?\.s([/+]|$)/.test(section)
}
