/** @fileoverview Messages between the search engine (main thread) and its chain workers. */
import type { CandidateJson } from '../../core/search/checkpoint'
import type { ChainCounters } from '../../core/search/chain-types'
import type { JsonValue } from '../../core/search/cost'
import type { EvaluatorStats } from '../../core/search/evaluator'
import type { SafetyStats } from '../../core/search/safety'
import type { ProverStats } from './chain-host'
import type { SearchJob } from './job'
import type { CachedProof } from './proof-cache'

/** workerData of a chain worker. */
export interface ChainWorkerData {
  /** Module the tsx bootstrap imports (development). */
  readonly entry?: string
  readonly job: SearchJob
  readonly index: number
  /** Per-chain iteration budget (0 = unbounded). */
  readonly iterations: number
  /** Progress reporting period in milliseconds. */
  readonly reportMs: number
  /** serializeChain output to resume from (the chain continues exactly where it stopped). */
  readonly checkpoint?: string
  /** Post a `checkpoint` message every this many milliseconds (0 or absent = only at the end). */
  readonly checkpointMs?: number
  /**
   * Re-prove each new best as a whole program and re-run the safety analysis (what `summit
   * optimize` does to its result) before reporting it; `best` messages then carry the verdict.
   */
  readonly finalCheck?: boolean
  /** With finalCheck: the best perf already reported for the job (restored bests above it are not re-reported). */
  readonly knownBestPerf?: number
  /** Tests to add before the first iteration (learnt earlier by the job's other chains). */
  readonly tests?: readonly JsonValue[]
}

/** The final check of a reported best (see ChainWorkerData.finalCheck). */
export interface BestVerdict {
  /** Kind of the whole-program proof: equal, notEqual, unknown or error. */
  readonly proof: string
  readonly proofDetail: string
  /** Whether the safety analysis accepts the program. */
  readonly accepted: boolean
  /** Proven equal and accepted: only then is it a result. */
  readonly sound: boolean
}

/** A chain's progress figures. */
export interface ChainProgress {
  readonly index: number
  readonly counters: ChainCounters
  readonly evaluator: EvaluatorStats
  readonly safety: SafetyStats
  readonly prover: ProverStats
  readonly bestPerf: number
  readonly bestSlots: number
  readonly tests: number
}

/** Data of a pooled worker: it waits for `job` messages (see SearchPool). */
export interface PooledWorkerData {
  /** The TypeScript entry in development (see workerSpec). */
  readonly entry?: string
  readonly pooled: true
}

/** Worker → main. */
export type WorkerMessage =
  /** A pooled worker has Z3 up and warm. */
  | { readonly type: 'warm' }
  | { readonly type: 'ready' }
  | { readonly type: 'proof'; readonly key: string; readonly result: CachedProof }
  | {
      readonly type: 'best'
      readonly best: CandidateJson
      readonly perf: number
      readonly progress: ChainProgress
      /** Present when the worker runs with finalCheck. */
      readonly verdict?: BestVerdict
    }
  | { readonly type: 'progress'; readonly progress: ChainProgress }
  | { readonly type: 'checkpoint'; readonly checkpoint: string; readonly iterations: number }
  | {
      readonly type: 'done'
      readonly progress: ChainProgress
      readonly best: CandidateJson
      readonly checkpoint: string | undefined
      readonly improvements: readonly { ms: number; perf: number; slots: number }[]
    }
  | { readonly type: 'failed'; readonly message: string }

/** Main → worker. */
export type MainMessage =
  | { readonly type: 'proof'; readonly key: string; readonly result: CachedProof }
  | { readonly type: 'test'; readonly test: JsonValue }
  | { readonly type: 'best'; readonly best: CandidateJson; readonly perf: number }
  | { readonly type: 'stop' }
  /** To a pooled worker: run this job (after the previous one reported `done`). */
  | { readonly type: 'job'; readonly data: ChainWorkerData }
  /** To a pooled worker: stop Z3 and exit. */
  | { readonly type: 'exit' }
