/** @fileoverview Per-run environment of the analysis (options, id generator, stack depth bookkeeping). */
import type { BtfType } from '../formats/btf'
import type { BtfTarget } from './btf-target'
import type { AttachType } from './program-kind'
import type { MapDef, ProgType, T } from './types'

/** What the transfer functions need besides the state. */
export interface Env {
  readonly progType: ProgType
  /** Expected attach type (undefined: none given). */
  readonly attachType: AttachType | undefined
  /** Loaded as sleepable (BPF_F_SLEEPABLE): helpers that may sleep are allowed. */
  readonly sleepable: boolean
  /** The program's maps, then the inner map of each map-in-map. */
  readonly maps: readonly MapDef[]
  /** Index in `maps` of each map's inner map (-1: none). */
  readonly innerMaps: readonly number[]
  /** Accessible size of a flat context. */
  readonly ctxSize: number
  /** Array lookups with a constant in-range key return a non-null value (kernels from 6.14). */
  readonly elideConstKeyNull: boolean
  /** A tail call that returns invalidates packet pointers (every target before 6.18). */
  readonly tailCallChangesPkt: boolean
  /** Whether reads of uninitialised stack are accepted. */
  readonly uninitStack: boolean
  /** Deepest stack byte used, per subprogram (positive byte count). */
  readonly stackDepth: number[]
  /** Subprogram of each frame depth on the current path is looked up through this callback. */
  readonly subprogOfFrame: (frame: number) => number
  /** Pointer kind each load/store position was first reached with (the kernel's aux ptr_type). */
  readonly accessKinds: Map<number, T>
  /** The attach target of a BTF-typed program (fentry, fexit, fmod_ret, LSM, tp_btf). */
  readonly btfTarget: BtfTarget | undefined
  /** Why there is no attach target (refusal of every context load), when there is none. */
  readonly btfRefusal: string | undefined
  /** The target's BTF slice by type id. */
  readonly btfTypes: ReadonlyMap<number, BtfType>
  /** Why the attach target's BTF does not describe the target kernel (undefined: it does). */
  readonly btfKernelMismatch: string | undefined
  /** The target kernel lists nullable tp_btf arguments (6.14 on). */
  readonly rawTpNullArgs: boolean
  /** End of the furthest context access so far. */
  ctxBytes: number
  /** Last id handed out (null-check ids, packet ids, scalar copy ids, references). */
  idGen: number
}

/** A fresh id. */
export function nextId(env: Env): number {
  env.idGen += 1
  return env.idGen
}
