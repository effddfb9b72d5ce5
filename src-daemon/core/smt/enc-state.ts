/**
 * @fileoverview Symbolic machine state: registers as 64-bit terms with pointer provenance, the
 * input model of a query, and the per-program encoding that the executor produces.
 */
import type { CtxKind, MapDef } from '../interp/types'
import type { BoolTerm, BvTerm } from './term'
import type { SharedInputs } from './enc-inputs'
import type { SymMemory } from './enc-memory'
import type { SymMaps } from './enc-maps'
import type { PktBounds } from './enc-exec'

/** What both programs of a query run on. */
export interface EncodeModel {
  /** Context kind (as the interpreter names them). */
  readonly ctx: CtxKind
  /** Largest packet (xdp, skb, socket). */
  readonly maxPacket: number
  /** Size of a flat/tracepoint/plain context buffer (fixed). */
  readonly ctxSize: number
  /** Maps, by index. */
  readonly maps: readonly MapDef[]
}

/**
 * Where a value points: region id (`stack<frame>`, `ctx`, `pkt`, `map<i>` for a map value,
 * `mapref<i>` for a map handle), offset within it, and for map values the entry's key.
 */
export interface Ptr {
  readonly rid: string
  readonly off: BvTerm
  readonly key?: BvTerm
}

/** A register value: its 64 bits and, for pointers, where it points. */
export interface SymVal {
  readonly v: BvTerm
  readonly ptr?: Ptr
}

/** How a program ended on one path. */
export interface ExitPoint {
  /** Path condition of this exit. */
  readonly cond: BoolTerm
  /** Ordinary exit, or a successful tail call. */
  readonly via: 'exit' | 'tail_call'
  /** r0 (meaningless after a tail call). */
  readonly r0: BvTerm
  /** The packet's bounds at the exit. */
  readonly pkt: PktBounds
  /** Bytes in use in each ring buffer at the exit, by map index. */
  readonly rings: readonly BvTerm[]
}

/** An observable helper effect (redirect, tail call, ...), in program order. */
export interface EffectPoint {
  readonly cond: BoolTerm
  readonly kind: string
  readonly args: readonly BvTerm[]
}

/** Terms both programs share beyond the input bytes: region bases and the packet length. */
export interface SharedLayout {
  readonly inputs: SharedInputs
  /** Numeric base address of each fixed region (`ctx`, `pkt`, `stack0`...). */
  readonly base: (rid: string) => BvTerm
  /** Packet length (64-bit), for packet contexts. */
  readonly pktLen: BvTerm
}

/** A path the encoding does not follow to its end, and why. */
export interface Beyond {
  readonly cond: BoolTerm
  readonly reason: string
}

/** The encoding of one program. */
export interface ProgramEncoding {
  /** Paths not followed to the end (no answer is sound for an input that takes one). */
  readonly beyond: readonly Beyond[]
  readonly exits: readonly ExitPoint[]
  readonly effects: readonly EffectPoint[]
  readonly mem: SymMemory
  readonly maps: SymMaps
}

/** Thrown inside the encoder for constructs it does not model; caught at its boundary. */
export class Unsupported extends Error {
  override name = 'Unsupported'
}
