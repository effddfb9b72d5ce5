/**
 * @fileoverview Helper prototypes the analysis checks calls against: argument kinds, result,
 * which program (and attach) types may call each, and which map types each accepts.
 */
import { HELPER_ROWS, type HelperRow } from './helper-table'
import { KERNEL_PROG_TYPES, type AttachType } from './program-kind'
import { MapType, type ProgType } from './types'

/** What a helper argument must be (the kernel's ARG_* kinds). */
export type ArgKind =
  | 'anything'
  | 'scalar'
  | 'ctx'
  | 'ctx_or_null'
  | 'map'
  | 'key'
  | 'value'
  | 'value_or_null'
  | 'uninit_value'
  | 'mem'
  | 'mem_or_null'
  | 'mem_write'
  | 'mem_write_or_null'
  | 'uninit_mem'
  | 'size'
  | 'size_or_zero'
  | 'const_alloc_size'
  | 'ringbuf_mem'
  | 'sock_common'
  | 'socket_or_null'
  | 'btf_sock_common'
  | 'btf_sock_common_or_null'
  | 'release_sock'
  | 'fixed_mem'
  | 'fixed_mem_write'
  | 'fixed_uninit_mem'
  | 'btf_id'
  | 'btf_id_or_null'
  | 'release_btf_id_or_null'
  | 'func'
  | 'stack_or_null'
  | 'timer'
  | 'spin_lock'
  | 'const_str'
  | 'kptr'
  | 'percpu_btf_id'
  | 'dynptr'

/** One argument of a prototype. */
export interface HelperArg {
  readonly kind: ArgKind
  /** Fixed-size memory arguments: the size. */
  readonly size?: number
  /** Fixed-size memory arguments that must be aligned to their size. */
  readonly aligned?: boolean
  /** BTF arguments: the kernel type's name. */
  readonly btf?: string
}

/** What a helper leaves in r0. */
export type HelperRet =
  | 'int'
  | 'void'
  | 'map_value_or_null'
  | 'map_value'
  | 'socket_or_null'
  | 'tcp_sock_or_null'
  | 'sock_common_or_null'
  | 'ringbuf_mem_or_null'
  | 'btf_id_or_null'
  | 'btf_id'
  | 'percpu_or_null'
  | 'percpu'
  | 'dynptr_mem_or_null'

/** A helper prototype (one variant). */
export interface HelperSpec {
  /** Kernel helper id. */
  readonly id: number
  /** Name without the `bpf_` prefix. */
  readonly name: string
  /** Arguments r1, r2, ... */
  readonly args: readonly HelperArg[]
  /** Result kind in r0. */
  readonly ret: HelperRet
  /** BTF results: the kernel type's name. */
  readonly retBtf?: string
  /** Program types that get this variant. */
  readonly progs: ReadonlySet<ProgType>
  /** The kernel also checks an allow list of attach targets (not modelled: refused). */
  readonly allowlist: boolean
  /** Invalidates packet pointers (bpf_helper_changes_pkt_data). */
  readonly changesPkt: boolean
  /** May take packet pointers as memory arguments (the prototype's pkt_access). */
  readonly pktAccess: boolean
}

/**
 * Helpers that may move or resize packet data (bpf_helper_changes_pkt_data). Linux 6.13 to 6.17
 * (and stable 6.12.y) also count tail calls; 6.18 does not ("bpf: tail calls do not modify
 * packet data", October 2025): a tail call that returns did not run its target.
 */
const CHANGES_PKT: ReadonlySet<number> = new Set([
  9, 10, 11, 13, 18, 19, 31, 38, 39, 43, 44, 50, 54, 63, 65, 73, 74, 75, 76, 90, 91, 143
])

/** Helpers whose prototype sets pkt_access. */
const PKT_ACCESS: ReadonlySet<number> = new Set([
  1, 2, 3, 28, 53, 70, 84, 85, 87, 99, 100, 110, 195, 204, 205, 206, 207
])

const ALL_TYPES = Object.keys(KERNEL_PROG_TYPES) as ProgType[]

