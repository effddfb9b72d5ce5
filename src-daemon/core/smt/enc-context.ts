/**
 * @fileoverview The execution context of one program's encoding, the state flowing along its
 * edges, and the encoding it yields: the layer below the instruction and helper encoders, which
 * all take and extend it, and below the executor that drives them (imports run one way:
 * executor -> encoders -> context -> memory, maps -> state).
 */
import type { Decoded } from '../isa/decode'
import type { BoolTerm, BvTerm } from './term'
import type { SymMemory } from './enc-memory'
import type { SymMaps } from './enc-maps'
import type {
  Beyond,
  EffectPoint,
  EncodeModel,
  ExitPoint,
  PktBounds,
  Ptr,
  SharedLayout,
  SymVal
} from './enc-state'
import { bv, bvVar } from './terms'

/** The encoding of one program. */
export interface ProgramEncoding {
  /** Paths not followed to the end (no answer is sound for an input that takes one). */
  readonly beyond: readonly Beyond[]
  readonly exits: readonly ExitPoint[]
  readonly effects: readonly EffectPoint[]
  /** Calls of helpers outside the model (see {@link ExecContext.calls}). */
  readonly calls: readonly EffectPoint[]
  readonly mem: SymMemory
  readonly maps: SymMaps
}

/** Execution state flowing along one edge. */
export interface FlowState {
  readonly pc: BoolTerm
  readonly regs: readonly SymVal[]
  readonly pkt: PktBounds
  /** Bytes in use in each ring buffer, by map index (0 for other maps). */
  readonly rings: readonly BvTerm[]
  /** How many get_prandom_u32 / ktime_get_ns calls ran so far (8-bit counters). */
  readonly nrand: BvTerm
  readonly ntime: BvTerm
  /** How many calls of helpers outside the model ran so far (16 bits): the next answer's position. */
  readonly ncall: BvTerm
  /** How many perf_event_output records reached an installed slot so far (8 bits). */
  readonly nperf: BvTerm
  /** Call depth: 0 in the entry program, n inside the n-th nested bpf-to-bpf call. */
  readonly depth: number
  /**
   * Pointers spilled to the stack on this path, by `region@offset` of their 8 bytes: an 8-byte
   * load there gives the pointer back (the verifier's rule); any other write over them forgets it.
   */
  readonly spills: ReadonlyMap<string, Ptr>
}

/** The key of a spill slot. */
export function spillKey(rid: string, off: bigint): string {
  return `${rid}@${BigInt.asIntN(64, off)}`
}

/**
 * `spills` without the slots that bytes [lo, lo + size) of `rid` overlap (every slot of `rid`
 * when the offset is not a constant).
 */
export function forgetSpills(
  spills: ReadonlyMap<string, Ptr>,
  rid: string,
  at: BvTerm,
  size: number
): ReadonlyMap<string, Ptr> {
  if (spills.size === 0) return spills
  const lo = at.op === 'bvconst' ? BigInt.asIntN(64, at.value) : undefined
  let out: Map<string, Ptr> | undefined
  for (const key of spills.keys()) {
    const sep = key.lastIndexOf('@')
    if (key.slice(0, sep) !== rid) continue
    const start = BigInt(key.slice(sep + 1))
    if (lo !== undefined && (start + 8n <= lo || start >= lo + BigInt(size))) continue
    out ??= new Map(spills)
    out.delete(key)
  }
  return out ?? spills
}

/** Everything one program's encoding accumulates. */
export interface ExecContext {
  readonly model: EncodeModel
  readonly layout: SharedLayout
  readonly mem: SymMemory
  readonly maps: SymMaps
  readonly exits: ExitPoint[]
  readonly effects: EffectPoint[]
  /**
   * Calls of helpers outside the model, in program order: helper, argument values, bytes read and
   * the number of effects before them (both programs must make the same ones).
   */
  readonly calls: EffectPoint[]
  /** Ring buffer records reserved so far: region id, ring buffer map, size. */
  readonly reservations: { readonly rid: string; readonly map: number; readonly size: number }[]
  /** Prefix for this program's private variables (uninitialised and clobbered registers). */
  readonly tag: string
  fresh: number
  /** The whole program (for bpf-to-bpf calls), once execution started. */
  program?: readonly Decoded[]
  /** Registers live before each instruction of `program`, by slot (computed on first use). */
  liveIn?: ReadonlyMap<number, number>
  /** States returning from the bpf-to-bpf call being executed, innermost last. */
  readonly returns: FlowState[][]
  /** Back edges taken on the path being unrolled (bounded by {@link MAX_UNROLL}). */
  unroll: number
  /**
   * Paths the encoding does not follow to the end (a loop past the unroll bound, or, when
   * {@link ExecContext.lenient}, a construct outside the model): no answer is sound for an input
   * that takes one of them.
   */
  readonly beyond: Beyond[]
  /**
   * Whether a construct outside the model ends its path (recorded in `beyond`) instead of
   * failing the whole encoding: for whole programs, where `beyond` is checked before any answer.
   */
  lenient: boolean
}

/** How many back edges one path may take before the prover gives up on it. */
export const MAX_UNROLL = 32

/** A fresh private variable of this program (different in the other program). */
export function privateVar(cx: ExecContext, what: string): BvTerm {
  return bvVar(`${cx.tag}_${what}_${cx.fresh++}`, 64)
}

/** The packet's bounds before any adjustment: [0, packet length), no metadata. */
export function initialBounds(layout: SharedLayout): PktBounds {
  return { meta: bv(0, 64), data: bv(0, 64), end: layout.pktLen }
}
