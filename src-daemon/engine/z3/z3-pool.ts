/** @fileoverview A pool of worker threads, one Z3 instance each: queues, recycling, crash recovery, sessions. */

import { Worker } from 'node:worker_threads'
import type { BoolTerm } from '../../core/smt/term'
import { serializeDag } from '../../core/smt/term-dag'
import type {
  CheckOptions,
  CheckResult,
  TermSolver,
  UnknownReason
} from '../../core/smt/term-solver'
import { Z3PoolSession } from './z3-pool-session'
import type { FinalizationGuardMode } from './finalization-guard'
import type { Z3Reply, Z3Request, Z3WorkerData } from './z3-protocol'

/** Options of a Z3 pool. */
export interface Z3PoolOptions {
  /** Number of worker threads (default 1). */
  readonly size?: number
  /** Queries a worker answers before it is replaced, to return its memory (default 1000). */
  readonly recycleAfter?: number
  /** Finalizer handling in the workers (default 'defer'; others only to demonstrate the bug). */
  readonly finalizationGuard?: FinalizationGuardMode
  /** Solver logic (default 'QF_BV'). */
  readonly logic?: string
  /** Extra time after a query's limit (or an abort) before its worker is terminated (default 5000 ms). */
  readonly killGraceMs?: number
}

/** Counters of a pool's life. */
export interface Z3PoolStats {
  /** Answered queries. */
  queries: number
  /** Workers lost to a crash (their in-flight query answered unknown/'crash'). */
  crashes: number
  /** Workers replaced after `recycleAfter` queries. */
  recycled: number
  /** Workers terminated because a query overran its limit or abort. */
  killed: number
  /** Workers started. */
  started: number
}

/** A queued query: builds its request when dispatched (so sessions can resend their base). */
export interface PoolJob {
  /** Makes the request for a worker of the given generation. */
  readonly build: (reqId: number, generation: number) => Z3Request
  /** Per-query options. */
  readonly options: CheckOptions
  /** Settles the caller's promise. */
  readonly resolve: (r: CheckResult) => void
}

interface Slot {
  worker: Worker | undefined
  ready: Promise<boolean> | undefined
  generation: number
  queries: number
  queue: PoolJob[]
  current: { job: PoolJob; reqId: number; timer?: ReturnType<typeof setTimeout> } | undefined
}

/** Where the worker code lives: a TypeScript entry via the tsx bootstrap in development, else JS. */
function workerSpec(): { url: URL; entry?: string } {
  if (import.meta.url.endsWith('.ts')) {
    return {
      url: new URL('./z3-worker-boot.mjs', import.meta.url),
      entry: new URL('./z3-worker.ts', import.meta.url).href
    }
  }
  return { url: new URL('./z3-worker.js', import.meta.url) }
}

/** Z3 in worker threads; implements the same TermSolver contract as an in-process instance. */
export class Z3Pool implements TermSolver {
  private readonly slots: Slot[]
  private nextReqId = 1
  private nextSid = 1
  private disposed = false
  /** Life counters. */
  readonly stats: Z3PoolStats = { queries: 0, crashes: 0, recycled: 0, killed: 0, started: 0 }
  /** Milliseconds each started worker reported for Z3 init. */
  readonly initTimes: number[] = []

  constructor(private readonly options: Z3PoolOptions = {}) {
    const size = Math.max(1, options.size ?? 1)
    this.slots = Array.from({ length: size }, () => ({
      worker: undefined,
      ready: undefined,
      generation: 0,
      queries: 0,
      queue: [],
      current: undefined
    }))
  }

  /** Starts every worker now (otherwise they start on first use); resolves when all are ready. */
  async warmUp(): Promise<void> {
    await Promise.all(this.slots.map((s) => this.ensureWorker(s)))
  }

  /** Checks the conjunction of `assertions` on the least busy worker. */
  check(assertions: readonly BoolTerm[], options: CheckOptions = {}): Promise<CheckResult> {
    const dag = serializeDag(assertions)
    const slot = this.slots.reduce((a, b) => (load(b) < load(a) ? b : a))
    return this.submit(slot, {
      build: (reqId) => ({ type: 'check', reqId, dag, ...limit(options) }),
      options
    })
  }

  /** Opens a session pinned to one worker; its base is resent automatically after a restart. */
  openSession(): Z3PoolSession {
    const index = (this.nextSid - 1) % this.slots.length
    return new Z3PoolSession(this, index, this.nextSid++)
  }

  /** Queues a job on slot `index` (used by sessions). */
  submit(slotOrIndex: Slot | number, job: Omit<PoolJob, 'resolve'>): Promise<CheckResult> {
    const slot = typeof slotOrIndex === 'number' ? (this.slots[slotOrIndex] as Slot) : slotOrIndex
    if (this.disposed) return Promise.resolve(unknown('error:pool disposed'))
    if (job.options.signal?.aborted === true) return Promise.resolve(unknown('interrupted'))
    return new Promise((resolve) => {
      slot.queue.push({ ...job, resolve })
      void this.pump(slot)
    })
  }

