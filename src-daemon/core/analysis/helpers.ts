/** @fileoverview Helper prototypes the analysis checks calls against: argument kinds, result, availability. */
import { MapType, type ProgType } from './types'

/** What a helper argument must be (the kernel's ARG_* kinds the analysis supports). */
export type ArgKind =
  | 'anything'
  | 'ctx'
  | 'map'
  | 'key'
  | 'value'
  | 'mem'
  | 'uninit_mem'
  | 'mem_or_null'
  | 'size'
  | 'size_or_zero'
  | 'const_alloc_size'
  | 'ringbuf_mem'

/** A helper prototype. */
export interface HelperSpec {
  /** Kernel helper id. */
  readonly id: number
  /** Name without the `bpf_` prefix. */
  readonly name: string
  /** Argument kinds of r1, r2, ... (unlisted registers are not checked). */
  readonly args: readonly ArgKind[]
  /** Result kind in r0. */
  readonly ret: 'int' | 'map_value_or_null' | 'mem_or_null' | 'void'
  /** Invalidates packet pointers (the helper may move or resize packet data). */
  readonly changesPkt?: boolean
  /** Program types that may call it (undefined: all). */
  readonly progs?: readonly ProgType[]
  /** Map types its map argument may have (undefined: any map this helper family accepts). */
  readonly mapTypes?: readonly number[]
  /** Acquires a reference that must be released before exit. */
  readonly acquire?: boolean
  /** Releases the reference its `ringbuf_mem` argument holds. */
  readonly release?: boolean
}

const TRACING: readonly ProgType[] = ['tracepoint', 'kprobe', 'raw_tracepoint', 'plain']
const SKB: readonly ProgType[] = ['sched_cls', 'plain']
const XDP: readonly ProgType[] = ['xdp', 'plain']
const REDIRECT_MAPS = [MapType.DEVMAP, MapType.DEVMAP_HASH, MapType.CPUMAP, MapType.XSKMAP]
const PTR_ARGS = ['mem', 'size_or_zero'] as const