/** Parses a row's program type list (`*`, `* -a -b`, or names). */
function progsOf(text: string): Set<ProgType> {
  const words = text.split(' ')
  if (words[0] !== '*') return new Set(words as ProgType[])
  const out = new Set<ProgType>(ALL_TYPES)
  for (const w of words.slice(1)) out.delete(w.slice(1) as ProgType)
  out.add('plain')
  return out
}

function argOf(text: string): HelperArg {
  const [head, tail] = text.split('/') as [string, string | undefined]
  if (head.startsWith('fixed_')) {
    const aligned = head.endsWith('_aligned')
    const kind = (aligned ? head.slice(0, -'_aligned'.length) : head) as ArgKind
    return { kind, size: Number(tail), aligned }
  }
  return tail === undefined ? { kind: head as ArgKind } : { kind: head as ArgKind, btf: tail }
}

function specOf(row: HelperRow): HelperSpec {
  const [id, name, ret, args, progs, allow] = row
  const [retKind, retBtf] = ret.split('/') as [string, string | undefined]
  return {
    id,
    name,
    ret: retKind as HelperRet,
    ...(retBtf !== undefined ? { retBtf } : {}),
    args: args.map(argOf),
    progs: progsOf(progs),
    allowlist: allow === 'allowlist',
    changesPkt: CHANGES_PKT.has(id),
    pktAccess: PKT_ACCESS.has(id)
  }
}

const VARIANTS: ReadonlyMap<number, readonly HelperSpec[]> = (() => {
  const m = new Map<number, HelperSpec[]>()
  for (const row of HELPER_ROWS) {
    const spec = specOf(row)
    const list = m.get(spec.id) ?? []
    list.push(spec)
    m.set(spec.id, list)
  }
  return m
})()

/** The first prototype of each helper id (its name and usual shape). */
export const HELPERS: ReadonlyMap<number, HelperSpec> = new Map(
  [...VARIANTS].map(([id, list]) => [id, list[0] as HelperSpec])
)

