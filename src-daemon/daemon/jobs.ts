/**
 * @fileoverview The daemon's jobs: create, start, pause, resume, cancel, delete, priority;
 * resuming every running job from its checkpoints at start-up; saving checkpoints, progress and
 * tests every second and each new best at once; fair sharing of the cores; events.
 */
import { Candidate } from '../core/search/candidate'
import { candidateFromJson, type CandidateJson } from '../core/search/checkpoint'
import { resolveSearchOptions, SearchConfig } from '../core/search/config'
import { perfModelFor, type JsonValue } from '../core/search/cost'
import {
  BUILTIN_LATENCY,
  latencyModel,
  type LatencyModel,
  type LatencyTable
} from '../core/search/latency'
import { JobRunner } from '../engine/jobs/job-runner'
import { SearchPool } from '../engine/search/pool'
import { InputError } from '../engine/program/input-error'
import { prepareJob, type JobExtras } from '../engine/search/prepare'
import type { BestVerdict, ChainProgress } from '../engine/search/protocol'
import type { JobAction } from '../api/protocol/routes'
import type {
  CandidateInfo,
  CreateJobRequest,
  DaemonEvent,
  Job,
  JobState,
  ProgramInfo
} from '../api/protocol/schemas'
import {
  StoreError,
  type JobPatch,
  type JobRow,
  type StoredFile,
  type SummitStore
} from '../store/store'
import { jobView, type ActiveJob, type ChainState } from './job-state'
import { progressPoint } from './metrics'
import { importFiles, loadFiles, runnableOf } from './programs'
import { chooseChains, claimKey } from './scheduler'

/** A refusal the API reports as `{code, message}`. */
export class JobError extends Error {
  override name = 'JobError'
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message)
  }
}

/** Daemon settings that concern jobs. */
export interface JobManagerOptions {
  /** Cores shared by all chains of all jobs. */
  readonly coreLimit: number
  /** How often a chain checkpoints itself (ms). */
  readonly checkpointMs: number
  /** How often a job's checkpoints, progress and tests are written (ms). */
  readonly saveMs: number
  /** How long a stopping chain may take before it is terminated (ms). */
  readonly graceMs: number
  /** The calibrated latency table of the data directory (undefined: the built-in one). */
  readonly latencyTable?: LatencyTable
  /** A running chain keeps its core at least this long when others wait (ms). */
  readonly quantumMs: number
  readonly emit: (e: DaemonEvent) => void
  /** A store failure (shown in health); undefined when it recovered. */
  readonly onStoreError: (message: string | undefined) => void
}

const MAX_CHAIN_FAILURES = 3
const TERMINAL: readonly JobState[] = ['completed', 'cancelled', 'failed']

/** Owns every job the daemon knows. */
export class JobManager {
  private readonly active = new Map<number, ActiveJob>()
  /** Rows whose last state could not be written (the store failed); shown instead of the stored one. */
  private readonly unsaved = new Map<number, JobRow>()
  private lastTick = performance.now()
  private stopping = false
  /**
   * Chain workers kept warm between chain runs (a job started, resumed or scheduled back in
   * starts on a worker whose Z3 is already up).
   */
  private readonly pool = new SearchPool()

  constructor(
    private readonly store: SummitStore,
    private readonly opts: JobManagerOptions
  ) {}

  /** The latency model of estimates the daemon shows and searches use. */
  get latency(): LatencyModel {
    this.latencyModel ??= latencyModel(this.opts.latencyTable ?? BUILTIN_LATENCY)
    return this.latencyModel
  }

  private latencyModel: LatencyModel | undefined

  /** A job's stored extras with the daemon's latency table. */
  private extrasOf(extras: JobExtras): JobExtras {
    const t = this.opts.latencyTable
    return t !== undefined ? { ...extras, latencyTable: t } : extras
  }

  /** Cores in use now. */
  busyWorkers(): number {
    let n = 0
    for (const a of this.active.values()) n += a.runner.running().length
    return n
  }

  /** Jobs in state running. */
  runningJobs(): number {
    return this.active.size
  }

  /** Resumes every job that was running when the daemon stopped (or was killed). */
  resumeAll(): void {
    for (const row of this.store.listJobs())
      if (row.state === 'running') {
        try {
          this.activate(row)
        } catch (e) {
          this.store.updateJob(row.id, { state: 'failed', error: errorText(e) })
        }
      }
  }

