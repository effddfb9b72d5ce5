/** @fileoverview Numeric kernel BPF constants (program types, map types, XDP and tc verdicts). */

/** `enum bpf_prog_type` values used by Summit. */
export const ProgType = {
  socketFilter: 1,
  kprobe: 2,
  schedCls: 3,
  schedAct: 4,
  tracepoint: 5,
  xdp: 6,
  perfEvent: 7,
  cgroupSkb: 8,
  lwtIn: 10,
  lwtOut: 11,
  lwtXmit: 12,
  skSkb: 14,
  rawTracepoint: 17
} as const

/** Name of a program type in `ProgType`. */
export type ProgTypeName = keyof typeof ProgType

/** `enum bpf_map_type` values. */
export const MapType = {
  hash: 1,
  array: 2,
  progArray: 3,
  perfEventArray: 4,
  percpuHash: 5,
  percpuArray: 6,
  stackTrace: 7,
  cgroupArray: 8,
  lruHash: 9,
  lruPercpuHash: 10,
  lpmTrie: 11,
  arrayOfMaps: 12,
  hashOfMaps: 13,
  devmap: 14,
  sockmap: 15,
  cpumap: 16,
  xskmap: 17,
  sockhash: 18,
  queue: 22,
  stack: 23,
  devmapHash: 25,
  ringbuf: 27
} as const

/** XDP verdicts (`enum xdp_action`). */
export const XdpAction = { aborted: 0, drop: 1, pass: 2, tx: 3, redirect: 4 } as const

/** Map update flags. */
export const MapUpdateFlag = { any: 0, noExist: 1, exist: 2 } as const

/** Per-CPU map types: userspace sees one 8-byte-aligned value slot per possible CPU. */
export function isPerCpuMapType(type: number): boolean {
  return type === 5 || type === 6 || type === 10 || type === 21
}

/** Map types whose entries cannot be listed with BPF_MAP_GET_NEXT_KEY from userspace. */
export function isUndumpableMapType(type: number): boolean {
  return type === 22 || type === 23 || type === 27 || type === 4 || type === 31
}

/**
 * Program types whose BPF_PROG_TEST_RUN takes a packet (data in/out, repeat); others either
 * take only a context (raw_tracepoint) or have no test run at all.
 */
export function isPacketProgType(type: number): boolean {
  return [1, 3, 4, 6, 8, 10, 11, 12, 14].includes(type)
}

/**
 * Map types whose contents are data both programs of a comparison must leave equal: hash, array,
 * their per-CPU and LRU forms and LPM tries. Others hold kernel objects (programs, maps, devices,
 * sockets: ids differ between loads) or cannot be listed (ring buffers, queues, perf arrays).
 */
export function isComparableMapType(type: number): boolean {
  return [1, 2, 5, 6, 9, 10, 11].includes(type)
}

/** Kernel program type names (`enum bpf_prog_type` without the prefix, lower case), by value. */
const PROG_TYPE_NAMES: readonly string[] = [
  'unspec',
  'socket_filter',
  'kprobe',
  'sched_cls',
  'sched_act',
  'tracepoint',
  'xdp',
  'perf_event',
  'cgroup_skb',
  'cgroup_sock',
  'lwt_in',
  'lwt_out',
  'lwt_xmit',
  'sock_ops',
  'sk_skb',
  'cgroup_device',
  'sk_msg',
  'raw_tracepoint',
  'cgroup_sock_addr',
  'lwt_seg6local',
  'lirc_mode2',
  'sk_reuseport',
  'flow_dissector',
  'cgroup_sysctl',
  'raw_tracepoint_writable',
  'cgroup_sockopt',
  'tracing',
  'struct_ops',
  'ext',
  'lsm',
  'sk_lookup',
  'syscall',
  'netfilter'
]

/** Short names users also type. */
const PROG_TYPE_ALIASES: Readonly<Record<string, number>> = {
  tc: 3,
  classifier: 3,
  action: 4,
  socket: 1,
  raw_tp: 17
}

/** The name of a program type (`type N` for values past the table). */
export function progTypeName(type: number): string {
  return PROG_TYPE_NAMES[type] ?? `type ${type}`
}

/** The program type a name (or alias such as `tc`) stands for; undefined when unknown. */
export function progTypeByName(name: string): number | undefined {
  const i = PROG_TYPE_NAMES.indexOf(name)
  if (i > 0) return i
  return PROG_TYPE_ALIASES[name]
}

/** Every program type name accepted by `progTypeByName`. */
export function progTypeNames(): string[] {
  return [...PROG_TYPE_NAMES.slice(1), ...Object.keys(PROG_TYPE_ALIASES)]
}
