/** @fileoverview What a search job is made of (structured-cloneable, so workers receive it as is). */
import type { Insn } from '../../core/isa/insn'
import type { EncodeModel } from '../../core/smt/enc-state'
import type { SearchOptions } from '../../core/search/config'
import type { AnalysisProfile } from '../../core/search/safety'
import type { LatencyTable } from '../../core/search/latency'
import type { KernelTarget } from './kernel-gate'

/** A search job: the original program, its input model and the search options. */
export interface SearchJob {
  /** The original program's slots. */
  readonly slots: readonly Insn[]
  /** The interpreter/prover input model. */
  readonly model: EncodeModel
  /** The analysis profile that accepts the original (see `analysisProfile`). */
  readonly profile: AnalysisProfile
  /** Resolved search options (`seed` is chain 0's seed; chain i uses seed + i). */
  readonly options: SearchOptions
  /** Number of generated tests. */
  readonly testCount: number
  /** Seed of the generated tests (shared by all chains). */
  readonly testSeed: number
  /** Time limit of one equivalence proof, in milliseconds. */
  readonly proofTimeoutMs: number
  /** Windows per chain (0 = every selected window). */
  readonly windowLimit: number
  /** Explicit windows (inclusive slot ranges), replacing the automatic selection. */
  readonly windows?: readonly (readonly [number, number])[]
  /** The latency table of the perf model (default: the built-in one; see `summit calibrate`). */
  readonly latencyTable?: LatencyTable
  /** How to load candidates into the kernel, for the verifier in the loop (`kernelVerify`). */
  readonly kernelTarget?: KernelTarget
  /** Slots moves may keep or remove but never rewrite (instructions the loader patches: CO-RE). */
  readonly pinnedSlots?: readonly number[]
  /** Slots moves must keep as they are (subprograms another program of the object also calls). */
  readonly frozenSlots?: readonly number[]
}

/** Defaults of the job fields that are not search options. */
export const JOB_DEFAULTS = {
  testCount: 32,
  testSeed: 7,
  proofTimeoutMs: 20_000,
  windowLimit: 0
} as const
