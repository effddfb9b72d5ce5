/**
 * @fileoverview Symbolic machine state: registers as 64-bit terms with pointer provenance, packet
 * bounds, the input model of a query, and the exits and effects an encoding records (the bottom
 * of the encoder: it imports no other encoder module but the shared inputs).
 */
import type { CtxKind, MapDef } from '../interp/types'
import type { BoolTerm, BvTerm } from './term'
import type { SharedInputs } from './enc-inputs'
import { valueVars } from './term-walk'

/**
 * Where the packet's metadata, data and end are, as offsets from where the packet started (the
 * start is 0 and the end the packet length until an xdp_adjust_* helper moves them).
 */
export interface PktBounds {
  readonly meta: BvTerm
  readonly data: BvTerm
  readonly end: BvTerm
}

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
  /**
   * BTF-typed programs (fentry, fexit, LSM, tp_btf): loads through values that are not the
   * program's own pointers read kernel memory (see enc-kmem.ts); otherwise they are unsupported.
   */
  readonly kernelReads?: boolean
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

/** The packet as a call saw it: its bounds and its bytes (a read-only view of memory then). */
export interface PacketView {
  readonly data: BvTerm
  readonly end: BvTerm
  /** The packet region's byte at `place` as it was at the call. */
  readonly byte: (place: readonly BvTerm[]) => BvTerm
  /** The places the program had written in the packet region by then. */
  readonly written: () => (readonly BvTerm[])[]
}

/** An observable helper effect (redirect, tail call, ...), in program order. */
export interface EffectPoint {
  readonly cond: BoolTerm
  readonly kind: string
  readonly args: readonly BvTerm[]
  /**
   * For a call whose outcome may depend on the whole packet: the packet it saw. Two such calls
   * are alike only when their bounds agree and so do their bytes wherever either program wrote
   * (elsewhere both hold the same input bytes).
   */
  readonly pkt?: PacketView
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

/** Thrown inside the encoder for constructs it does not model; caught at its boundary. */
export class Unsupported extends Error {
  override name = 'Unsupported'
}

/**
 * Whether the value of `v` mixes in a base of the program's own memory (a `base_` variable
 * reached through bit-vector operands; one that only chooses between values, as in a null check,
 * does not count). Such an address may point into memory the two programs use differently.
 */
export function mixesOwnPointer(v: BvTerm): boolean {
  return valueVars(v).some((x) => x.name.startsWith('base_'))
}
