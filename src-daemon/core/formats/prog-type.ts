/** @fileoverview Guesses a program's BPF program type from its ELF section name (libbpf conventions). */

/** A guessed program type: the kernel enum value, its name, and the attach target if any. */
export interface ProgramTypeGuess {
  /** BPF_PROG_TYPE_* value (0 = unknown/unspecified). */
  readonly progType: number
  /** Short name, e.g. `xdp`, `sched_cls`, `kprobe` ('unknown' when unrecognised). */
  readonly name: string
  /** Text after the prefix (e.g. the kprobe function or tracepoint), when present. */
  readonly attachTo?: string
}

/** [section prefix, program type number, program type name]; longer prefixes come first. */
const PREFIXES: readonly (readonly [string, number, string])[] = [
  ['socket', 1, 'socket_filter'],
  ['sk_reuseport/migrate', 21, 'sk_reuseport'],
  ['sk_reuseport', 21, 'sk_reuseport'],
  ['kprobe.multi', 2, 'kprobe'],
  ['kretprobe.multi', 2, 'kprobe'],
  ['kprobe', 2, 'kprobe'],
  ['uprobe', 2, 'kprobe'],
  ['kretprobe', 2, 'kprobe'],
  ['uretprobe', 2, 'kprobe'],
  ['usdt', 2, 'kprobe'],
  ['ksyscall', 2, 'kprobe'],
  ['kretsyscall', 2, 'kprobe'],
  ['classifier', 3, 'sched_cls'],
  ['tc', 3, 'sched_cls'],
  ['action', 4, 'sched_act'],
  ['tracepoint', 5, 'tracepoint'],
  ['tp_btf', 26, 'tracing'],
  ['tp', 5, 'tracepoint'],
  ['raw_tracepoint.w', 24, 'raw_tracepoint_writable'],
  ['raw_tp.w', 24, 'raw_tracepoint_writable'],
  ['raw_tracepoint', 17, 'raw_tracepoint'],
  ['raw_tp', 17, 'raw_tracepoint'],
  ['xdp.frags', 6, 'xdp'],
  ['xdp_devmap', 6, 'xdp'],
  ['xdp_cpumap', 6, 'xdp'],
  ['xdp', 6, 'xdp'],
  ['perf_event', 7, 'perf_event'],
  ['cgroup_skb', 8, 'cgroup_skb'],
  ['cgroup/skb', 8, 'cgroup_skb'],
  ['cgroup/sock_create', 9, 'cgroup_sock'],
  ['cgroup/sock_release', 9, 'cgroup_sock'],
  ['cgroup/sock', 9, 'cgroup_sock'],
  ['cgroup/post_bind', 9, 'cgroup_sock'],
  ['cgroup/dev', 15, 'cgroup_device'],
  ['cgroup/sysctl', 23, 'cgroup_sysctl'],
  ['cgroup/getsockopt', 25, 'cgroup_sockopt'],
  ['cgroup/setsockopt', 25, 'cgroup_sockopt'],
  ['cgroup/', 18, 'cgroup_sock_addr'],
  ['lwt_in', 10, 'lwt_in'],
  ['lwt_out', 11, 'lwt_out'],
  ['lwt_xmit', 12, 'lwt_xmit'],
  ['lwt_seg6local', 19, 'lwt_seg6local'],
  ['sockops', 13, 'sock_ops'],
  ['sk_skb', 14, 'sk_skb'],
  ['sk_msg', 16, 'sk_msg'],
  ['lirc_mode2', 20, 'lirc_mode2'],
  ['flow_dissector', 22, 'flow_dissector'],
  ['struct_ops', 27, 'struct_ops'],
  ['fentry', 26, 'tracing'],
  ['fexit', 26, 'tracing'],
  ['fmod_ret', 26, 'tracing'],
  ['iter', 26, 'tracing'],
  ['freplace', 28, 'ext'],
  ['lsm', 29, 'lsm'],
  ['sk_lookup', 30, 'sk_lookup'],
  ['syscall', 31, 'syscall'],
  ['netfilter', 32, 'netfilter']
]

/**
 * Guesses the program type of a section name the way libbpf does: an exact name or a prefix
 * followed by `/` (plus a few legacy prefixes without a separator, e.g. `socket1`, `xdp_prog`).
 */
export function guessProgramType(section: string): ProgramTypeGuess {
  for (const [prefix, progType, name] of PREFIXES) {
    if (section === prefix) return { progType, name }
    const rest = section.slice(prefix.length)
    if (!section.startsWith(prefix)) continue
    if (prefix.endsWith('/')) return { progType, name, attachTo: rest }
    if (rest.startsWith('/') || rest.startsWith('+'))
      return { progType, name, attachTo: rest.slice(1) }
    // Legacy libbpf accepted bare prefixes for a few types (socket1, xdp_pass, classifier_x).
    if (prefix === 'socket' || prefix === 'xdp' || prefix === 'classifier' || prefix === 'kprobe')
      return { progType, name }
  }
  return { progType: 0, name: 'unknown' }
}

/** Every program type name Summit knows, with its BPF_PROG_TYPE_* value (as in `--type`). */
export const PROGRAM_TYPES: ReadonlyMap<string, number> = new Map(
  PREFIXES.map(([, progType, name]) => [name, progType] as const).sort((a, b) => a[1] - b[1])
)

/** The program type called `name` (a `--type` value), or undefined when there is none. */
export function programTypeByName(name: string): ProgramTypeGuess | undefined {
  const progType = PROGRAM_TYPES.get(name)
  return progType === undefined ? undefined : { progType, name }
}
