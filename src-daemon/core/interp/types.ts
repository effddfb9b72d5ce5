/** @fileoverview Public data types of the interpreter: map definitions, context kinds, inputs and results. */
import type { StructContext } from './contexts'

/** A map as the program sees it (index = position in the program's map list). */
export interface MapDef {
  /** Map name, for messages and snapshots. */
  readonly name?: string
  /** `enum bpf_map_type` value (1 = hash, 2 = array, ...). */
  readonly type: number
  /** Key size in bytes. */
  readonly keySize: number
  /** Value size in bytes. */
  readonly valueSize: number
  /** Maximum number of entries. */
  readonly maxEntries: number
  /** The fd that `lddw src=1` immediates use; when no map has one, the immediate is the map index. */
  readonly fd?: number
  /** `map_flags` (BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG matter to the safety analysis). */
  readonly flags?: number
  /** For a map-in-map (array or hash of maps): the definition of the maps it holds. */
  readonly inner?: MapDef
  /**
   * The bytes of a read-only global data map (`.rodata`) as the object holds them: libbpf
   * freezes such a map after storing them, and the kernel's verifier then reads them as constants.
   */
  readonly frozen?: readonly number[]
}

/**
 * What r1 points to at entry:
 * - `plain`: a memory block (`input.mem`), r2 = its length (the conformance suite's model);
 * - `xdp`: `struct xdp_md` with a packet region (headroom/tailroom for adjust helpers);
 * - `skb`: `struct __sk_buff` as tc programs see it (data/data_end pointers, writable mark, cb, ...);
 * - `socket`: `struct __sk_buff` as socket filters see it (only cb[] writable);
 * - `tracepoint`: a flat read-only buffer (`input.ctx`);
 * - `flat`: a flat writable buffer that is also the packet of ld_abs/ld_ind (K2's "pkt" model);
 * - `scalar`: r1 is a plain number (`input.r1`), no context memory;
 * - a struct context's program type (`sock_ops`, `cgroup_sock_addr`, ...; see contexts.ts): the
 *   struct's bytes from `input.ctx`, writable where the type allows, pointer fields not modelled.
 */
export type CtxKind =
  'plain' | 'xdp' | 'skb' | 'socket' | 'tracepoint' | 'flat' | 'scalar' | StructContext

/** One initial map entry: key and value bytes (value must be valueSize bytes, key keySize). */
export interface MapEntryInput {
  readonly key: Uint8Array
  readonly value: Uint8Array
}

/** Named `__sk_buff` / `xdp_md` field values for the context (pointers are set by the machine). */
export type CtxFields = Readonly<Record<string, number>>

/** One test input. Every field is optional; missing parts are zero / empty. */
export interface RunInput {
  /** Packet bytes (xdp, skb, socket). */
  readonly packet?: Uint8Array
  /**
   * XDP: what the frame holds just before the packet (the last byte is right before it), which
   * xdp_adjust_head/meta can uncover; zeros where not given.
   */
  readonly headroom?: Uint8Array
  /** Context: raw bytes (tracepoint, flat) or named field values (xdp, skb, socket). */
  readonly ctx?: Uint8Array | CtxFields
  /** Memory block of plain mode. */
  readonly mem?: Uint8Array
  /** r1 of scalar mode (as a 64-bit value). */
  readonly r1?: bigint
  /**
   * Initial map contents by map index. A map-in-map's values are u32 numbers of inner maps: the
   * interpreter keeps INNER_POOL inner maps per map-in-map, after the program's maps in
   * this list (see map-in-map.ts), and a value names one of its own.
   */
  readonly maps?: readonly (readonly MapEntryInput[] | undefined)[]
  /**
   * Bytes already in use in each ring buffer when the program starts, by map index (a consumer
   * that lags); 0 where not given.
   */
  readonly ringUsed?: readonly number[]
  /**
   * XDP: the driver does not support metadata, so data_meta reads as data + 1 and
   * xdp_adjust_meta fails with -ENOTSUPP (524).
   */
  readonly xdpNoMeta?: boolean
  /** The CPU the run happens on (get_smp_processor_id); 0 where not given. */
  readonly cpu?: number
  /** The current task's tgid << 32 | pid (get_current_pid_tgid); 0 where not given. */
  readonly pidTgid?: bigint
  /** The current task's gid << 32 | uid (get_current_uid_gid); 0 where not given. */
  readonly uidGid?: bigint
  /** Values returned by successive get_prandom_u32 calls (cycled; empty → 0). */
  readonly randoms?: readonly number[]
  /** Values (ns) returned by successive ktime_get_ns calls (cycled; empty → 1e9 + 1000·i). */
  readonly times?: readonly number[]
  /**
   * What the perf buffer answers each perf_event_output record that reaches an installed slot,
   * in order: one of PERF_OUTPUT_ERRORS (the record is not written), anything else or missing
   * writes it (r0 = 0).
   */
  readonly perfResults?: readonly number[]
  /**
   * The environment's answers to calls of helpers outside the model (probe_read, get_stackid,
   * ...; see helper-protos.ts) and to operations on LRU maps, in call order; a missing answer is
   * r0 = 0 (1 for the string helpers) with zero bytes and no eviction.
   */
  readonly calls?: readonly HelperResponse[]
  /**
   * Initial values of r0..r9 (index = register): each given value is set and marked initialised,
   * overriding the context's r1/r2 (for ALU/SMT property tests and window-level tests).
   */
  readonly regs?: readonly (bigint | undefined)[]
  /** Seed of the pseudo-random bytes the stack holds before the program writes it. */
  readonly stackSeed?: number
  /** Initial bytes just below r10 (the last byte is at r10-1), overriding the seeded pattern there. */
  readonly stack?: Uint8Array
  /**
   * BTF-typed programs: loads outside the machine's own memory read kernel memory (see
   * kernel-memory.ts); without this field they fault.
   */
  readonly kernelMemory?: KernelMemoryInput
}

