/** @fileoverview Types shared by the chain, its driver and checkpoints: proofs, events, counters. */
import type { Candidate } from './candidate'
import type { JsonValue, PerfModel, ErrorEvaluator, SafetyCheck } from './cost'
import type { LatencyModel } from './latency'
import { MOVE_COUNT } from './proposals'

/** Outcome of an equivalence proof (a timeout or solver error is `unknown`, never `equal`). */
export type ProofResult =
  | { readonly kind: 'equal' }
  | { readonly kind: 'notEqual'; readonly counterexample: JsonValue }
  | { readonly kind: 'unknown'; readonly reason: string }
  /** Proven equal, but the kernel verifier refused it: the candidate counts as unsafe. */
  | { readonly kind: 'rejected'; readonly reason: string }

/** Proves a candidate equivalent to the original (and safe, if the prover also checks that). */
export interface Prover {
  /** Checks `c`; the candidate must be read (e.g. `c.compact()`) before the promise settles. */
  check(c: Candidate): Promise<ProofResult>
}

/** Synchronous form of {@link Prover} for tests and in-worker solvers. */
export type SyncProver = (c: Candidate) => ProofResult

/** What {@link Chain.run} stopped for. */
export type ChainEvent =
  | { readonly kind: 'done' }
  /** A candidate passed every test and would improve the best: prove it, then `resolveProof`. */
  | { readonly kind: 'needsProof'; readonly candidate: Candidate }

/** Parts injected into a chain. */
export interface ChainDeps {
  readonly evaluator: ErrorEvaluator
  readonly safety?: SafetyCheck
  /** Overrides the perf model chosen by `perfModel` in the options. */
  readonly perf?: PerfModel
  /** The latency model of `sizeNoSlower` and `latency` (default: the built-in table). */
  readonly latency?: LatencyModel
  /** Per slot: 1 = pinned (moves may keep or remove it, never rewrite it), 2 = frozen (kept). */
  readonly pinned?: Uint8Array
}

/** Counters of one chain (all plain numbers, JSON-serialisable). */
export interface ChainCounters {
  iterations: number
  accepted: number
  /** Proposals that changed nothing (no legal move found, or an identical instruction). */
  noops: number
  evaluations: number
  earlyExits: number
  unsafe: number
  proofRequests: number
  proofsEqual: number
  proofsNotEqual: number
  proofsUnknown: number
  /** Proof requests answered from the cache of programs the prover could not decide. */
  proofsSkippedUnknown: number
  /** Counterexamples after which the candidate still passed every test (evaluator/prover mismatch). */
  counterexamplesNotFailing: number
  bestImprovements: number
  /** New bests the kernel verifier accepted, refused, or could not check (verifier in the loop). */
  kernelAccepted: number
  kernelRejected: number
  kernelUnchecked: number
  restarts: number
  windowSwitches: number
  /** Proposals per move id (see MOVE_NAMES). */
  proposals: number[]
  /** Accepted proposals per move id. */
  acceptedByMove: number[]
}

/** Fresh zeroed counters. */
export function newCounters(): ChainCounters {
  return {
    iterations: 0,
    accepted: 0,
    noops: 0,
    evaluations: 0,
    earlyExits: 0,
    unsafe: 0,
    proofRequests: 0,
    proofsEqual: 0,
    proofsNotEqual: 0,
    proofsUnknown: 0,
    proofsSkippedUnknown: 0,
    counterexamplesNotFailing: 0,
    bestImprovements: 0,
    kernelAccepted: 0,
    kernelRejected: 0,
    kernelUnchecked: 0,
    restarts: 0,
    windowSwitches: 0,
    proposals: new Array<number>(MOVE_COUNT).fill(0),
    acceptedByMove: new Array<number>(MOVE_COUNT).fill(0)
  }
}

/** An inclusive slot range [start, end]. */
export type Window = readonly [start: number, end: number]
