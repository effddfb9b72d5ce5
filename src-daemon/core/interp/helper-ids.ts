/** @fileoverview Kernel helper ids (linux/bpf.h) the interpreter implements, with names and argument counts. */
import { OPAQUE_HELPERS } from './helper-protos'

/** Helper ids. */
export const Helper = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  ktime_get_ns: 5,
  trace_printk: 6,
  get_prandom_u32: 7,
  get_smp_processor_id: 8,
  get_current_pid_tgid: 14,
  get_current_uid_gid: 15,
  skb_store_bytes: 9,
  l3_csum_replace: 10,
  l4_csum_replace: 11,
  tail_call: 12,
  redirect: 23,
  perf_event_output: 25,
  skb_load_bytes: 26,
  csum_diff: 28,
  skb_change_proto: 31,
  skb_change_type: 32,
  skb_change_tail: 38,
  skb_pull_data: 39,
  skb_adjust_room: 50,
  xdp_adjust_head: 44,
  redirect_map: 51,
  xdp_adjust_meta: 54,
  xdp_adjust_tail: 65,
  ringbuf_output: 130,
  ringbuf_reserve: 131,
  ringbuf_submit: 132,
  ringbuf_discard: 133
} as const

/** Argument count of each implemented helper (registers r1..rN it reads). */
export const HELPER_ARGS: Readonly<Record<number, number>> = {
  ...Object.fromEntries([...OPAQUE_HELPERS].map(([id, h]) => [id, h.args.length])),
  1: 2,
  2: 4,
  3: 2,
  5: 0,
  6: 2,
  7: 0,
  8: 0,
  9: 5,
  14: 0,
  15: 0,
  10: 5,
  11: 5,
  12: 3,
  23: 2,
  25: 5,
  26: 4,
  28: 5,
  31: 3,
  32: 2,
  38: 3,
  39: 2,
  50: 4,
  44: 2,
  51: 3,
  54: 2,
  65: 2,
  130: 4,
  131: 3,
  132: 2,
  133: 2
}

const NAMES: Readonly<Record<number, string>> = {
  ...Object.fromEntries([...OPAQUE_HELPERS].map(([id, h]) => [id, h.name])),
  14: 'get_current_pid_tgid',
  15: 'get_current_uid_gid',
  69: 'fib_lookup',
  ...Object.fromEntries(Object.entries(Helper).map(([name, id]) => [id, name]))
}

/** Name of a helper id (or `unknown`). */
export function helperName(id: number): string {
  return NAMES[id] ?? 'unknown'
}
