/**
 * @fileoverview Runs a search job: N chains (worker threads, or one chain in-process), sharing
 * proof answers, counterexample tests and the best program through the main thread; time or
 * iteration budget; stop by AbortSignal; progress events; per-chain checkpoints at the end.
 */
import { availableParallelism } from 'node:os'
import type { Worker } from 'node:worker_threads'
import type { Insn } from '../../core/isa/insn'
import { candidateFromJson, serializeChain } from '../../core/search/checkpoint'
import type { CandidateJson } from '../../core/search/checkpoint'
import { Z3Instance } from '../z3/z3-instance'
import { ChainHost } from './chain-host'
import type { SearchJob } from './job'
import { ProofCache } from './proof-cache'
import { kernelGateFor } from './kernel-gate'
import type { ChainProgress, ChainWorkerData, MainMessage, WorkerMessage } from './protocol'
import { chainWorker, endChainWorker, type SearchPool } from './pool'
import { workerSpec } from './worker-spec'

/** How to run a job. */
export interface SearchRunOptions {
  /** Number of chains (default: one per core). */
  readonly chains?: number
  /** Wall-clock budget in seconds (0 or absent = none). */
  readonly timeSeconds?: number
  /** Iterations per chain (0 = unbounded; default: the job's `iterations` option). */
  readonly iterations?: number
  /** Stops the search (the best so far is returned). */
  readonly signal?: AbortSignal
  /** Progress callback, called at most every `progressMs`. */
  readonly onProgress?: (p: SearchProgress) => void
  readonly progressMs?: number
  /** Run a single chain in the main thread (default: when chains is 1). */
  readonly inProcess?: boolean
  /** Warm workers to run the chains in (kept for the next search); default: new workers. */
  readonly pool?: SearchPool
}

/** Aggregated progress of a search. */
export interface SearchProgress {
  readonly elapsedMs: number
  readonly iterations: number
  readonly evaluations: number
  readonly candidatesPerSecond: number
  readonly originalSlots: number
  readonly bestSlots: number
  readonly proverCalls: number
  readonly proofCacheHits: number
  readonly tests: number
  readonly chains: readonly ChainProgress[]
}

/** One improvement of the global best. */
export interface Improvement {
  /** Milliseconds since the search was asked for (worker and Z3 start-up included). */
  readonly ms: number
  /** Milliseconds since the first chain was ready to search (as the time budget counts). */
  readonly searchMs: number
  readonly slots: number
  readonly chain: number
}

/** The result of a search. */
export interface SearchOutcome {
  /** The best proven program (compacted; the original when nothing better was found). */
  readonly best: Insn[]
  readonly bestSlots: number
  readonly originalSlots: number
  readonly improvements: readonly Improvement[]
  readonly progress: SearchProgress
  /** serializeChain output per chain (undefined where unavailable). */
  readonly checkpoints: readonly (string | undefined)[]
  /** Worker failures, if any. */
  readonly failures: readonly string[]
}

function aggregate(
  start: number,
  originalSlots: number,
  bestSlots: number,
  chains: readonly (ChainProgress | undefined)[]
): SearchProgress {
  const cs = chains.filter((c): c is ChainProgress => c !== undefined)
  const elapsedMs = performance.now() - start
  const sum = (f: (c: ChainProgress) => number): number => cs.reduce((a, c) => a + f(c), 0)
  const evaluations = sum((c) => c.counters.evaluations)
  return {
    elapsedMs,
    iterations: sum((c) => c.counters.iterations),
    evaluations,
    candidatesPerSecond: elapsedMs > 0 ? (evaluations * 1000) / elapsedMs : 0,
    originalSlots,
    bestSlots,
    proverCalls: sum((c) => c.prover.calls),
    proofCacheHits: sum((c) => c.prover.cacheHits),
    tests: cs.reduce((a, c) => Math.max(a, c.tests), 0),
    chains: cs
  }
}

/** Runs `job` and resolves with the best proven program. */
export async function runSearch(
  job: SearchJob,
  opts: SearchRunOptions = {}
): Promise<SearchOutcome> {
  const chains = Math.max(1, opts.chains ?? availableParallelism())
  const inProcess = opts.inProcess ?? chains === 1
  return inProcess && chains === 1 ? runInProcess(job, opts) : runWorkers(job, chains, opts)
}

async function runInProcess(job: SearchJob, opts: SearchRunOptions): Promise<SearchOutcome> {
  const start = performance.now()
  const originalSlots = job.slots.length
  const z3 = await Z3Instance.create()
  const gate = kernelGateFor(job)
  const searchStart = performance.now()
  try {
    const improvements: Improvement[] = []
    const host = new ChainHost(job, 0, z3, new ProofCache(), {
      onBest: (h) =>
        improvements.push({
          ms: performance.now() - start,
          searchMs: performance.now() - searchStart,
          slots: h.chain.best.liveSlots(),
          chain: 0
        })
    })
    host.kernelGate = gate
    const deadline = (opts.timeSeconds ?? 0) > 0 ? start + opts.timeSeconds! * 1000 : Infinity
    const progressMs = opts.progressMs ?? 250
    let lastReport = start
    let lastYield = start
    const progress = (): SearchProgress =>
      aggregate(start, originalSlots, host.chain.best.liveSlots(), [host.progress()])
    const between = async (): Promise<boolean> => {
      const now = performance.now()
      if (now - lastYield > 50) {
        lastYield = now
        await new Promise<void>((r) => setImmediate(r))
      }
      if (opts.onProgress !== undefined && now - lastReport >= progressMs) {
        lastReport = now
        opts.onProgress(progress())
      }
      return now < deadline && opts.signal?.aborted !== true
    }
    const iters = opts.iterations ?? job.options.iterations
    await host.run(iters > 0 ? iters : Infinity, between)
    const cp = serializeChain(host.chain)
    const p = progress()
    opts.onProgress?.(p)
    return {
      best: host.bestSlots(),
      bestSlots: host.chain.best.liveSlots(),
      originalSlots,
      improvements,
      progress: p,
      checkpoints: [cp.ok ? cp.value : undefined],
      failures: []
    }
  } finally {
    await gate?.dispose()
    await z3.dispose()
  }
}

