/**
 * @fileoverview Runs the chains of one job in worker threads, each started fresh or from its
 * checkpoint and stopped on request (the chain checkpoints itself on the way out). Chains of a
 * job share proof answers, counterexample tests and sound bests through the main thread. Knows
 * nothing of the store: everything it learns goes out through {@link JobRunnerEvents}.
 */
import type { Worker } from 'node:worker_threads'
import type { CandidateJson } from '../../core/search/checkpoint'
import type { JsonValue } from '../../core/search/cost'
import { chainWorker, endChainWorker, type SearchPool } from '../search/pool'
import { workerSpec } from '../search/worker-spec'
import type { SearchJob } from '../search/job'
import type {
  BestVerdict,
  ChainProgress,
  ChainWorkerData,
  MainMessage,
  WorkerMessage
} from '../search/protocol'

/** What the runner reports. Called on the main thread, in the order the workers sent them. */
export interface JobRunnerEvents {
  /** A chain's saved state (periodic, and the final one when it stops or finishes). */
  readonly onCheckpoint: (chain: number, checkpoint: string, iterations: number) => void
  /** A chain's new best with the verdict of the whole-program re-check. */
  readonly onBest: (chain: number, best: CandidateJson, perf: number, verdict: BestVerdict) => void
  /** A counterexample learnt by a chain (JSON text). */
  readonly onTest: (test: JsonValue) => void
  /** A chain stopped: reached its iterations (`done`), was stopped, or failed. */
  readonly onChainExit: (
    chain: number,
    how: 'done' | 'stopped' | 'failed',
    message: string,
    progress: ChainProgress | undefined
  ) => void
}

/** Settings of a job run. */
export interface JobRunnerOptions {
  /** Iterations per chain (0 = unbounded). */
  readonly iterations: number
  /** Checkpoint period (ms). */
  readonly checkpointMs: number
  /** Progress period (ms). */
  readonly reportMs: number
}

interface RunningChain {
  readonly worker: Worker
  progress: ChainProgress | undefined
  stopping: boolean
  exited: Promise<void>
  /** Ends the chain now (healthy: its worker may run another job). */
  end: (healthy: boolean) => void
}

/** The running chains of one job. */
export class JobRunner {
  private readonly chains = new Map<number, RunningChain>()
  private bestPerf: number

  constructor(
    readonly job: SearchJob,
    private readonly opts: JobRunnerOptions,
    private readonly events: JobRunnerEvents,
    /** Best perf already reported for the job (the original's when none). */
    knownBestPerf: number,
    /** Warm workers to run the chains in (given back when a chain ends); default: new workers. */
    private readonly pool?: SearchPool
  ) {
    this.bestPerf = knownBestPerf
  }

  /** Indices of the running chains. */
  running(): number[] {
    return [...this.chains.keys()]
  }

  /** Latest progress of a running chain. */
  progress(chain: number): ChainProgress | undefined {
    return this.chains.get(chain)?.progress
  }

  private send(except: number, m: MainMessage): void {
    for (const [i, c] of this.chains) if (i !== except && !c.stopping) c.worker.postMessage(m)
  }

  /** Starts chain `index`, from `checkpoint` when given; `tests` are added before it starts. */
  start(index: number, checkpoint: string | undefined, tests: readonly JsonValue[]): void {
    if (this.chains.has(index)) return
    const spec = workerSpec()
    const data: ChainWorkerData = {
      ...(spec.entry !== undefined ? { entry: spec.entry } : {}),
      job: this.job,
      index,
      iterations: this.opts.iterations,
      reportMs: this.opts.reportMs,
      checkpointMs: this.opts.checkpointMs,
      finalCheck: true,
      knownBestPerf: this.bestPerf,
      tests: [...tests],
      ...(checkpoint !== undefined ? { checkpoint } : {})
    }
    const pool = this.pool
    const worker = chainWorker(data, pool)
    const c: RunningChain = {
      worker,
      progress: undefined,
      stopping: false,
      exited: Promise.resolve(),
      end: () => undefined
    }
    let how: 'done' | 'stopped' | 'failed' = 'stopped'
    let message = ''
    c.exited = new Promise<void>((resolve) => {
      let ended = false
      /** The chain has ended: its worker is given back (pooled, healthy) or terminated. */
      const end = (healthy: boolean): void => {
        if (ended) return
        ended = true
        worker.off('message', onMessage)
        worker.off('error', onError)
        worker.off('exit', onExit)
        endChainWorker(worker, pool, healthy)
        this.chains.delete(index)
        this.events.onChainExit(index, how, message, c.progress)
        resolve()
      }
      c.end = end
      const onMessage = (m: WorkerMessage): void => {
        switch (m.type) {
          case 'proof':
            this.send(index, m)
            if (m.result.kind === 'notEqual') this.events.onTest(m.result.counterexample)
            break
          case 'best':
            c.progress = m.progress
            if (m.verdict === undefined) break
            this.events.onBest(index, m.best, m.perf, m.verdict)
            if (m.verdict.sound && m.perf < this.bestPerf) {
              this.bestPerf = m.perf
              this.send(index, { type: 'best', best: m.best, perf: m.perf })
            }
            break
          case 'progress':
            c.progress = m.progress
            break
          case 'checkpoint':
            this.events.onCheckpoint(index, m.checkpoint, m.iterations)
            break
          case 'done':
            c.progress = m.progress
            if (m.checkpoint !== undefined)
              this.events.onCheckpoint(index, m.checkpoint, m.progress.counters.iterations)
            how =
              c.stopping ||
              this.opts.iterations <= 0 ||
              m.progress.counters.iterations < this.opts.iterations
                ? 'stopped'
                : 'done'
            end(true)
            break
          case 'failed':
            how = 'failed'
            message = m.message
            end(false)
            break
          case 'ready':
            break
        }
      }
      const onError = (e: Error): void => {
        how = 'failed'
        message = e.message
      }
      const onExit = (): void => end(false)
      worker.on('message', onMessage)
      worker.on('error', onError)
      worker.on('exit', onExit)
    })
    this.chains.set(index, c)
  }

  /**
   * Stops chain `index`: it checkpoints and exits at its next slice boundary; after `graceMs`
   * (a proof may be running) it is terminated and its last periodic checkpoint stands.
   */
  async stop(index: number, graceMs: number): Promise<void> {
    const c = this.chains.get(index)
    if (c === undefined) return
    c.stopping = true
    c.worker.postMessage({ type: 'stop' } satisfies MainMessage)
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([
      c.exited,
      new Promise<void>((r) => {
        timer = setTimeout(r, graceMs)
      })
    ])
    if (timer !== undefined) clearTimeout(timer)
    // Past the grace period the worker is terminated (a pooled one is not given back).
    c.end(false)
    await c.exited
  }

  /** Stops every chain (see {@link stop}). */
  async stopAll(graceMs: number): Promise<void> {
    await Promise.all(this.running().map((i) => this.stop(i, graceMs)))
  }
}
