/**
 * @fileoverview What the daemon needs from its store: a small interface so that a server
 * database could stand in for SQLite later. Every method is one transaction; errors are thrown
 * as {@link StoreError} with a stable code.
 */
import type {
  CandidateInfo,
  JobState,
  KernelCheck,
  MetricPoint,
  ProgramInfo
} from '../api/protocol/schemas'

/** A stored file of an imported program. */
export interface StoredFile {
  readonly name: string
  readonly bytes: Uint8Array
}

/** An imported program: its summary and its files (program first, then companions). */
export interface StoredProgram {
  readonly info: ProgramInfo
  readonly files: readonly StoredFile[]
}

/** A job row. */
export interface JobRow {
  readonly id: number
  readonly programId: string
  readonly section: string
  readonly name: string
  readonly state: JobState
  readonly priority: number
  /** Resolved search options. */
  readonly config: Readonly<Record<string, unknown>>
  readonly extras: Readonly<Record<string, unknown>>
  readonly createdAt: number
  readonly startedAt: number | null
  readonly updatedAt: number
  readonly finishedAt: number | null
  readonly elapsedMs: number
  readonly iterations: number
  readonly evaluations: number
  readonly originalSlots: number
  readonly bestSlots: number
  readonly bestPerf: number
  readonly error: string | null
}

/** Fields of a new job. */
export type NewJob = Pick<
  JobRow,
  | 'programId'
  | 'section'
  | 'name'
  | 'state'
  | 'priority'
  | 'config'
  | 'extras'
  | 'originalSlots'
  | 'bestSlots'
  | 'bestPerf'
> & {
  /** The config schema the job was made with (stored beside the row). */
  readonly configSchema: unknown
}

/** Fields a running job updates. */
export type JobPatch = Partial<
  Pick<
    JobRow,
    | 'state'
    | 'priority'
    | 'startedAt'
    | 'finishedAt'
    | 'elapsedMs'
    | 'iterations'
    | 'evaluations'
    | 'bestSlots'
    | 'bestPerf'
    | 'error'
  >
>

/** A chain's saved state. */
export interface CheckpointRow {
  readonly chain: number
  readonly seed: number
  readonly savedAt: number
  readonly iterations: number
  readonly finished: boolean
  /** serializeChain output. */
  readonly data: string
}

/** A candidate to store (a chain's new best with its final-check verdict). */
export type NewCandidate = Omit<CandidateInfo, 'id'> & {
  /** The candidate's fixed slots (CandidateJson). */
  readonly program: unknown
}

/** A stored candidate with its program. */
export type CandidateRow = CandidateInfo & { readonly program: unknown }

/** Store failures: `STORE_DAMAGED`, `STORE_UNAVAILABLE` (read-only, disk full, locked), `STORE_VERSION`. */
export class StoreError extends Error {
  override name = 'StoreError'
  constructor(
    readonly code: 'STORE_DAMAGED' | 'STORE_UNAVAILABLE' | 'STORE_VERSION',
    message: string
  ) {
    super(message)
  }
}

/** The daemon's persistent state. */
export interface SummitStore {
  /** Adds a program (content-addressed: adding the same one twice is a no-op). */
  putProgram(p: StoredProgram): void
  getProgram(id: string): StoredProgram | undefined
  listPrograms(): ProgramInfo[]

  createJob(j: NewJob): JobRow
  getJob(id: number): JobRow | undefined
  listJobs(): JobRow[]
  updateJob(id: number, patch: JobPatch): JobRow | undefined
  /** Deletes a job with its chains, checkpoints, candidates, tests and metrics. */
  deleteJob(id: number): boolean

  /**
   * Saves chain states and a progress point of a job together (one transaction: a crash keeps
   * either all of them or the previous ones).
   */
  saveProgress(
    jobId: number,
    checkpoints: readonly CheckpointRow[],
    point: MetricPoint | undefined,
    patch: JobPatch
  ): void
  checkpoints(jobId: number): CheckpointRow[]

  /** Commits a candidate at once in its own transaction (with the job's best when it is sound). */
  addCandidate(c: NewCandidate): CandidateInfo
  candidates(jobId: number): CandidateInfo[]
  /** Stores a candidate's kernel check (JSON in its kernel column); undefined when there is none. */
  setCandidateKernel(id: number, check: KernelCheck): CandidateInfo | undefined
  getCandidate(id: number): CandidateRow | undefined

  /** Adds tests (counterexamples, JSON text); duplicates are ignored. */
  addTests(jobId: number, tests: readonly string[]): void
  tests(jobId: number): string[]

  /** The series, thinned to at most `maxPoints` (always keeping the first and last). */
  metrics(jobId: number, maxPoints: number): MetricPoint[]
  /** Downsamples a job's older points (see the README for the tiers). */
  compactMetrics(jobId: number): void

  /** `PRAGMA quick_check` (or the equivalent): 'ok' or the problems found. */
  quickCheck(): string
  /** Bytes on disk. */
  sizeBytes(): number
  close(): void
}