const LIST: readonly HelperSpec[] = [
  { id: 1, name: 'map_lookup_elem', args: ['map', 'key'], ret: 'map_value_or_null' },
  { id: 2, name: 'map_update_elem', args: ['map', 'key', 'value', 'anything'], ret: 'int' },
  { id: 3, name: 'map_delete_elem', args: ['map', 'key'], ret: 'int' },
  {
    id: 4,
    name: 'probe_read',
    args: ['uninit_mem', 'size_or_zero', 'anything'],
    ret: 'int',
    progs: TRACING
  },
  { id: 5, name: 'ktime_get_ns', args: [], ret: 'int' },
  { id: 6, name: 'trace_printk', args: ['mem', 'size'], ret: 'int' },
  { id: 7, name: 'get_prandom_u32', args: [], ret: 'int' },
  { id: 8, name: 'get_smp_processor_id', args: [], ret: 'int' },
  { id: 14, name: 'get_current_pid_tgid', args: [], ret: 'int', progs: TRACING },
  { id: 15, name: 'get_current_uid_gid', args: [], ret: 'int', progs: TRACING },
  {
    id: 9,
    name: 'skb_store_bytes',
    args: ['ctx', 'anything', 'mem', 'size', 'anything'],
    ret: 'int',
    changesPkt: true,
    progs: SKB
  },
  {
    id: 10,
    name: 'l3_csum_replace',
    args: ['ctx', 'anything', 'anything', 'anything', 'anything'],
    ret: 'int',
    changesPkt: true,
    progs: SKB
  },
  {
    id: 11,
    name: 'l4_csum_replace',
    args: ['ctx', 'anything', 'anything', 'anything', 'anything'],
    ret: 'int',
    changesPkt: true,
    progs: SKB
  },
  {
    id: 12,
    name: 'tail_call',
    args: ['ctx', 'map', 'anything'],
    ret: 'void',
    mapTypes: [MapType.PROG_ARRAY]
  },
  { id: 14, name: 'get_current_pid_tgid', args: [], ret: 'int' },
  { id: 15, name: 'get_current_uid_gid', args: [], ret: 'int' },
  { id: 16, name: 'get_current_comm', args: ['uninit_mem', 'size'], ret: 'int' },
  {
    id: 23,
    name: 'redirect',
    args: ['anything', 'anything'],
    ret: 'int',
    progs: ['xdp', 'sched_cls', 'plain']
  },
  {
    id: 25,
    name: 'perf_event_output',
    args: ['ctx', 'map', 'anything', ...PTR_ARGS],
    ret: 'int',
    mapTypes: [MapType.PERF_EVENT_ARRAY]
  },
  {
    id: 26,
    name: 'skb_load_bytes',
    args: ['ctx', 'anything', 'uninit_mem', 'size'],
    ret: 'int',
    progs: ['socket_filter', 'sched_cls', 'plain']
  },
  {
    id: 28,
    name: 'csum_diff',
    args: ['mem_or_null', 'size_or_zero', 'mem_or_null', 'size_or_zero', 'anything'],
    ret: 'int',
    progs: ['xdp', 'sched_cls', 'plain']
  },
  {
    id: 44,
    name: 'xdp_adjust_head',
    args: ['ctx', 'anything'],
    ret: 'int',
    changesPkt: true,
    progs: XDP
  },
  {
    id: 51,
    name: 'redirect_map',
    args: ['map', 'anything', 'anything'],
    ret: 'int',
    progs: XDP,
    mapTypes: REDIRECT_MAPS
  },
  {
    id: 54,
    name: 'xdp_adjust_meta',
    args: ['ctx', 'anything'],
    ret: 'int',
    changesPkt: true,
    progs: XDP
  },
  {
    id: 65,
    name: 'xdp_adjust_tail',
    args: ['ctx', 'anything'],
    ret: 'int',
    changesPkt: true,
    progs: XDP
  },
  {
    id: 113,
    name: 'probe_read_kernel',
    args: ['uninit_mem', 'size_or_zero', 'anything'],
    ret: 'int'
  },
  {
    id: 112,
    name: 'probe_read_user',
    args: ['uninit_mem', 'size_or_zero', 'anything'],
    ret: 'int'
  },
  { id: 45, name: 'probe_read_str', args: ['uninit_mem', 'size_or_zero', 'anything'], ret: 'int' },
  {
    id: 114,
    name: 'probe_read_user_str',
    args: ['uninit_mem', 'size_or_zero', 'anything'],
    ret: 'int'
  },
  {
    id: 115,
    name: 'probe_read_kernel_str',
    args: ['uninit_mem', 'size_or_zero', 'anything'],
    ret: 'int'
  },
  {
    id: 27,
    name: 'get_stackid',
    args: ['ctx', 'map', 'anything'],
    ret: 'int',
    progs: TRACING,
    mapTypes: [MapType.STACK_TRACE]
  },
  {
    id: 69,
    name: 'fib_lookup',
    args: ['ctx', 'mem', 'size', 'anything'],
    ret: 'int',
    progs: ['xdp', 'sched_cls', 'plain']
  },
  { id: 125, name: 'ktime_get_boot_ns', args: [], ret: 'int' },
  {
    id: 130,
    name: 'ringbuf_output',
    args: ['map', ...PTR_ARGS, 'anything'],
    ret: 'int',
    mapTypes: [MapType.RINGBUF]
  },
  {
    id: 131,
    name: 'ringbuf_reserve',
    args: ['map', 'const_alloc_size', 'anything'],
    ret: 'mem_or_null',
    mapTypes: [MapType.RINGBUF],
    acquire: true
  },
  {
    id: 132,
    name: 'ringbuf_submit',
    args: ['ringbuf_mem', 'anything'],
    ret: 'void',
    release: true
  },
  {
    id: 133,
    name: 'ringbuf_discard',
    args: ['ringbuf_mem', 'anything'],
    ret: 'void',
    release: true
  }
]

/** Helper prototypes by id. */
export const HELPERS: ReadonlyMap<number, HelperSpec> = new Map(LIST.map((h) => [h.id, h]))

/** Map types that only specific helpers may use (and which helpers). */
const MAP_ONLY: ReadonlyMap<number, readonly number[]> = new Map([
  [MapType.PROG_ARRAY, [12]],
  [MapType.PERF_EVENT_ARRAY, [25]],
  [MapType.RINGBUF, [130, 131, 132, 133]],
  [MapType.STACK_TRACE, [27]],
  [MapType.DEVMAP, [51, 1]],
  [MapType.DEVMAP_HASH, [51, 1]],
  [MapType.CPUMAP, [51]],
  [MapType.XSKMAP, [51, 1]]
])

/** Whether a map of `mapType` may be passed to helper `h` (the kernel's compatibility table). */
export function mapFitsHelper(h: HelperSpec, mapType: number): boolean {
  if (h.mapTypes !== undefined && !h.mapTypes.includes(mapType)) return false
  const only = MAP_ONLY.get(mapType)
  return only === undefined || only.includes(h.id)
}

/** Registers r1..rN a call reads, for liveness (unknown helpers: all five). */
export function helperArgCount(id: number): number {
  return HELPERS.get(id)?.args.length ?? 5
}
