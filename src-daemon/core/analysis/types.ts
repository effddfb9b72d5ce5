/** @fileoverview Shared types of the safety analysis: program types, maps, options, register kinds. */

/** Program types the analysis knows how to check (context layout and helper availability). */
export type ProgType =
  'xdp' | 'socket_filter' | 'sched_cls' | 'tracepoint' | 'kprobe' | 'raw_tracepoint' | 'plain'

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
}

/** BPF_MAP_TYPE_* numbers the helper checks distinguish. */
export const MapType = {
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  STACK_TRACE: 7,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13,
  DEVMAP: 14,
  SOCKMAP: 15,
  CPUMAP: 16,
  XSKMAP: 17,
  DEVMAP_HASH: 25,
  RINGBUF: 27
} as const

/** Options of {@link analyze}. */
export interface AnalyzeOptions {
  /** Program type: decides the context layout, ctx access rules and allowed helpers. */
  readonly progType: ProgType
  /** Maps referenced by `ld_imm64` map pseudo loads (imm = index into this list). */
  readonly maps: readonly MapDef[]
  /** Size of a flat context (tracepoint, plain); default: the kernel's limit for the type. */
  readonly ctxSize?: number
  /** Accept reads of uninitialised stack (the kernel does for privileged loads); default true. */
  readonly allowUninitStack?: boolean
  /** Instructions the path exploration may process before giving up; default 1,000,000. */
  readonly insnBudget?: number
  /** Collect the joined per-instruction pre-states (costs time); default true. */
  readonly collectStates?: boolean
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
  MIXED = 13
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
  'mixed'
]

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
  | 'VERIFY_LD_ABS'
  | 'VERIFY_CALL_DEPTH'
  | 'VERIFY_STACK_SIZE'
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
