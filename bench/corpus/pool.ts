/**
 * @fileoverview Worker threads for the corpus benchmark: each runs one program at a time with a
 * time limit; a worker that runs out of time is terminated (a slow proof or search cannot stop the
 * run) and replaced, and every worker is recycled after a number of programs to bound Z3 memory.
 */
import { Worker } from 'node:worker_threads'
import type { ProgramTask, ProgramTaskResult, TaskStage } from './program-task'

/** Messages a worker sends. */
export type WorkerReply =
  | { readonly type: 'ready' }
  | {
      readonly type: 'stage'
      readonly stage: TaskStage
      readonly sofar: Partial<ProgramTaskResult>
    }
  | { readonly type: 'done'; readonly result: ProgramTaskResult }
  | { readonly type: 'failed'; readonly message: string }

/** How a task ended. */
export type TaskOutcome =
  | { readonly kind: 'done'; readonly result: ProgramTaskResult }
  | {
      readonly kind: 'failed' | 'timeout'
      readonly message: string
      readonly stage: TaskStage | 'start'
      /** What the worker had answered before the stage that did not finish. */
      readonly sofar: Partial<ProgramTaskResult>
    }

/** Programs a worker runs before it is replaced. */
const RECYCLE_AFTER = 25

function workerSpec(): { url: URL; entry?: string } {
  if (import.meta.url.endsWith('.ts'))
    return {
      url: new URL('./worker-boot.mjs', import.meta.url),
      entry: new URL('./worker.ts', import.meta.url).href
    }
  return { url: new URL('./worker.js', import.meta.url) }
}

/** One worker thread and the number of tasks it has run. */
class Slot {
  private worker: Worker | undefined
  private ready: Promise<void> | undefined
  private runs = 0

  private start(): Promise<void> {
    const spec = workerSpec()
    const w = new Worker(spec.url, {
      workerData: spec.entry !== undefined ? { entry: spec.entry } : {}
    })
    this.worker = w
    this.runs = 0
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (m: WorkerReply): void => {
        if (m.type === 'ready') {
          w.off('message', onMessage)
          resolve()
        }
      }
      w.on('message', onMessage)
      w.once('error', reject)
    })
    return this.ready
  }

  async stop(): Promise<void> {
    const w = this.worker
    this.worker = undefined
    this.ready = undefined
    if (w !== undefined) await w.terminate()
  }

  /** Runs `task` with a limit of `timeoutMs`. */
  async run(task: ProgramTask, timeoutMs: number): Promise<TaskOutcome> {
    if (this.worker === undefined || this.runs >= RECYCLE_AFTER) {
      await this.stop()
      try {
        await this.start()
      } catch (e) {
        await this.stop()
        return { kind: 'failed', stage: 'start', message: String(e), sofar: {} }
      }
    } else await this.ready
    const w = this.worker!
    this.runs++
    let stage: TaskStage | 'start' = 'start'
    let sofar: Partial<ProgramTaskResult> = {}
    const t0 = performance.now()
    const outcome = await new Promise<TaskOutcome>((resolve) => {
      const timer = setTimeout(() => {
        cleanup()
        const s = ((performance.now() - t0) / 1000).toFixed(0)
        resolve({ kind: 'timeout', message: `no answer after ${s} s`, stage, sofar })
      }, timeoutMs)
      const onMessage = (m: WorkerReply): void => {
        if (m.type === 'stage') {
          stage = m.stage
          sofar = m.sofar
        } else if (m.type === 'done') {
          cleanup()
          resolve({ kind: 'done', result: m.result })
        } else if (m.type === 'failed') {
          cleanup()
          resolve({ kind: 'failed', message: m.message, stage, sofar })
        }
      }
      const onError = (e: Error): void => {
        cleanup()
        resolve({ kind: 'failed', message: `worker died: ${e.message}`, stage, sofar })
      }
      const onExit = (code: number): void => {
        cleanup()
        resolve({ kind: 'failed', message: `worker exited with code ${code}`, stage, sofar })
      }
      const cleanup = (): void => {
        clearTimeout(timer)
        w.off('message', onMessage)
        w.off('error', onError)
        w.off('exit', onExit)
      }
      w.on('message', onMessage)
      w.on('error', onError)
      w.on('exit', onExit)
      w.postMessage(task)
    })
    if (outcome.kind !== 'done') await this.stop()
    return outcome
  }
}

/** A fixed number of worker slots; `run` waits for a free one. */
export class WorkerPool {
  private readonly free: Slot[]
  private readonly waiting: ((s: Slot) => void)[] = []
  private readonly all: Slot[]

  constructor(size: number) {
    this.all = Array.from({ length: Math.max(1, size) }, () => new Slot())
    this.free = [...this.all]
  }

  /** Runs `task` on the next free worker. */
  async run(task: ProgramTask, timeoutMs: number): Promise<TaskOutcome> {
    const slot =
      this.free.pop() ?? (await new Promise<Slot>((resolve) => this.waiting.push(resolve)))
    try {
      return await slot.run(task, timeoutMs)
    } finally {
      const next = this.waiting.shift()
      if (next !== undefined) next(slot)
      else this.free.push(slot)
    }
  }

  /** Terminates every worker. */
  async dispose(): Promise<void> {
    await Promise.all(this.all.map((s) => s.stop()))
  }
}
