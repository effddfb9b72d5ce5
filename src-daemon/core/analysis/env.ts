/** @fileoverview Per-run environment of the analysis (options, id generator, stack depth bookkeeping). */
import type { MapDef, ProgType } from './types'

/** What the transfer functions need besides the state. */
export interface Env {
  readonly progType: ProgType
  readonly maps: readonly MapDef[]
  /** Accessible size of a flat context. */
  readonly ctxSize: number
  /** Whether reads of uninitialised stack are accepted. */
  readonly uninitStack: boolean
  /** Deepest stack byte used, per subprogram (positive byte count). */
  readonly stackDepth: number[]
  /** Subprogram of each frame depth on the current path is looked up through this callback. */
  readonly subprogOfFrame: (frame: number) => number
  /** Last id handed out (null-check ids, packet ids, scalar copy ids, references). */
  idGen: number
}

/** A fresh id. */
export function nextId(env: Env): number {
  env.idGen += 1
  return env.idGen
}