async function runWorkers(
  job: SearchJob,
  n: number,
  opts: SearchRunOptions
): Promise<SearchOutcome> {
  const start = performance.now()
  const originalSlots = job.slots.length
  const spec = workerSpec()
  const cache = new ProofCache()
  const progress: (ChainProgress | undefined)[] = new Array<ChainProgress | undefined>(n)
  const checkpoints: (string | undefined)[] = new Array<string | undefined>(n)
  const failures: string[] = []
  const improvements: Improvement[] = []
  let best: { json: CandidateJson; slots: number; perf: number } | undefined
  const iters = opts.iterations ?? job.options.iterations
  const workers: Worker[] = []
  const send = (except: number, m: MainMessage): void =>
    workers.forEach((w, i) => {
      if (i !== except) w.postMessage(m)
    })
  const stopAll = (): void => workers.forEach((w) => w.postMessage({ type: 'stop' }))
  // The time budget counts from the first chain ready (worker start-up is not search time).
  let timer: ReturnType<typeof setTimeout> | undefined
  let searchStart: number | undefined
  const startTimer = (): void => {
    searchStart ??= performance.now()
    if (timer === undefined && (opts.timeSeconds ?? 0) > 0)
      timer = setTimeout(stopAll, opts.timeSeconds! * 1000)
  }
  const pool = opts.pool
  const done = Array.from({ length: n }, (_, i) => {
    const data: ChainWorkerData = {
      ...(spec.entry !== undefined ? { entry: spec.entry } : {}),
      job,
      index: i,
      iterations: iters,
      reportMs: Math.max(50, Math.floor((opts.progressMs ?? 250) / 2))
    }
    const w = chainWorker(data, pool)
    workers.push(w)
    return new Promise<void>((resolve) => {
      let finished = false
      const finish = (healthy: boolean): void => {
        if (finished) return
        finished = true
        w.off('message', onMessage)
        w.off('error', onError)
        w.off('exit', onExit)
        endChainWorker(w, pool, healthy)
        resolve()
      }
      const onError = (e: Error): void => {
        failures.push(`chain ${i}: ${e.message}`)
        finish(false)
      }
      const onExit = (): void => finish(false)
      const onMessage = (m: WorkerMessage): void => {
        switch (m.type) {
          case 'proof':
            if (cache.store(m.key, m.result)) send(i, m)
            break
          case 'best': {
            progress[i] = m.progress
            const c = candidateFromJson(m.best)
            const slots = c?.liveSlots() ?? Infinity
            if (c !== undefined && (best === undefined || m.perf < best.perf)) {
              best = { json: m.best, slots, perf: m.perf }
              const now = performance.now()
              improvements.push({
                ms: now - start,
                searchMs: now - (searchStart ?? start),
                slots,
                chain: i
              })
              send(i, { type: 'best', best: m.best, perf: m.perf })
            }
            break
          }
          case 'progress':
            progress[i] = m.progress
            break
          case 'done':
            progress[i] = m.progress
            checkpoints[i] = m.checkpoint
            {
              const c = candidateFromJson(m.best)
              const perf = m.progress.bestPerf
              if (c !== undefined && (best === undefined || perf < best.perf))
                best = { json: m.best, slots: c.liveSlots(), perf }
            }
            finish(true)
            break
          case 'failed':
            failures.push(`chain ${i}: ${m.message}`)
            finish(false)
            break
          case 'ready':
            startTimer()
            break
        }
      }
      w.on('message', onMessage)
      w.on('error', onError)
      w.on('exit', onExit)
    })
  })
  const onAbort = (): void => stopAll()
  opts.signal?.addEventListener('abort', onAbort)
  if (opts.signal?.aborted === true) stopAll()
  const bestSlotsNow = (): number => best?.slots ?? originalSlots
  const ticker =
    opts.onProgress !== undefined
      ? setInterval(
          () => opts.onProgress?.(aggregate(start, originalSlots, bestSlotsNow(), progress)),
          opts.progressMs ?? 250
        )
      : undefined
  try {
    await Promise.all(done)
  } finally {
    if (timer !== undefined) clearTimeout(timer)
    if (ticker !== undefined) clearInterval(ticker)
    opts.signal?.removeEventListener('abort', onAbort)
  }
  const bestCand = best !== undefined ? candidateFromJson(best.json) : undefined
  const p = aggregate(start, originalSlots, bestSlotsNow(), progress)
  opts.onProgress?.(p)
  return {
    best: bestCand !== undefined ? bestCand.compact() : [...job.slots],
    bestSlots: bestCand?.liveSlots() ?? originalSlots,
    originalSlots,
    improvements,
    progress: p,
    checkpoints,
    failures
  }
}
