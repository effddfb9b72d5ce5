/** @fileoverview Shared types of the safety analysis: program types, maps, options, register kinds. */
import type { BtfTarget } from './btf-target'
import type { KernelVersion } from './kernel-target'
import type { AttachType, KernelProgType } from './program-kind'

/** Instructions the kernel's verifier processes before it gives up (BPF_COMPLEXITY_LIMIT_INSNS). */
export const KERNEL_INSN_LIMIT = 1_000_000

/**
 * Program types by the kernel's names (context layout, context rules and helpers follow the
 * type), plus `plain`: a flat context of `ctxSize` bytes with every helper (conformance tests).
 */
export type ProgType = KernelProgType | 'plain'

/** A map as the analysis needs it (compatible with the K2 `.maps` line and ELF map definitions). */
export interface MapDef {
  /** BPF_MAP_TYPE_* number. */
  readonly type: number
  /** Key size in bytes. */
  readonly keySize: number
  /** Value size in bytes. */
  readonly valueSize: number
  /** Maximum number of entries. */
  readonly maxEntries: number
  /** `map_flags` (BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG limit what programs may do). */
  readonly flags?: number
  /** Map-in-map types: the inner map's definition (a lookup yields a pointer to such a map). */
  readonly inner?: MapDef
  /**
   * A frozen read-only array's value (libbpf's `.rodata`): loads at a constant offset read these
   * bytes as known constants, as the kernel's verifier does (bpf_map_direct_read).
   */
  readonly frozen?: readonly number[]
}

/** BPF_F_RDONLY_PROG: programs may only read the map's values. */
export const MAP_RDONLY_PROG = 1 << 7
/** BPF_F_WRONLY_PROG: programs may only write the map's values. */
export const MAP_WRONLY_PROG = 1 << 8

/** BPF_MAP_TYPE_* numbers the helper checks distinguish. */
export const MapType = {
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  STACK_TRACE: 7,
  CGROUP_ARRAY: 8,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13,
  DEVMAP: 14,
  SOCKMAP: 15,
  CPUMAP: 16,
  XSKMAP: 17,
  SOCKHASH: 18,
  CGROUP_STORAGE: 19,
  REUSEPORT_SOCKARRAY: 20,
  PERCPU_CGROUP_STORAGE: 21,
  QUEUE: 22,
  STACK: 23,
  SK_STORAGE: 24,
  DEVMAP_HASH: 25,
  STRUCT_OPS: 26,
  RINGBUF: 27,
  INODE_STORAGE: 28,
  TASK_STORAGE: 29,
  BLOOM_FILTER: 30,
  USER_RINGBUF: 31,
  CGRP_STORAGE: 32
} as const

/** Options of {@link analyze}. */
export interface AnalyzeOptions {
  /** Program type: decides the context layout, ctx access rules and allowed helpers. */
  readonly progType: ProgType
  /**
   * Expected attach type (cgroup_sock_addr, cgroup_sock, cgroup_sockopt, sk_skb, ... rules
   * depend on it); default: none, as the kernel's 0 (which is cgroup_inet_ingress).
   */
  readonly attachType?: AttachType
  /** Loaded as sleepable (`.s` sections, syscall programs); default: syscall programs only. */
  readonly sleepable?: boolean
  /** Maps referenced by `ld_imm64` map pseudo loads (imm = index into this list). */
  readonly maps: readonly MapDef[]
  /** Size of a flat context (tracepoint, plain); default: the kernel's limit for the type. */
  readonly ctxSize?: number
  /** Accept reads of uninitialised stack (the kernel does for privileged loads); default true. */
  readonly allowUninitStack?: boolean
  /** Instructions the path exploration may process before giving up; default {@link KERNEL_INSN_LIMIT}. */
  readonly insnBudget?: number
  /** Collect the joined per-instruction pre-states (costs time); default true. */
  readonly collectStates?: boolean
  /** The kernel whose verifier to follow; default: the newest behaviour modelled (6.18). */
  readonly targetKernel?: KernelVersion
  /** tracing and LSM programs: the attach target's prototype from the kernel's BTF. */
  readonly btfTarget?: BtfTarget
  /** tracing and LSM programs without `btfTarget`: why (the refusal of context loads). */
  readonly btfRefusal?: string
}

/** Register kinds, mirroring the kernel's register types. */
export const enum T {
  NOT_INIT = 0,
  SCALAR = 1,
  CTX = 2,
  STACK = 3,
  PKT = 4,
  PKT_END = 5,
  PKT_META = 6,
  MAP_PTR = 7,
  MAP_VALUE = 8,
  MAP_VALUE_OR_NULL = 9,
  MEM = 10,
  MEM_OR_NULL = 11,
  FUNC = 12,
  /** Only in joined summaries: the paths disagree on the kind. */
  MIXED = 13,
  SOCKET = 14,
  SOCKET_OR_NULL = 15,
  SOCK_COMMON = 16,
  SOCK_COMMON_OR_NULL = 17,
  TCP_SOCK = 18,
  TCP_SOCK_OR_NULL = 19,
  XDP_SOCK = 20,
  FLOW_KEYS = 21,
  /** Writable raw tracepoint buffer. */
  TP_BUFFER = 22,

  /** A kernel object described by BTF (`map` holds the BTF type's index in BTF_TYPES). */
  BTF_ID = 23,
  BTF_ID_OR_NULL = 24,
  /** A map-in-map lookup before its null check (non-null: MAP_PTR to the inner map). */
  MAP_PTR_OR_NULL = 25,
  XDP_SOCK_OR_NULL = 26
}