  /** Imports a program (files: the program, then its companions). */
  importProgram(files: readonly StoredFile[]): ProgramInfo {
    const p = importFiles(files, Date.now(), this.latency)
    this.store.putProgram(p)
    return this.store.getProgram(p.info.id)?.info ?? p.info
  }

  private row(id: number): JobRow {
    const u = this.unsaved.get(id)
    if (u !== undefined) return u
    const r = this.store.getJob(id)
    if (r === undefined) throw new JobError('NOT_FOUND', `no job ${id}`)
    return r
  }

  /** The API view of job `id`. */
  view(id: number): Job {
    const a = this.active.get(id)
    const row = a?.row ?? this.row(id)
    return jobView(row, a?.runner.running().length ?? 0)
  }

  /** Every job. */
  list(): Job[] {
    return this.store.listJobs().map((r) => {
      const a = this.active.get(r.id)
      return jobView(a?.row ?? this.unsaved.get(r.id) ?? r, a?.runner.running().length ?? 0)
    })
  }

  /** Creates a job from a stored program and a (partial) config; starts it when asked. */
  create(req: CreateJobRequest): Job {
    const stored = this.store.getProgram(req.programId)
    if (stored === undefined) throw new JobError('NOT_FOUND', `no program ${req.programId}`)
    const options = resolveSearchOptions(req.config ?? {})
    if (!options.ok) throw new JobError(options.error.code, options.error.message)
    const input = loadFiles(stored.files)
    const { program, runnable } = runnableOf(input, req.section)
    for (const [lo, hi] of req.extras?.windows ?? [])
      if (lo > hi || hi >= runnable.slots.length)
        throw new JobError(
          'BAD_REQUEST',
          `window ${lo}:${hi} is not inside the program's ${runnable.slots.length} slots`
        )
    const prepared = prepareJob(runnable, options.value, this.extrasOf(req.extras ?? {}))
    if (!prepared.ok)
      throw new InputError({ ...prepared.error, file: input.file, section: program.section })
    const original = Candidate.fromSlots(runnable.slots)
    const slots = original.liveSlots()
    const perfModel = perfModelFor(prepared.value.options.perfModel, original, this.latency)
    const row = this.store.createJob({
      programId: req.programId,
      section: program.section,
      name: req.name ?? `${input.file} [${program.section}]`,
      state: 'created',
      priority: req.priority ?? 0,
      config: options.value,
      extras: req.extras ?? {},
      configSchema: SearchConfig,
      originalSlots: slots,
      bestSlots: slots,
      bestPerf: perfModel.perf(original)
    })
    this.emitJob(row)
    return req.start === true ? this.action(row.id, 'start') : jobView(row, 0)
  }

  /** start (created), resume (paused), pause (running), cancel (not finished). */
  async actionAsync(id: number, action: JobAction): Promise<Job> {
    const row = this.active.get(id)?.row ?? this.row(id)
    const bad = (): never => {
      throw new JobError('JOB_STATE', `cannot ${action} job ${id}: it is ${row.state}`)
    }
    switch (action) {
      case 'start':
        if (row.state !== 'created') bad()
        return this.action(id, action)
      case 'resume':
        if (row.state !== 'paused') bad()
        return this.action(id, action)
      case 'pause':
        if (row.state !== 'running') bad()
        await this.deactivate(id, 'paused', null)
        return this.view(id)
      case 'cancel':
        if (TERMINAL.includes(row.state)) bad()
        await this.deactivate(id, 'cancelled', null)
        return this.view(id)
    }
  }

  /** Synchronous start/resume (checks done by the caller or here). */
  private action(id: number, action: 'start' | 'resume'): Job {
    if (this.stopping) throw new JobError('SHUTTING_DOWN', 'the daemon is shutting down')
    const row = this.row(id)
    if (action === 'start' && row.state !== 'created')
      throw new JobError('JOB_STATE', `cannot start job ${id}: it is ${row.state}`)
    const now = Date.now()
    const updated = this.store.updateJob(id, {
      state: 'running',
      error: null,
      ...(row.startedAt === null ? { startedAt: now } : {})
    })!
    this.activate(updated)
    this.emitJob(updated)
    return this.view(id)
  }

