/**
 * @fileoverview Helpers outside the model, as one table: for each, what its arguments are (a value,
 * memory it reads, memory it fills, memory it may partly rewrite, an address outside the program),
 * the range of its result, and how its output buffer is written. The interpreter and the prover
 * both treat such a helper as the environment's answer to a call: the call (helper, argument
 * values, bytes read) is recorded, and its result and written bytes are the next response of the
 * run's input, call by call. Only helpers whose answer depends on nothing the program can change
 * besides what is recorded are listed (see README, "Helpers outside the model").
 */

/** How one argument register of an opaque helper is used. */
export type OpaqueArg =
  /** A scalar the answer may depend on: recorded by value. */
  | { readonly kind: 'value' }
  /** The context pointer; the helper reads only parts the program cannot write. */
  | { readonly kind: 'ctx' }
  /** A map handle (recorded by index); the map's type must be one of `types`. */
  | { readonly kind: 'map'; readonly types: readonly number[] }
  /** The byte count of a memory argument (recorded by value; must be a constant). */
  | { readonly kind: 'size' }
  /** Memory the helper reads, `size` bytes (the register holding the count): bytes recorded. */
  | { readonly kind: 'in'; readonly size: number }
  /** Memory the helper writes in full (or clears on failure), `size` bytes. */
  | { readonly kind: 'out'; readonly size: number }
  /** Memory the helper reads (recorded) and may rewrite byte by byte (the response says which). */
  | { readonly kind: 'inout'; readonly size: number }
  /**
   * An address outside the program that the helper reads `size` bytes from (kernel or user
   * memory): recorded by value. When it points into the program's own memory, the bytes are
   * copied from there instead (an exact model, no call recorded).
   */
  | { readonly kind: 'src'; readonly size: number }

/**
 * How the `out` argument is written: `fill`, the response's bytes when the result is not negative,
 * zeros otherwise; `str`, a string of min(r0, size) bytes (the last one NUL, later bytes kept)
 * when r0 > 0, zeros otherwise.
 */
export type OpaqueWrite = 'fill' | 'str'

/** A helper outside the model. */
export interface OpaqueHelper {
  readonly id: number
  /** Name without the `bpf_` prefix. */
  readonly name: string
  /** Argument registers r1, r2, ... */
  readonly args: readonly OpaqueArg[]
  /**
   * Signed range of the result; `size` as the upper bound means the byte count of the `out`
   * argument. Undefined: any 64-bit value.
   */
  readonly ret?: { readonly lo: bigint; readonly hi: bigint | 'size' }
  /** How the `out` argument is written (default `fill`). */
  readonly write?: OpaqueWrite
}

const MAP_STACK_TRACE = 7
const MAP_PERF_EVENT_ARRAY = 4
const MAP_CGROUP_ARRAY = 8
const MAP_SOCKMAP = 15
/** Negative errno results lie in [-4095, -1] (the kernel's MAX_ERRNO). */
const ERRNO = -4095n
const ERRNO_OR_ZERO = { lo: ERRNO, hi: 0n }
const I32 = { lo: -(1n << 31n), hi: (1n << 31n) - 1n }

const value: OpaqueArg = { kind: 'value' }
const ctx: OpaqueArg = { kind: 'ctx' }
const size: OpaqueArg = { kind: 'size' }

/** probe_read(dst, size, src) and its kernel/user forms: dst filled from src, or zeros and -EFAULT. */
function probeRead(id: number, name: string, str: boolean): OpaqueHelper {
  return {
    id,
    name,
    args: [{ kind: 'out', size: 2 }, size, { kind: 'src', size: 2 }],
    ret: str ? { lo: ERRNO, hi: 'size' } : ERRNO_OR_ZERO,
    ...(str ? { write: 'str' as const } : {})
  }
}

/** A helper that reads nothing and answers with a value of the environment (a clock, the task). */
function envValue(id: number, name: string, ret?: { lo: bigint; hi: bigint }): OpaqueHelper {
  return { id, name, args: [], ...(ret ? { ret } : {}) }
}

