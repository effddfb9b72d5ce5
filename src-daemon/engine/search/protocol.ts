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

/** Worker → main. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'proof'; readonly key: string; readonly result: CachedProof }
  | {
      readonly type: 'best'
      readonly best: CandidateJson
      readonly perf: number
      readonly progress: ChainProgress
    }
  | { readonly type: 'progress'; readonly progress: ChainProgress }
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
