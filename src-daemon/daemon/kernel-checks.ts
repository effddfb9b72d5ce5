/**
 * @fileoverview The daemon's kernel checks: a queue run one at a time beside the searches (the
 * kernel helper is its own process), each checking a candidate against its job's original and
 * storing the verdict in the candidate's kernel column. A kernel that cannot be used here is
 * stored as `unavailable`, never as accepted.
 */
import { release } from 'node:os'
import { candidateFromJson } from '../core/search/checkpoint'
import { checkCandidate } from '../engine/kernel/candidate-check'
import { KernelOracle } from '../engine/kernel/oracle'
import type { DaemonEvent, KernelCheck, KernelCheckQueued } from '../api/protocol/schemas'
import type { SummitStore } from '../store/store'
import { JobError } from './jobs'
import { failedCheck, summarizeCheck } from './kernel-summary'
import { loadFiles, runnableOf } from './programs'

/** Queued kernel checks, run in order. */
export class KernelChecks {
  private readonly queue: { candidateId: number; jobId: number }[] = []
  private running: { candidateId: number; oracle: KernelOracle } | undefined
  private drain: Promise<void> | undefined
  private stopping = false

  constructor(
    private readonly store: SummitStore,
    private readonly emit: (e: DaemonEvent) => void,
    /** The oracle a check uses (tests may give a fake). */
    private readonly newOracle: () => KernelOracle = () => new KernelOracle()
  ) {}

  /** Queues a check of candidate `id` (a candidate already queued or running keeps its place). */
  enqueue(id: number): KernelCheckQueued {
    if (this.stopping) throw new JobError('SHUTTING_DOWN', 'the daemon is shutting down')
    const row = this.store.getCandidate(id)
    if (row === undefined) throw new JobError('NOT_FOUND', `no candidate ${id}`)
    const answer = (ahead: number): KernelCheckQueued => ({
      candidateId: id,
      jobId: row.jobId,
      ahead
    })
    if (this.running?.candidateId === id) return answer(0)
    const at = this.queue.findIndex((q) => q.candidateId === id)
    if (at >= 0) return answer(at + (this.running !== undefined ? 1 : 0))
    this.queue.push({ candidateId: id, jobId: row.jobId })
    const ahead = this.queue.length - 1 + (this.running !== undefined ? 1 : 0)
    this.drain ??= this.runAll().finally(() => (this.drain = undefined))
    return answer(ahead)
  }

  private async runAll(): Promise<void> {
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
      if (this.stopping) return
      const oracle = this.newOracle()
      this.running = { candidateId: next.candidateId, oracle }
      this.emit({ type: 'kernelCheck', ...next, phase: 'running' })
      let check: KernelCheck
      try {
        check = await this.check(oracle, next.candidateId)
      } catch (e) {
        check = failedCheck('error', e instanceof Error ? e.message : String(e), release())
      } finally {
        this.running = undefined
        await oracle.dispose()
      }
      if (this.stopping) return
      try {
        const candidate = this.store.setCandidateKernel(next.candidateId, check)
        this.emit({
          type: 'kernelCheck',
          ...next,
          phase: 'done',
          ...(candidate !== undefined ? { candidate } : {})
        })
      } catch {
        // The store failed (reported by health); the check is lost, the queue goes on.
        this.emit({ type: 'kernelCheck', ...next, phase: 'done' })
      }
    }
  }

  private async check(oracle: KernelOracle, id: number): Promise<KernelCheck> {
    const row = this.store.getCandidate(id)
    const cand = row === undefined ? undefined : candidateFromJson(row.program)
    if (row === undefined || cand === undefined)
      return failedCheck('error', 'no candidate', release())
    const job = this.store.getJob(row.jobId)
    const stored = job === undefined ? undefined : this.store.getProgram(job.programId)
    if (job === undefined || stored === undefined)
      return failedCheck('error', `the program of job ${row.jobId} is gone`, release())
    const a = await oracle.availability()
    if (!a.available) return failedCheck('unavailable', a.reason, release())
    const input = loadFiles(stored.files)
    const { program } = runnableOf(input, job.section)
    const report = await checkCandidate(oracle, input, program, cand.compact())
    if (!report.ok)
      return failedCheck(
        report.error.code === 'KERNEL_UNAVAILABLE' ? 'unavailable' : 'error',
        report.error.message,
        release()
      )
    return summarizeCheck(report.value, release())
  }

  /** Drops queued checks and stops the running one. */
  async shutdown(): Promise<void> {
    this.stopping = true
    this.queue.length = 0
    await this.running?.oracle.dispose()
    await this.drain
  }
}