  /** Posts a message that expects no answer to slot `index`'s worker, if it runs generation `gen`. */
  notify(index: number, generation: number, msg: Z3Request): void {
    const slot = this.slots[index]
    if (slot?.worker !== undefined && slot.generation === generation) slot.worker.postMessage(msg)
  }

  /** Terminates every worker; queued queries are answered unknown. */
  async dispose(): Promise<void> {
    this.disposed = true
    await Promise.all(
      this.slots.map(async (s) => {
        for (const j of s.queue.splice(0)) j.resolve(unknown('error:pool disposed'))
        this.finish(s, unknown('interrupted'))
        const w = s.worker
        s.worker = undefined
        if (w !== undefined) await w.terminate()
      })
    )
  }

  private async pump(slot: Slot): Promise<void> {
    if (slot.current !== undefined || slot.queue.length === 0 || this.disposed) return
    const job = slot.queue.shift() as PoolJob
    const reqId = this.nextReqId++
    slot.current = { job, reqId }
    if (!(await this.ensureWorker(slot)) || slot.current?.reqId !== reqId) {
      if (slot.current?.reqId === reqId) this.finish(slot, unknown('crash'))
      return
    }
    if (job.options.signal?.aborted === true) {
      this.finish(slot, unknown('interrupted'))
      return
    }
    const worker = slot.worker as Worker
    const onAbort = (): void => {
      if (slot.current?.reqId !== reqId) return
      worker.postMessage({ type: 'interrupt', reqId } satisfies Z3Request)
      this.armKill(slot, reqId, 0, 'interrupted')
    }
    job.options.signal?.addEventListener('abort', onAbort)
    const cleanup = (): void => job.options.signal?.removeEventListener('abort', onAbort)
    slot.current = { job: { ...job, resolve: (r) => (cleanup(), job.resolve(r)) }, reqId }
    if (job.options.timeoutMs !== undefined)
      this.armKill(slot, reqId, job.options.timeoutMs, 'timeout')
    worker.postMessage(job.build(reqId, slot.generation))
  }

  /** Terminates the worker if query `reqId` is still running `afterMs` + grace from now. */
  private armKill(slot: Slot, reqId: number, afterMs: number, reason: UnknownReason): void {
    const cur = slot.current
    if (cur === undefined || cur.reqId !== reqId) return
    if (cur.timer !== undefined) clearTimeout(cur.timer)
    cur.timer = setTimeout(
      () => {
        if (slot.current?.reqId !== reqId) return
        this.stats.killed++
        this.finish(slot, unknown(reason))
        this.replaceWorker(slot)
      },
      afterMs + (this.options.killGraceMs ?? 5000)
    )
  }

  /** Answers the current query of `slot` and moves on. */
  private finish(slot: Slot, result: CheckResult): void {
    const cur = slot.current
    if (cur === undefined) return
    if (cur.timer !== undefined) clearTimeout(cur.timer)
    slot.current = undefined
    cur.job.resolve(result)
    queueMicrotask(() => void this.pump(slot))
  }

  private ensureWorker(slot: Slot): Promise<boolean> {
    if (slot.ready !== undefined) return slot.ready
    const spec = workerSpec()
    const data: Z3WorkerData = {
      finalizationGuard: this.options.finalizationGuard ?? 'defer',
      logic: this.options.logic ?? 'QF_BV',
      ...(spec.entry === undefined ? {} : { entry: spec.entry })
    }
    const worker = new Worker(spec.url, { workerData: data })
    slot.worker = worker
    slot.generation++
    slot.queries = 0
    this.stats.started++
    const generation = slot.generation
    slot.ready = new Promise<boolean>((resolve) => {
      const lost = (): void => {
        if (slot.generation !== generation || slot.worker !== worker) return
        resolve(false)
        this.stats.crashes++
        slot.worker = undefined
        slot.ready = undefined
        this.finish(slot, unknown('crash'))
      }
      worker.on('error', lost)
      worker.on('exit', lost)
      worker.on('message', (msg: Z3Reply) => {
        if (msg.type === 'ready') {
          this.initTimes.push(msg.initMs)
          resolve(true)
        } else if (slot.current?.reqId === msg.reqId) {
          this.stats.queries++
          slot.queries++
          const recycle = slot.queries >= (this.options.recycleAfter ?? 1000)
          if (recycle) {
            this.stats.recycled++
            this.replaceWorker(slot)
          }
          this.finish(slot, msg.result)
        }
      })
    })
    return slot.ready
  }

  /** Terminates the slot's worker without counting a crash; a new one starts on next use. */
  private replaceWorker(slot: Slot): void {
    const w = slot.worker
    slot.worker = undefined
    slot.ready = undefined
    slot.generation++
    if (w !== undefined) void w.terminate()
  }
}

function load(s: Slot): number {
  return s.queue.length + (s.current === undefined ? 0 : 1)
}

function unknown(reason: UnknownReason): CheckResult {
  return { kind: 'unknown', reason }
}

/** The optional time limit of a request. */
export function limit(options: CheckOptions): { timeoutMs?: number } {
  return options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }
}
