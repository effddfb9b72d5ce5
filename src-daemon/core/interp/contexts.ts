/**
 * @fileoverview Context layouts of the program types whose context is a kernel struct the
 * program reads and partly writes (sock_ops, cgroup hooks, sk_msg, ...): its size, the bytes any
 * attach type of the type may write, and the pointer fields. The interpreter runs these
 * contexts from input bytes (writes allowed only in the writable bytes; pointer fields are not
 * modelled and fault when read) and the prover reads the same table. Which accesses are legal
 * for a given attach type is the safety analysis's business (analysis/ctx-sock.ts); this table
 * is the union over attach types. Offsets are those of x86-64 Linux (checked against this
 * kernel's BTF).
 */

/** A field of a context: byte offset and size. */
export type CtxField = readonly [offset: number, size: number]

/** The layout of one struct context. */
export interface StructLayout {
  /** `sizeof` the context struct. */
  readonly size: number
  /** Fields some attach type of the program type may write. */
  readonly writable: readonly CtxField[]
  /** Fields that hold kernel pointers (socket, packet start/end, option buffer). */
  readonly pointers: readonly CtxField[]
}

/** Struct contexts by program type. */
export const STRUCT_CONTEXTS = {
  /** `struct bpf_sock_ops`: reply/replylong and sk_txhash writable; sk, skb_data, skb_data_end. */
  sock_ops: {
    size: 224,
    writable: [
      [4, 16],
      [164, 4]
    ],
    pointers: [
      [184, 8],
      [192, 8],
      [200, 8]
    ]
  },
  /** `struct bpf_sock`: bound_dev_if, mark and priority writable (sock_create/release). */
  cgroup_sock: {
    size: 80,
    writable: [
      [0, 4],
      [16, 4],
      [20, 4]
    ],
    pointers: []
  },
  /** `struct bpf_sock_addr`: user address and port, sendmsg source address writable; sk. */
  cgroup_sock_addr: {
    size: 72,
    writable: [
      [4, 4],
      [8, 16],
      [24, 4],
      [40, 4],
      [44, 16]
    ],
    pointers: [[64, 8]]
  },
  /** `struct bpf_sysctl`: file_pos writable. */
  cgroup_sysctl: { size: 8, writable: [[4, 4]], pointers: [] },
  /** `struct bpf_sockopt`: level, optname, optlen, retval writable; sk, optval, optval_end. */
  cgroup_sockopt: {
    size: 40,
    writable: [[24, 16]],
    pointers: [
      [0, 8],
      [8, 8],
      [16, 8]
    ]
  },
  /** `struct sk_msg_md` (read-only): data, data_end and sk are pointers. */
  sk_msg: {
    size: 80,
    writable: [],
    pointers: [
      [0, 8],
      [8, 8],
      [72, 8]
    ]
  },
  /** `struct bpf_sk_lookup` (read-only): sk. */
  sk_lookup: { size: 72, writable: [], pointers: [[0, 8]] },
  /** `struct sk_reuseport_md` (read-only): data, data_end, sk, migrating_sk. */
  sk_reuseport: {
    size: 56,
    writable: [],
    pointers: [
      [0, 8],
      [8, 8],
      [40, 8],
      [48, 8]
    ]
  }
} as const satisfies Record<string, StructLayout>

/** A program type whose context is one of {@link STRUCT_CONTEXTS}. */
export type StructContext = keyof typeof STRUCT_CONTEXTS

/** Whether `kind` names a struct context. */
export function isStructContext(kind: string): kind is StructContext {
  return Object.hasOwn(STRUCT_CONTEXTS, kind)
}

/** Read-only flat contexts of tracing and small cgroup types: their size in bytes. */
export const FLAT_CONTEXT_SIZES: Readonly<Record<string, number>> = {
  /** `struct pt_regs` (x86-64). */
  kprobe: 168,
  /** PERF_MAX_TRACE_SIZE: what a tracepoint program may read. */
  tracepoint: 2048,
  /** The raw tracepoint argument array (12 u64). */
  raw_tracepoint: 96,
  raw_tracepoint_writable: 96,
  /** `struct bpf_perf_event_data` (x86-64). */
  perf_event: 184,
  /** `struct bpf_cgroup_dev_ctx`. */
  cgroup_device: 12,
  /** One u32 sample. */
  lirc_mode2: 4
}
