/** @fileoverview The in-memory state of a job the daemon is running, and the API view of a job row. */
import type { JsonValue } from '../core/search/cost'
import type { JobRunner } from '../engine/jobs/job-runner'
import type { SearchJob } from '../engine/search/job'
import type { ChainProgress } from '../engine/search/protocol'
import type { Job, MetricPoint } from '../api/protocol/schemas'
import type { JobRow } from '../store/store'

/** One chain of an active job. */
export interface ChainState {
  readonly index: number
  readonly seed: number
  /** Latest checkpoint (serializeChain output), saved or not. */
  checkpoint: string | undefined
  iterations: number
  /** Reached its iteration budget. */
  finished: boolean
  /** Checkpoint not yet written to the store. */
  dirty: boolean
  savedAt: number
  /** Milliseconds run since the daemon started (for fair sharing). */
  runMs: number
  /** Failures in a row (restarted from its checkpoint up to a limit). */
  failures: number
  /** Latest progress (kept when the chain is not running). */
  progress: ChainProgress | undefined
}

/** A job in state `running` (it wants cores; some or all of its chains may wait). */
export interface ActiveJob {
  row: JobRow
  readonly job: SearchJob
  readonly runner: JobRunner
  readonly chains: ChainState[]
  /** Tests learnt since the last save (JSON text). */
  readonly newTests: string[]
  /** Every test of the job, for chains that start without a checkpoint. */
  readonly allTests: JsonValue[]
  lastPoint: MetricPoint | undefined
  lastSaveAt: number
  lastCompactAt: number
}

/** The API's view of a job row. */
export function jobView(row: JobRow, runningChains: number): Job {
  return {
    id: row.id,
    programId: row.programId,
    section: row.section,
    name: row.name,
    state: row.state,
    priority: row.priority,
    config: { ...row.config },
    extras: { ...row.extras },
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    updatedAt: row.updatedAt,
    finishedAt: row.finishedAt,
    elapsedMs: row.elapsedMs,
    iterations: row.iterations,
    evaluations: row.evaluations,
    originalSlots: row.originalSlots,
    bestSlots: row.bestSlots,
    bestPerf: row.bestPerf,
    runningChains,
    error: row.error
  }
}