  /** Sets a job's priority. */
  setPriority(id: number, priority: number): Job {
    this.row(id)
    const row = this.store.updateJob(id, { priority })!
    const a = this.active.get(id)
    if (a !== undefined) a.row = { ...a.row, priority }
    this.emitJob(row)
    return this.view(id)
  }

  /** Deletes a job and everything stored for it. */
  async delete(id: number): Promise<void> {
    this.row(id)
    const a = this.active.get(id)
    if (a !== undefined) {
      this.active.delete(id)
      await a.runner.stopAll(this.opts.graceMs)
    }
    this.store.deleteJob(id)
    this.opts.emit({ type: 'jobDeleted', jobId: id })
  }

  /** Candidates of a job. */
  candidates(id: number): CandidateInfo[] {
    this.row(id)
    return this.store.candidates(id)
  }

  /** Sound candidates that each beat every earlier one, in time order. */
  improvements(id: number): CandidateInfo[] {
    let best = Infinity
    return this.candidates(id).filter((c) => {
      if (!c.sound || c.perf >= best) return false
      best = c.perf
      return true
    })
  }

  private activate(row: JobRow): void {
    if (this.active.has(row.id)) return
    const stored = this.store.getProgram(row.programId)
    if (stored === undefined) throw new JobError('NOT_FOUND', `program ${row.programId} is gone`)
    const { runnable } = runnableOf(loadFiles(stored.files), row.section)
    const prepared = prepareJob(runnable, row.config, this.extrasOf(row.extras))
    if (!prepared.ok) throw new JobError(prepared.error.code, prepared.error.message)
    const job = prepared.value
    const saved = new Map(this.store.checkpoints(row.id).map((c) => [c.chain, c]))
    const chains: ChainState[] = Array.from({ length: job.options.chains }, (_, i) => {
      const s = saved.get(i)
      return {
        index: i,
        seed: (job.options.seed + i) >>> 0,
        checkpoint: s?.data,
        iterations: s?.iterations ?? 0,
        finished: s?.finished ?? false,
        dirty: false,
        savedAt: s?.savedAt ?? 0,
        runMs: 0,
        failures: 0,
        progress: undefined
      }
    })
    const allTests = this.store.tests(row.id).map((t) => JSON.parse(t) as JsonValue)
    const id = row.id
    const runner = new JobRunner(
      job,
      { iterations: job.options.iterations, checkpointMs: this.opts.checkpointMs, reportMs: 200 },
      {
        onCheckpoint: (i, data, iterations) => {
          const c = chains[i]
          if (c === undefined) return
          c.checkpoint = data
          c.iterations = iterations
          c.dirty = true
        },
        onBest: (i, best, perf, verdict) => this.onBest(id, i, best, perf, verdict),
        onTest: (t) => {
          const a = this.active.get(id)
          if (a === undefined) return
          a.newTests.push(JSON.stringify(t))
          a.allTests.push(t)
        },
        onChainExit: (i, how, message, progress) => this.onChainExit(id, i, how, message, progress)
      },
      row.bestPerf,
      this.pool
    )
    this.active.set(row.id, {
      row,
      job,
      runner,
      chains,
      newTests: [],
      allTests,
      lastPoint: undefined,
      lastSaveAt: performance.now(),
      lastCompactAt: performance.now()
    })
  }

  private onBest(
    jobId: number,
    chain: number,
    best: CandidateJson,
    perf: number,
    verdict: BestVerdict
  ): void {
    const a = this.active.get(jobId)
    if (a === undefined) return
    const c = candidateFromJson(best)
    if (c === undefined) return
    try {
      const info = this.store.addCandidate({
        jobId,
        chain,
        foundAt: Date.now(),
        elapsedMs: a.row.elapsedMs,
        slots: c.liveSlots(),
        perf,
        proof: verdict.proof,
        proofDetail: verdict.proofDetail,
        safety: verdict.accepted ? 'accepted' : 'rejected',
        kernel: null,
        sound: verdict.sound,
        program: best
      })
      if (verdict.sound && perf < a.row.bestPerf)
        a.row = { ...a.row, bestPerf: perf, bestSlots: info.slots }
      this.opts.emit({ type: 'best', jobId, candidate: info })
      this.emitJob(a.row)
    } catch (e) {
      this.storeFailed(e)
    }
  }

