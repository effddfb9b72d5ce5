/** @fileoverview What the API server serves: the daemon implements this (the server knows no jobs or store). */
import type { ExportFormat, JobAction } from './protocol/routes'
import type {
  CandidateDetail,
  CandidateInfo,
  CreateJobRequest,
  DaemonEvent,
  Disassembly,
  Health,
  Job,
  KernelCheckQueued,
  MetricPoint,
  ProgramInfo
} from './protocol/schemas'

/**
 * The daemon as the API sees it. Failures are thrown as errors with a string `code` (the API
 * sends `{code, message}`) or a `diagnostic` (input errors, as the CLI prints them).
 */
export interface ApiBackend {
  health(): Health
  importProgram(files: readonly { name: string; bytes: Uint8Array }[]): ProgramInfo
  listPrograms(): ProgramInfo[]
  getProgram(id: string): ProgramInfo
  disassemble(id: string, section: string): Disassembly
  listJobs(): Job[]
  createJob(req: CreateJobRequest): Job
  getJob(id: number): Job
  deleteJob(id: number): Promise<void>
  jobAction(id: number, action: JobAction): Promise<Job>
  setPriority(id: number, priority: number): Job
  metrics(id: number, maxPoints: number): MetricPoint[]
  candidates(id: number): CandidateInfo[]
  improvements(id: number): CandidateInfo[]
  getCandidate(id: number): CandidateDetail
  /** Queues a kernel check of a candidate (NOT_FOUND when there is none). */
  kernelCheck(id: number): KernelCheckQueued
  exportCandidate(id: number, format: ExportFormat): { bytes: Uint8Array; fileName: string }
  /** Adds an event listener; returns its removal. */
  subscribe(listener: (e: DaemonEvent) => void): () => void
}
