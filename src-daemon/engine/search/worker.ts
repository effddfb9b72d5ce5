/**
 * @fileoverview Worker-thread entry of one search chain: its own Z3 instance, shared cache and
 * tests via messages; optionally resumed from a checkpoint, checkpointing itself between slices
 * (never while a proof is pending) and re-checking each new best before reporting it.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { Candidate } from '../../core/search/candidate'
import { candidateFromJson, candidateToJson, serializeChain } from '../../core/search/checkpoint'
import type { JsonValue } from '../../core/search/cost'
import { Z3Instance } from '../z3/z3-instance'
import { ChainHost, type ChainHostEvents } from './chain-host'
import { acceptsUnder } from '../../core/search/safety'
import { finalCheck } from './prepare'
import { kernelGateFor } from './kernel-gate'
import { ProofCache } from './proof-cache'
import type {
  BestVerdict,
  ChainWorkerData,
  MainMessage,
  PooledWorkerData,
  WorkerMessage
} from './protocol'

const port = parentPort
if (port === null) throw new Error('search worker must run in a worker thread')
const post = (m: WorkerMessage): void => port.postMessage(m)

/** Messages for the job under way (a pooled worker runs one job at a time). */
let deliver: ((m: JobMessage) => void) | undefined
/** Messages for a job that has been given but has not started listening yet. */
let early: JobMessage[] | undefined

/** Hands a job message to the running job, keeps it for a job about to start, or drops it. */
function route(m: JobMessage): void {
  if (deliver !== undefined) deliver(m)
  else early?.push(m)
}

/** Main-thread messages that belong to a running job. */
type JobMessage = Exclude<MainMessage, { type: 'job' } | { type: 'exit' }>

/** The verdict on a best the chain proved equal as a whole program: only the analysis re-runs. */
function analysedVerdict(data: ChainWorkerData, best: Candidate): BestVerdict {
  const accepted = acceptsUnder(best.compact(), data.job.profile)
  return { proof: 'equal', proofDetail: '', accepted, sound: accepted }
}

/** Re-proves `best` as a whole program and re-runs the analysis (as `optimize` does). */
async function provenVerdict(
  data: ChainWorkerData,
  best: Candidate,
  z3: Z3Instance
): Promise<BestVerdict> {
  const check = await finalCheck(data.job, best.compact(), z3)
  const p = check.proof
  const detail = p.kind === 'unknown' || p.kind === 'error' ? p.reason : ''
  return { proof: p.kind, proofDetail: detail, accepted: check.accepted, sound: check.sound }
}

/**
 * Runs one chain job on `z3` and returns its `done` message (undefined when it failed, which
 * it has reported). Z3 stays up: the caller disposes of it or keeps it for the next job.
 */
