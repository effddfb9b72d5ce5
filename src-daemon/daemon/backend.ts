/** @fileoverview The daemon behind the API: programs and candidates from the store, jobs from the job manager, events to subscribers. */
import { availableParallelism } from 'node:os'
import { candidateFromJson } from '../core/search/checkpoint'
import { latencyOf } from '../core/search/latency'
import type { ApiBackend } from '../api/backend'
import { PROTOCOL_VERSION, type DaemonEvent, type Health } from '../api/protocol/schemas'
import type { SummitStore } from '../store/store'
import { JobError, type JobManager } from './jobs'
import type { KernelChecks } from './kernel-checks'
import { disassemble, exportBytes, insnLines, loadFiles } from './programs'

/** Facts health reports that the backend does not own. */
export interface HealthFacts {
  readonly version: string
  readonly dataDir: string
  readonly coreLimit: number
  readonly startedAt: number
  storeError: string | undefined
}

/** Fans events out to subscribers. */
export class EventHub {
  private readonly listeners = new Set<(e: DaemonEvent) => void>()
  /** Sends `e` to every subscriber (a failing one is dropped). */
  emit(e: DaemonEvent): void {
    for (const l of this.listeners) {
      try {
        l(e)
      } catch {
        this.listeners.delete(l)
      }
    }
  }
  /** Adds a listener; returns its removal. */
  subscribe(l: (e: DaemonEvent) => void): () => void {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }
}

/** The ApiBackend of a daemon. */
export function daemonBackend(
  store: SummitStore,
  jobs: JobManager,
  hub: EventHub,
  facts: HealthFacts,
  checks: KernelChecks
): ApiBackend & { health(): Health } {
  const program = (id: string) => {
    const p = store.getProgram(id)
    if (p === undefined) throw new JobError('NOT_FOUND', `no program ${id}`)
    return p
  }
  const candidate = (id: number) => {
    const c = store.getCandidate(id)
    if (c === undefined) throw new JobError('NOT_FOUND', `no candidate ${id}`)
    const cand = candidateFromJson(c.program)
    if (cand === undefined) throw new JobError('INTERNAL', `candidate ${id} is malformed`)
    return { row: c, cand }
  }
  return {
    health: () => ({
      protocol: PROTOCOL_VERSION,
      version: facts.version,
      pid: process.pid,
      uptimeMs: Date.now() - facts.startedAt,
      dataDir: facts.dataDir,
      coreLimit: facts.coreLimit || availableParallelism(),
      busyWorkers: jobs.busyWorkers(),
      jobsRunning: jobs.runningJobs(),
      rssBytes: process.memoryUsage().rss,
      store: { ok: facts.storeError === undefined, error: facts.storeError ?? null }
    }),
    importProgram: (files) => jobs.importProgram(files),
    listPrograms: () => store.listPrograms(),
    getProgram: (id) => program(id).info,
    disassemble: (id, section) => disassemble(loadFiles(program(id).files), section),
    listJobs: () => jobs.list(),
    createJob: (req) => jobs.create(req),
    getJob: (id) => jobs.view(id),
    deleteJob: (id) => jobs.delete(id),
    jobAction: (id, action) => jobs.actionAsync(id, action),
    setPriority: (id, p) => jobs.setPriority(id, p),
    metrics: (id, max) => {
      jobs.view(id)
      return store.metrics(id, max)
    },
    candidates: (id) => jobs.candidates(id),
    improvements: (id) => jobs.improvements(id),
    getCandidate: (id) => {
      const { row, cand } = candidate(id)
      const { program: _p, ...info } = row
      return { ...info, lines: insnLines(cand.compact()), latency: latencyOf(cand, jobs.latency) }
    },
    kernelCheck: (id) => checks.enqueue(id),
    exportCandidate: (id, format) => {
      const { row, cand } = candidate(id)
      // Soundness: only proven-equal, analysis-accepted candidates leave the daemon as programs.
      if (!row.sound)
        throw new JobError(
          'NOT_SOUND',
          `candidate ${id} is not a result (proof ${row.proof}, safety ${row.safety})`
        )
      const job = jobs.view(row.jobId)
      return exportBytes(loadFiles(program(job.programId).files), job.section, cand, format)
    },
    subscribe: (l) => hub.subscribe(l)
  }
}
