/**
 * @fileoverview A pool of chain workers kept warm between searches: each has Z3 loaded and its
 * solver thread started, which otherwise costs every search about a second before its first
 * proof (Z3 loads in 0.3-0.5 s and its first check takes 0.7-0.9 s here).
 */
import { Worker } from 'node:worker_threads'
import type { ChainWorkerData, MainMessage, PooledWorkerData, WorkerMessage } from './protocol'
import { workerSpec } from './worker-spec'

/** Chain workers reused from one search to the next (one job per worker at a time). */
export class SearchPool {
  private readonly idle: Worker[] = []
  private readonly all = new Set<Worker>()
  private disposed = false

  /**
   * A worker for one job (post it a `job` message): an idle warm one, else a new one, which
   * takes the job once Z3 is up in it (messages wait in its port until then).
   */
  take(): Worker {
    if (this.disposed) throw new Error('SearchPool used after dispose')
    return this.idle.pop() ?? this.start()
  }

  /** Starts `n` workers ahead of need (returns when all are warm). */
  async prestart(n: number): Promise<void> {
    const ws = await Promise.all(Array.from({ length: n }, () => this.warm(this.start())))
    this.idle.push(...ws)
  }

  /** Gives a worker back after its job's `done` (a worker that failed is terminated instead). */
  release(w: Worker, healthy: boolean): void {
    if (healthy && !this.disposed) this.idle.push(w)
    else {
      this.all.delete(w)
      void w.terminate()
    }
  }

  /** Number of workers started and not yet ended. */
  get size(): number {
    return this.all.size
  }

  /** Stops every worker (idle ones stop Z3 first; busy ones are terminated). */
  async dispose(): Promise<void> {
    this.disposed = true
    const idle = new Set(this.idle.splice(0))
    await Promise.all(
      [...this.all].map(async (w) => {
        const exited = new Promise<void>((r) => w.once('exit', () => r()))
        if (idle.has(w)) w.postMessage({ type: 'exit' })
        else void w.terminate()
        await exited
      })
    )
    this.all.clear()
  }

  /** A new pooled worker (Z3 starting in it). */
  private start(): Worker {
    const spec = workerSpec()
    const data: PooledWorkerData = {
      ...(spec.entry !== undefined ? { entry: spec.entry } : {}),
      pooled: true
    }
    const w = new Worker(spec.url, { workerData: data })
    this.all.add(w)
    w.once('exit', () => this.all.delete(w))
    return w
  }

  /** Resolves with `w` once it reports `warm` (rejects if it fails first). */
  private warm(w: Worker): Promise<Worker> {
    return new Promise<Worker>((resolve, reject) => {
      const onMessage = (m: WorkerMessage): void => {
        if (m.type === 'warm') {
          w.off('message', onMessage)
          w.off('error', onError)
          resolve(w)
        } else if (m.type === 'failed') onError(new Error(m.message))
      }
      const onError = (e: Error): void => {
        w.off('message', onMessage)
        this.all.delete(w)
        void w.terminate()
        reject(e)
      }
      w.on('message', onMessage)
      w.once('error', onError)
    })
  }
}

/** A worker running chain job `data`: a pooled one (sent the job) when `pool` is given, else a new one. */
export function chainWorker(data: ChainWorkerData, pool: SearchPool | undefined): Worker {
  if (pool === undefined) return new Worker(workerSpec().url, { workerData: data })
  const w = pool.take()
  w.postMessage({ type: 'job', data } satisfies MainMessage)
  return w
}

/** Ends a chain's use of its worker: back to `pool` when healthy, else terminated. */
export function endChainWorker(w: Worker, pool: SearchPool | undefined, healthy: boolean): void {
  if (pool !== undefined) pool.release(w, healthy)
  else void w.terminate()
}