async function runJob(data: ChainWorkerData, z3: Z3Instance): Promise<WorkerMessage | undefined> {
  const pendingTests: JsonValue[] = [...(data.tests ?? [])]
  let pendingBest: { best: MainMessage & { type: 'best' } } | undefined
  const cache = new ProofCache()
  let host: ChainHost | undefined
  let stopped = false
  deliver = (m: JobMessage): void => {
    if (m.type === 'stop') {
      stopped = true
      host?.stop()
    } else if (m.type === 'proof') {
      if (cache.store(m.key, m.result) && m.result.kind === 'notEqual')
        pendingTests.push(m.result.counterexample)
    } else if (m.type === 'test') pendingTests.push(m.test)
    else if (pendingBest === undefined || m.perf < pendingBest.best.perf) pendingBest = { best: m }
  }
  for (const m of early?.splice(0) ?? []) deliver(m)
  let done: WorkerMessage | undefined
  /** The whole-program check of a new best, running beside the chain (one at a time). */
  let checking: Promise<void> | undefined
  try {
    const events: ChainHostEvents = {
      onProof: (key, result) => post({ type: 'proof', key, result }),
      ...(data.finalCheck === true
        ? {}
        : {
            onBest: (x: ChainHost) =>
              post({
                type: 'best',
                best: candidateToJson(x.chain.best),
                perf: x.chain.bestPerf,
                progress: x.progress()
              })
          })
    }
    let h: ChainHost
    if (data.checkpoint !== undefined) {
      const r = ChainHost.restore(data.job, data.index, z3, cache, events, data.checkpoint)
      if (!r.ok) {
        post({ type: 'failed', message: r.error.message })
        return undefined
      }
      h = r.value
    } else h = new ChainHost(data.job, data.index, z3, cache, events)
    host = h
    h.kernelGate = kernelGateFor(data.job)
    if (stopped) h.stop()
    post({ type: 'ready' })
    let lastReport = performance.now()
    let lastCheckpoint = lastReport
    let checkedPerf = data.knownBestPerf ?? h.chain.bestPerf
    /**
     * With finalCheck: reports a best not reported yet with its verdict. A best the chain proved
     * as a whole program needs only the analysis, at once; any other (a best restored from a
     * checkpoint) is proven as a whole program beside the chain (Z3 runs on its own thread), one
     * at a time: a better best found during that check is checked after it.
     */
    const reportCheckedBest = (): void => {
      if (data.finalCheck !== true || h.chain.bestPerf >= checkedPerf) return
      if (!h.bestProvenWhole && checking !== undefined) return
      checkedPerf = h.chain.bestPerf
      const best = h.chain.best.clone()
      const perf = h.chain.bestPerf
      const progress = h.progress()
      const report = (verdict: BestVerdict): void =>
        post({ type: 'best', best: candidateToJson(best), perf, progress, verdict })
      if (h.bestProvenWhole) {
        report(analysedVerdict(data, best))
        return
      }
      checking = provenVerdict(data, best, z3)
        .then(report)
        .finally(() => {
          checking = undefined
        })
    }
    const between = async (): Promise<boolean> => {
      await new Promise<void>((r) => setImmediate(r))
      for (const t of pendingTests.splice(0)) h.addSharedTest(t)
      if (pendingBest !== undefined) {
        const b = candidateFromJson(pendingBest.best.best, h.chain.best.length)
        if (b !== undefined) h.adoptBest(b, pendingBest.best.perf)
        checkedPerf = Math.min(checkedPerf, pendingBest.best.perf)
        pendingBest = undefined
      }
      reportCheckedBest()
      const now = performance.now()
      if (now - lastReport >= data.reportMs) {
        lastReport = now
        post({ type: 'progress', progress: h.progress() })
      }
      if ((data.checkpointMs ?? 0) > 0 && now - lastCheckpoint >= data.checkpointMs!) {
        lastCheckpoint = now
        const cp = serializeChain(h.chain)
        if (cp.ok)
          post({
            type: 'checkpoint',
            checkpoint: cp.value,
            iterations: h.chain.counters.iterations
          })
      }
      return !stopped
    }
    await h.run(data.iterations > 0 ? data.iterations : Infinity, between)
    // A check under way ends, and a best found in the last slices is checked, before the chain
    // reports that it is done.
    await checking
    reportCheckedBest()
    await checking
    const cp = serializeChain(h.chain)
    done = {
      type: 'done',
      progress: h.progress(),
      best: candidateToJson(h.chain.best),
      checkpoint: cp.ok ? cp.value : undefined,
      improvements: h.improvements
    }
  } finally {
    // Messages after this point belong to a finished job: dropped.
    deliver = undefined
    early = undefined
    await checking?.catch(() => undefined)
    await host?.kernelGate?.dispose()
  }
  return done
}

/** A worker started for one job: runs it, stops Z3, then reports `done` (and is terminated). */
async function single(data: ChainWorkerData): Promise<void> {
  early = []
  port!.on('message', (m: JobMessage) => route(m))
  const z3 = await Z3Instance.create()
  let done: WorkerMessage | undefined
  try {
    done = await runJob(data, z3)
  } finally {
    await z3.dispose()
  }
  // Sent only once Z3's threads are down: the main thread terminates this worker on `done`.
  if (done !== undefined) post(done)
}

/**
 * A pooled worker: starts Z3 and pays its first-use cost (about 0.8 s: its solver thread
 * starts on the first check) before it reports `warm`, then runs the jobs it is given one after
 * another, each on a fresh context of the same Z3, until told to exit.
 */
async function pooled(): Promise<void> {
  const z3 = await Z3Instance.create()
  await z3.warmUp()
  let queue = Promise.resolve()
  port!.on('message', (m: MainMessage) => {
    if (m.type === 'job') {
      early = []
      queue = queue.then(async () => {
        // A fresh context per job: the search takes the path it takes on a new worker.
        const context = z3.sibling()
        const done = await runJob(m.data, context)
          .catch((e: unknown) => {
            post({
              type: 'failed',
              message: e instanceof Error ? (e.stack ?? e.message) : String(e)
            })
            return undefined
          })
          .finally(() => context.dispose())
        if (done !== undefined) post(done)
      })
    } else if (m.type === 'exit') {
      void queue.then(async () => {
        await z3.dispose()
        port!.close()
      })
    } else route(m)
  })
  post({ type: 'warm' })
}

const boot = workerData as ChainWorkerData | PooledWorkerData
const start = 'pooled' in boot ? pooled() : single(boot)
start.catch((e: unknown) => {
  post({ type: 'failed', message: e instanceof Error ? (e.stack ?? e.message) : String(e) })
})