const CGROUP_NO_RETVAL: readonly AttachType[] = [
  'cgroup_inet_ingress',
  'cgroup_inet_egress',
  'cgroup_sock_ops',
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

/**
 * Availability the prototype tables leave to the attach type or a kernel option. Returns false
 * when the kernel's func_proto would answer NULL for this combination.
 */
function attachAllows(id: number, t: ProgType, attach: AttachType | undefined): boolean {
  const a = attach ?? 'cgroup_inet_ingress'
  switch (id) {
    case 58:
      // override_return needs CONFIG_BPF_KPROBE_OVERRIDE, off in common distribution kernels.
      return false
    case 64:
      return a === 'cgroup_inet4_connect' || a === 'cgroup_inet6_connect'
    case 49:
    case 57:
      if (t === 'cgroup_sockopt') return a === 'cgroup_setsockopt'
      if (t === 'cgroup_sock_addr')
        return a !== 'cgroup_unix_getpeername' && a !== 'cgroup_unix_getsockname'
      return t !== 'lsm'
    case 186:
    case 187:
      return !CGROUP_NO_RETVAL.includes(a)
    case 126:
    case 127:
    case 150:
      return t === 'tracing' && a === 'trace_iter'
    default:
      return true
  }
}

/** The prototype a program of type `t` (attach type `attach`) gets for helper `id`, if any. */
export function helperFor(
  id: number,
  t: ProgType,
  attach: AttachType | undefined
): HelperSpec | undefined {
  const list = VARIANTS.get(id)
  if (list === undefined) return undefined
  const spec = t === 'plain' ? list[0] : list.find((v) => v.progs.has(t))
  if (spec === undefined || !attachAllows(id, t, attach)) return undefined
  return spec
}

/** Map types and the helpers each may be passed to (the map side of check_map_func_compatibility). */
const MAP_ONLY: ReadonlyMap<number, readonly number[]> = new Map([
  [MapType.PROG_ARRAY, [12]],
  [MapType.PERF_EVENT_ARRAY, [22, 25, 55, 111, 121]],
  [MapType.RINGBUF, [130, 131, 134, 198, 199, 200]],
  [MapType.USER_RINGBUF, [209]],
  [MapType.STACK_TRACE, [27]],
  [MapType.CGROUP_ARRAY, [33, 37]],
  [MapType.CGROUP_STORAGE, [81]],
  [MapType.PERCPU_CGROUP_STORAGE, [81]],
  [MapType.DEVMAP, [51, 1]],
  [MapType.DEVMAP_HASH, [51, 1]],
  [MapType.CPUMAP, [51]],
  [MapType.XSKMAP, [51, 1]],
  [MapType.ARRAY_OF_MAPS, [1]],
  [MapType.HASH_OF_MAPS, [1]],
  [MapType.SOCKMAP, [52, 53, 60, 82, 1]],
  [MapType.SOCKHASH, [72, 70, 71, 82, 1]],
  [MapType.REUSEPORT_SOCKARRAY, [82]],
  [MapType.QUEUE, [89, 88, 87]],
  [MapType.STACK, [89, 88, 87]],
  [MapType.SK_STORAGE, [107, 108, 194]],
  [MapType.INODE_STORAGE, [145, 146, 194]],
  [MapType.TASK_STORAGE, [156, 157, 194]],
  [MapType.CGRP_STORAGE, [210, 211, 194]],
  [MapType.BLOOM_FILTER, [89, 87]]
])

/** Helpers and the map types each requires (the helper side). */
const HELPER_ONLY: ReadonlyMap<number, readonly number[]> = (() => {
  const m = new Map<number, number[]>()
  const add = (ids: readonly number[], types: readonly number[]): void => {
    for (const id of ids) m.set(id, [...types])
  }
  add([12], [MapType.PROG_ARRAY])
  add([22, 25, 55, 111, 121], [MapType.PERF_EVENT_ARRAY])
  add([130, 131, 134, 198, 199, 200], [MapType.RINGBUF])
  add([209], [MapType.USER_RINGBUF])
  add([27], [MapType.STACK_TRACE])
  add([33, 37], [MapType.CGROUP_ARRAY])
  add([51], [MapType.DEVMAP, MapType.DEVMAP_HASH, MapType.CPUMAP, MapType.XSKMAP])
  add([52, 60, 53], [MapType.SOCKMAP])
  add([72, 71, 70], [MapType.SOCKHASH])
  add([81], [MapType.CGROUP_STORAGE, MapType.PERCPU_CGROUP_STORAGE])
  add([82], [MapType.REUSEPORT_SOCKARRAY, MapType.SOCKMAP, MapType.SOCKHASH])
  add([88], [MapType.QUEUE, MapType.STACK])
  add([89, 87], [MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER])
  add([195], [MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH])
  add([107, 108], [MapType.SK_STORAGE])
  add([145, 146], [MapType.INODE_STORAGE])
  add([156, 157], [MapType.TASK_STORAGE])
  add([210, 211], [MapType.CGRP_STORAGE])
  return m
})()

/** Program types that may update or delete sockmap/sockhash entries with the map helpers. */
function mayUpdateSockmap(id: number, t: ProgType, attach: AttachType | undefined): boolean {
  if (id !== 2 && id !== 3) return false
  if (t === 'tracing') return attach === 'trace_iter'
  if (t === 'sock_ops') return id === 3
  return [
    'socket_filter',
    'sched_cls',
    'sched_act',
    'xdp',
    'sk_reuseport',
    'flow_dissector',
    'sk_lookup'
  ].includes(t)
}

/** Whether a map of `mapType` may be passed to helper `id` (check_map_func_compatibility). */
export function mapFitsHelper(
  id: number,
  mapType: number,
  t: ProgType,
  attach: AttachType | undefined
): boolean {
  const need = HELPER_ONLY.get(id)
  if (need !== undefined && !need.includes(mapType)) return false
  const only = MAP_ONLY.get(mapType)
  if (only === undefined || only.includes(id)) return true
  const sock = mapType === MapType.SOCKMAP || mapType === MapType.SOCKHASH
  return sock && mayUpdateSockmap(id, t, attach)
}

/** Registers r1..rN a call reads, for liveness (the widest variant; unknown helpers: all five). */
export function helperArgCount(id: number): number {
  const list = VARIANTS.get(id)
  if (list === undefined) return 5
  return Math.max(...list.map((v) => v.args.length))
}