/** Kernel memory of one run: values by address and size, the rest from `seed` (0: zero). */
export interface KernelMemoryInput {
  readonly seed: number
  readonly reads?: readonly {
    readonly address: bigint
    readonly size: number
    readonly value: bigint
  }[]
}

/** What the environment answers to one call of a helper outside the model. */
export interface HelperResponse {
  /** The helper's result (r0). */
  readonly r0: bigint
  /** The bytes it writes to its output buffer (zeros past the end of this array). */
  readonly data?: Uint8Array
  /** For a buffer the helper may rewrite in part: the byte offsets it leaves as they were. */
  readonly keep?: readonly number[]
  /**
   * For an update of an LRU map: the keys the kernel evicts first (any entries, even the one
   * updated); and a result of -ENOMEM (-12) means the update finds no free node and fails.
   */
  readonly evict?: readonly Uint8Array[]
  /**
   * For skb_change_proto, skb_change_tail and skb_adjust_room: the packet after the call (its
   * length is the new length); the packet stays as it was when not given.
   */
  readonly packet?: Uint8Array
  /**
   * For the same helpers: the new values of protocol, hash, gso_segs and gso_size (see
   * skb-reshape.ts); a field missing here keeps its value.
   */
  readonly fields?: readonly number[]
}

/** An observable effect other than r0, packet and maps, in program order. */
export type Effect =
  | {
      readonly kind: 'perf_output'
      readonly map: number
      readonly flags: bigint
      /** The record's bytes, then the packet sample BPF_F_CTXLEN_MASK asks for (if any). */
      readonly data: Uint8Array
    }
  | {
      readonly kind: 'ringbuf_output'
      readonly map: number
      readonly flags: bigint
      readonly data: Uint8Array
    }
  | { readonly kind: 'trace_printk'; readonly format: Uint8Array; readonly args: readonly bigint[] }
  | { readonly kind: 'redirect'; readonly ifindex: number; readonly flags: bigint }
  | {
      readonly kind: 'redirect_map'
      readonly map: number
      readonly key: number
      readonly flags: bigint
    }
  | { readonly kind: 'tail_call'; readonly map: number; readonly index: number }
  | {
      /** A call of a helper outside the model: the helper, the argument values, the bytes read. */
      readonly kind: 'helper_call'
      readonly id: number
      readonly args: readonly bigint[]
      readonly data: Uint8Array
    }

/** Final contents of one map: entries sorted by key bytes (arrays list every index). */
export interface MapSnapshot {
  readonly name: string
  readonly type: number
  readonly entries: readonly MapEntryInput[]
}

/** A completed run. */
export interface ExitResult {
  readonly kind: 'exit'
  /** How the program ended: `exit` from the main frame, or a successful tail call. */
  readonly via: 'exit' | 'tail_call'
  /** r0 as an unsigned 64-bit value (0 after a tail call). */
  readonly r0: bigint
  /** Packet bytes from data to data_end after the run (empty when the context has no packet). */
  readonly packet: Uint8Array
  /** XDP metadata bytes (data_meta to data) after the run. */
  readonly meta: Uint8Array
  /** How far xdp_adjust_head moved the packet's start (negative: it grew at the front). */
  readonly dataOffset: number
  /** Bytes in use in each ring buffer after the run, by map index (0 for other maps). */
  readonly ringUsed: readonly number[]
  /** Context bytes after the run (writable contexts: skb, socket, flat, struct; plain mode: the memory block). */
  readonly ctx: Uint8Array
  /** Final map contents, by map index. */
  readonly maps: readonly MapSnapshot[]
  /** Ordered observable effects. */
  readonly outputs: readonly Effect[]
  /** Instructions executed. */
  readonly steps: number
}

/** A run that faulted: the program did something the machine refuses (never an exception). */
export interface FaultResult {
  readonly kind: 'fault'
  /** Slot index of the faulting instruction. */
  readonly pc: number
  /** What went wrong, e.g. `out-of-bounds load of 4 bytes`, `budget`, `unsupported helper 99`. */
  readonly reason: string
  /** Instructions executed. */
  readonly steps: number
}

/** The value of one run. */
export type RunResult = ExitResult | FaultResult

/** Options of a machine. */
export interface MachineOptions {
  /** Instruction budget per run; exceeding it faults with reason `budget` (default 1 000 000). */
  readonly budget?: number
  /** Largest packet the machine accepts (default 4096). */
  readonly maxPacket?: number
  /** Largest plain-mode memory block / flat or tracepoint context (default 4096). */
  readonly maxMem?: number
  /** Cap on modelled entries per map (default 4096); larger maps fault beyond it. */
  readonly maxMapEntries?: number
  /** Helper set: kernel helpers (default) or the conformance suite's helpers (plain mode). */
  readonly helpers?: 'kernel' | 'conformance'
}