  private onChainExit(
    jobId: number,
    i: number,
    how: string,
    message: string,
    progress: ChainProgress | undefined
  ): void {
    const a = this.active.get(jobId)
    const c = a?.chains[i]
    if (a === undefined || c === undefined) return
    c.progress = progress ?? c.progress
    if (how === 'done') c.finished = true
    if (how === 'failed') {
      c.failures++
      if (c.failures >= MAX_CHAIN_FAILURES) {
        c.finished = true
        a.row = { ...a.row, error: `chain ${i}: ${message.split('\n')[0] ?? ''}` }
      }
    } else c.failures = 0
  }

  /** Scheduling, progress events and saving; call every 250 ms. */
  tick(): void {
    const now = performance.now()
    const dt = now - this.lastTick
    this.lastTick = now
    if (this.stopping) return
    this.schedule(dt)
    for (const a of [...this.active.values()]) {
      const running = a.runner.running()
      if (running.length > 0) a.row = { ...a.row, elapsedMs: a.row.elapsedMs + dt }
      for (const i of running) {
        const c = a.chains[i]!
        c.runMs += dt
        c.progress = a.runner.progress(i) ?? c.progress
      }
      this.emitProgress(a)
      if (now - a.lastSaveAt >= this.opts.saveMs) this.save(a, now)
      const budget = a.job.options.timeSeconds * 1000
      const allFinished = a.chains.every((c) => c.finished)
      if ((budget > 0 && a.row.elapsedMs >= budget) || allFinished) {
        const failed = a.chains.every((c) => c.failures >= MAX_CHAIN_FAILURES)
        void this.deactivate(a.row.id, failed ? 'failed' : 'completed', a.row.error)
      }
    }
  }

  private schedule(_dt: number): void {
    const claims = []
    for (const a of this.active.values()) {
      const running = new Set(a.runner.running())
      for (const c of a.chains)
        if (!c.finished)
          claims.push({
            jobId: a.row.id,
            chain: c.index,
            priority: a.row.priority,
            running: running.has(c.index),
            runMs: c.runMs
          })
    }
    const chosen = chooseChains(claims, this.opts.coreLimit, this.opts.quantumMs)
    // Stop first (frees cores), then start.
    for (const cl of claims)
      if (cl.running && !chosen.has(claimKey(cl.jobId, cl.chain)))
        void this.active.get(cl.jobId)?.runner.stop(cl.chain, this.opts.graceMs)
    let busy = this.busyWorkers()
    for (const cl of claims) {
      if (cl.running || !chosen.has(claimKey(cl.jobId, cl.chain))) continue
      if (busy >= this.opts.coreLimit) break
      const a = this.active.get(cl.jobId)!
      const c = a.chains[cl.chain]!
      const own = c.checkpoint !== undefined ? new Set(addedTestsOf(c.checkpoint)) : new Set()
      const tests = a.chains.length > 1 ? a.allTests.filter((t) => !own.has(JSON.stringify(t))) : []
      a.runner.start(cl.chain, c.checkpoint, tests)
      busy++
    }
  }

  private emitProgress(a: ActiveJob): void {
    const progress = a.chains.flatMap((c) => (c.progress !== undefined ? [c.progress] : []))
    const point = progressPoint(
      progress,
      a.row.elapsedMs,
      { slots: a.row.bestSlots, perf: a.row.bestPerf },
      a.lastPoint
    )
    const running = new Set(a.runner.running())
    a.row = { ...a.row, iterations: point.iterations, evaluations: point.evaluations }
    this.opts.emit({
      type: 'progress',
      jobId: a.row.id,
      point,
      chains: a.chains.map((c) => ({
        index: c.index,
        running: running.has(c.index),
        iterations: c.progress?.counters.iterations ?? c.iterations,
        bestSlots: c.progress?.bestSlots ?? a.row.bestSlots,
        tests: c.progress?.tests ?? 0,
        checkpointAt: c.savedAt
      }))
    })
  }