const LIST: readonly OpaqueHelper[] = [
  probeRead(4, 'probe_read', false),
  probeRead(112, 'probe_read_user', false),
  probeRead(113, 'probe_read_kernel', false),
  probeRead(45, 'probe_read_str', true),
  probeRead(114, 'probe_read_user_str', true),
  probeRead(115, 'probe_read_kernel_str', true),
  // get_current_comm(buf, size): the task's name, zero-padded; -EINVAL and zeros without a task.
  { id: 16, name: 'get_current_comm', args: [{ kind: 'out', size: 2 }, size], ret: ERRNO_OR_ZERO },
  // get_stackid(ctx, map, flags): an id in the stack trace map (which programs cannot read).
  {
    id: 27,
    name: 'get_stackid',
    args: [ctx, { kind: 'map', types: [MAP_STACK_TRACE] }, value],
    ret: I32
  },
  // get_stack(ctx, buf, size, flags): bytes copied (the rest zeroed), or zeros and an error.
  {
    id: 67,
    name: 'get_stack',
    args: [ctx, { kind: 'out', size: 3 }, size, value],
    ret: { lo: ERRNO, hi: 'size' }
  },
  // perf_event_read(map, flags): a counter of a perf event array slot (or an error).
  {
    id: 22,
    name: 'perf_event_read',
    args: [{ kind: 'map', types: [MAP_PERF_EVENT_ARRAY] }, value]
  },
  // perf_event_read_value(map, flags, buf, size): the counter, enabled and running times.
  {
    id: 55,
    name: 'perf_event_read_value',
    args: [{ kind: 'map', types: [MAP_PERF_EVENT_ARRAY] }, value, { kind: 'out', size: 4 }, size],
    ret: ERRNO_OR_ZERO
  },
  // get_ns_current_pid_tgid(dev, ino, nsdata, size): the task's pid and tgid in a namespace.
  {
    id: 120,
    name: 'get_ns_current_pid_tgid',
    args: [value, value, { kind: 'out', size: 4 }, size],
    ret: ERRNO_OR_ZERO
  },
  envValue(35, 'get_current_task'),
  envValue(42, 'get_numa_node_id', I32),
  envValue(80, 'get_current_cgroup_id'),
  envValue(118, 'jiffies64'),
  envValue(125, 'ktime_get_boot_ns'),
  envValue(160, 'ktime_get_coarse_ns'),
  envValue(208, 'ktime_get_tai_ns'),
  { id: 123, name: 'get_current_ancestor_cgroup_id', args: [value] },
  // Cgroup membership (1 or 0, or an error) against a cgroup array slot user space fills.
  {
    id: 37,
    name: 'current_task_under_cgroup',
    args: [{ kind: 'map', types: [MAP_CGROUP_ARRAY] }, value],
    ret: { lo: ERRNO, hi: 1n }
  },
  {
    id: 33,
    name: 'skb_under_cgroup',
    args: [ctx, { kind: 'map', types: [MAP_CGROUP_ARRAY] }, value],
    ret: { lo: ERRNO, hi: 1n }
  },
  // Context-only readers: values the kernel keeps beside the context, not in what programs write.
  { id: 173, name: 'get_func_ip', args: [ctx] },
  { id: 174, name: 'get_attach_cookie', args: [ctx] },
  { id: 46, name: 'get_socket_cookie', args: [ctx] },
  { id: 79, name: 'skb_cgroup_id', args: [ctx] },
  // Acting on the world: the order of these calls against outputs is part of what is compared.
  {
    id: 36,
    name: 'probe_write_user',
    args: [value, { kind: 'in', size: 3 }, size],
    ret: ERRNO_OR_ZERO
  },
  { id: 109, name: 'send_signal', args: [value], ret: ERRNO_OR_ZERO },
  { id: 117, name: 'send_signal_thread', args: [value], ret: ERRNO_OR_ZERO },
  { id: 58, name: 'override_return', args: [ctx, value], ret: { lo: 0n, hi: 0n } },
  {
    id: 177,
    name: 'trace_vprintk',
    args: [{ kind: 'in', size: 2 }, size, { kind: 'in', size: 4 }, size],
    ret: I32
  },
  // Tunnel metadata of the skb: set from a key the program builds, read back (or zeros and an
  // error). Nothing but these calls changes it, and the calls are recorded in order.
  {
    id: 21,
    name: 'skb_set_tunnel_key',
    args: [ctx, { kind: 'in', size: 3 }, size, value],
    ret: ERRNO_OR_ZERO
  },
  {
    id: 20,
    name: 'skb_get_tunnel_key',
    args: [ctx, { kind: 'out', size: 3 }, size, value],
    ret: ERRNO_OR_ZERO
  },
  // sk_redirect_map(skb, sockmap, key, flags): SK_PASS (1) when the slot holds a socket, else
  // SK_DROP (0); user space fills the map, the program cannot.
  {
    id: 52,
    name: 'sk_redirect_map',
    args: [ctx, { kind: 'map', types: [MAP_SOCKMAP] }, value, value],
    ret: { lo: 0n, hi: 1n }
  },
  // The current task as a BTF pointer: loads through it read kernel memory (enc-kmem).
  envValue(158, 'get_current_task_btf'),
  // fib_lookup(ctx, params, plen, flags): a route lookup that rewrites parts of params.
  {
    id: 69,
    name: 'fib_lookup',
    args: [ctx, { kind: 'inout', size: 3 }, size, value],
    ret: { lo: ERRNO, hi: 255n }
  }
]

/** Helpers outside the model, by id. */
export const OPAQUE_HELPERS: ReadonlyMap<number, OpaqueHelper> = new Map(LIST.map((h) => [h.id, h]))

/** Largest buffer (bytes) an opaque helper may read or write in one call. */
export const OPAQUE_MAX_BYTES = 4096

/** The result a missing answer gives: 1 (an empty string) for the string helpers, else 0. */
export function defaultResult(h: OpaqueHelper, size: number): bigint {
  return h.write === 'str' && size > 0 ? 1n : 0n
}

/**
 * The result of a call whose answer is `raw` (a 64-bit value): the answer when it lies in the
 * helper's range (signed; `size` is the byte count of its output buffer), else the default.
 */
export function answerResult(h: OpaqueHelper, raw: bigint, size: number): bigint {
  const r = h.ret
  if (r === undefined) return BigInt.asUintN(64, raw)
  const v = BigInt.asIntN(64, raw)
  const hi = r.hi === 'size' ? BigInt(size) : r.hi
  return v >= r.lo && v <= hi ? BigInt.asUintN(64, v) : defaultResult(h, size)
}