/** Kernel-style names of register kinds (used in messages). */
export const TYPE_NAMES: readonly string[] = [
  '?',
  'scalar',
  'ctx',
  'fp',
  'pkt',
  'pkt_end',
  'pkt_meta',
  'map_ptr',
  'map_value',
  'map_value_or_null',
  'mem',
  'mem_or_null',
  'func',
  'mixed',
  'sock',
  'sock_or_null',
  'sock_common',
  'sock_common_or_null',
  'tcp_sock',
  'tcp_sock_or_null',
  'xdp_sock',
  'flow_keys',
  'tp_buffer',
  'ptr_',
  'ptr_or_null_',
  'map_ptr_or_null',
  'xdp_sock_or_null'
]

/** Each nullable kind and the kind it has once checked against zero. */
export const NON_NULL: ReadonlyMap<T, T> = new Map([
  [T.MAP_VALUE_OR_NULL, T.MAP_VALUE],
  [T.MEM_OR_NULL, T.MEM],
  [T.SOCKET_OR_NULL, T.SOCKET],
  [T.SOCK_COMMON_OR_NULL, T.SOCK_COMMON],
  [T.TCP_SOCK_OR_NULL, T.TCP_SOCK],
  [T.BTF_ID_OR_NULL, T.BTF_ID],
  [T.MAP_PTR_OR_NULL, T.MAP_PTR],
  [T.XDP_SOCK_OR_NULL, T.XDP_SOCK]
])

/**
 * The abstract value of one register. For scalars the bounds describe the value; for pointers
 * they describe the variable part of the offset (`off` is the fixed part). Objects are immutable
 * once built and shared between states.
 */
export interface Reg {
  /** Register kind. */
  readonly type: T
  /** Fixed offset of a pointer from its base. */
  readonly off: number
  /** Unsigned 64-bit bounds. */
  readonly umin: bigint
  readonly umax: bigint
  /** Signed 64-bit bounds. */
  readonly smin: bigint
  readonly smax: bigint
  /** Known bits: bits set in `tm` are unknown, others equal `tv`. */
  readonly tv: bigint
  readonly tm: bigint
  /** Identity shared by copies: null-check id, packet id, scalar copy id (0 = none). */
  readonly id: number
  /** Proven-accessible packet bytes past the variable base (packet pointers). */
  readonly range: number
  /** Map index (map pointer, map value) or memory size (mem pointers). */
  readonly map: number
  /** Stack frame index (stack pointers). */
  readonly frame: number
  /** Reference id that must be released (ringbuf reservations), 0 = none. */
  readonly ref: number
}

/** Stable codes of analysis failures. */
export type AnalysisCode =
  | 'CFG_EMPTY'
  | 'CFG_UNKNOWN_OPCODE'
  | 'CFG_RESERVED_FIELD'
  | 'CFG_BAD_REGISTER'
  | 'CFG_JUMP_OUT_OF_RANGE'
  | 'CFG_JUMP_INTO_LDDW'
  | 'CFG_LDDW_TRUNCATED'
  | 'CFG_UNREACHABLE'
  | 'CFG_NO_EXIT'
  | 'CFG_BAD_CALL'
  | 'CFG_TARGET_KERNEL'
  | 'VERIFY_UNINIT_REG'
  | 'VERIFY_FP_WRITE'
  | 'VERIFY_INVALID_MEM'
  | 'VERIFY_STACK_BOUNDS'
  | 'VERIFY_ALIGN'
  | 'VERIFY_MAP_BOUNDS'
  | 'VERIFY_PKT_BOUNDS'
  | 'VERIFY_MEM_BOUNDS'
  | 'VERIFY_CTX_ACCESS'
  | 'VERIFY_NULL_DEREF'
  | 'VERIFY_PTR_ARITH'
  | 'VERIFY_SPILL'
  | 'VERIFY_HELPER_ARG'
  | 'VERIFY_UNKNOWN_HELPER'
  | 'VERIFY_DIV_ZERO'
  | 'VERIFY_BAD_SHIFT'
  | 'VERIFY_LOOP'
  | 'VERIFY_TOO_COMPLEX'
  | 'VERIFY_REF_LEAK'
  | 'VERIFY_RETURN_CODE'
  | 'VERIFY_LD_ABS'
  | 'VERIFY_CALL_DEPTH'
  | 'VERIFY_STACK_SIZE'
  | 'VERIFY_LICENSE'
  | 'VERIFY_UNSUPPORTED'

/** An analysis failure: a kernel-style reason at an instruction slot. */
export interface AnalysisError {
  /** Stable code. */
  readonly code: AnalysisCode
  /** Kernel-style one-line reason, e.g. `R1 !read_ok`. */
  readonly message: string
  /** Instruction slot the reason refers to. */
  readonly index: number
}

/** Thrown inside the analysis to abandon the program; caught by {@link analyze}. */
export class Reject {
  constructor(
    /** Stable code. */
    readonly code: AnalysisCode,
    /** Kernel-style reason. */
    readonly message: string,
    /** Instruction slot (-1: filled in by the caller). */
    readonly index: number = -1
  ) {}
}