  /** Writes a job's new checkpoints, a progress point and its new tests. */
  private save(a: ActiveJob, now: number): boolean {
    a.lastSaveAt = now
    const progress = a.chains.flatMap((c) => (c.progress !== undefined ? [c.progress] : []))
    const point =
      progress.length > 0
        ? progressPoint(
            progress,
            a.row.elapsedMs,
            { slots: a.row.bestSlots, perf: a.row.bestPerf },
            a.lastPoint
          )
        : undefined
    const savedAt = Date.now()
    const dirty = a.chains.filter((c) => c.dirty && c.checkpoint !== undefined)
    try {
      this.store.addTests(a.row.id, a.newTests)
      a.newTests.length = 0
      this.store.saveProgress(
        a.row.id,
        dirty.map((c) => ({
          chain: c.index,
          seed: c.seed,
          savedAt,
          iterations: c.iterations,
          finished: c.finished,
          data: c.checkpoint!
        })),
        point,
        patchOf(a.row)
      )
      for (const c of dirty) {
        c.dirty = false
        c.savedAt = savedAt
      }
      if (point !== undefined) a.lastPoint = point
      if (now - a.lastCompactAt > 60_000) {
        a.lastCompactAt = now
        this.store.compactMetrics(a.row.id)
      }
      this.opts.onStoreError(undefined)
      return true
    } catch (e) {
      this.storeFailed(e, a)
      return false
    }
  }

  /** A write failed: the job pauses (in memory, and in the store if it can still be written). */
  private storeFailed(e: unknown, a?: ActiveJob): void {
    if (!(e instanceof StoreError)) throw e
    this.opts.onStoreError(e.message)
    const jobs = a !== undefined ? [a] : [...this.active.values()]
    for (const j of jobs) void this.deactivate(j.row.id, 'paused', e.message, false)
  }

  /** Stops a job's chains (they checkpoint), saves, and sets its state. */
  private async deactivate(
    id: number,
    state: JobState,
    error: string | null,
    save = true
  ): Promise<void> {
    const a = this.active.get(id)
    const finishedAt = TERMINAL.includes(state) ? { finishedAt: Date.now() } : {}
    let row: JobRow
    if (a !== undefined) {
      this.active.delete(id)
      await a.runner.stopAll(this.opts.graceMs)
      a.row = { ...a.row, state, error, ...finishedAt }
      row = a.row
      if (save && this.save(a, performance.now())) {
        this.unsaved.delete(id)
        this.emitJob(this.store.getJob(id) ?? row)
        return
      }
    } else row = { ...this.row(id), state, error, ...finishedAt }
    try {
      row = this.store.updateJob(id, { state, error, ...finishedAt }) ?? row
      this.unsaved.delete(id)
    } catch (e) {
      // The store cannot be written: the state is kept in memory (the job resumes from its
      // last saved checkpoint at the next start).
      if (!(e instanceof StoreError)) throw e
      this.opts.onStoreError(e.message)
      this.unsaved.set(id, row)
    }
    this.emitJob(row)
  }

  private emitJob(row: JobRow): void {
    this.opts.emit({
      type: 'job',
      job: jobView(row, this.active.get(row.id)?.runner.running().length ?? 0)
    })
  }

  /** Stops every chain (they checkpoint) and saves; the jobs stay `running` in the store. */
  async shutdown(): Promise<void> {
    this.stopping = true
    const all = [...this.active.values()]
    await Promise.all(all.map((a) => a.runner.stopAll(this.opts.graceMs)))
    for (const a of all) {
      try {
        this.save(a, performance.now())
      } catch {
        // reported through onStoreError
      }
    }
    this.active.clear()
    await this.pool.dispose()
  }
}

/** The job columns a save writes. */
function patchOf(row: JobRow): JobPatch {
  return {
    state: row.state,
    elapsedMs: row.elapsedMs,
    iterations: row.iterations,
    evaluations: row.evaluations,
    error: row.error,
    finishedAt: row.finishedAt
  }
}

/** The tests a checkpoint already holds (JSON text each). */
function addedTestsOf(checkpoint: string): string[] {
  try {
    const doc = JSON.parse(checkpoint) as { addedTests?: unknown[] }
    return (doc.addedTests ?? []).map((t) => JSON.stringify(t))
  } catch {
    return []
  }
}

/** One line for an unexpected failure. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
