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
import { finalCheck } from './prepare'
import { kernelGateFor } from './kernel-gate'
import { ProofCache } from './proof-cache'
import type { BestVerdict, ChainWorkerData, MainMessage, WorkerMessage } from './protocol'

const port = parentPort
if (port === null) throw new Error('search worker must run in a worker thread')
const data = workerData as ChainWorkerData
const post = (m: WorkerMessage): void => port.postMessage(m)

const pendingTests: JsonValue[] = [...(data.tests ?? [])]
let pendingBest: { best: MainMessage & { type: 'best' } } | undefined
const cache = new ProofCache()
let host: ChainHost | undefined
let stopped = false

port.on('message', (m: MainMessage) => {
  if (m.type === 'stop') {
    stopped = true
    host?.stop()
  } else if (m.type === 'proof') {
    if (cache.store(m.key, m.result) && m.result.kind === 'notEqual')
      pendingTests.push(m.result.counterexample)
  } else if (m.type === 'test') pendingTests.push(m.test)
  else if (pendingBest === undefined || m.perf < pendingBest.best.perf) pendingBest = { best: m }
})

/** Re-proves `best` as a whole program and re-runs the analysis (as `optimize` does). */
async function verdictOf(best: Candidate, z3: Z3Instance): Promise<BestVerdict> {
  const check = await finalCheck(data.job, best.compact(), z3)
  const p = check.proof
  const detail = p.kind === 'unknown' || p.kind === 'error' ? p.reason : ''
  return { proof: p.kind, proofDetail: detail, accepted: check.accepted, sound: check.sound }
}

async function main(): Promise<void> {
  const z3 = await Z3Instance.create()
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
        return
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
     * With finalCheck: starts the check of a best not reported yet, which reports it with its
     * verdict when done. The chain goes on searching meanwhile (Z3 runs on its own thread); a
     * better best found during a check is checked after it.
     */
    const reportCheckedBest = (): void => {
      if (data.finalCheck !== true || checking !== undefined || h.chain.bestPerf >= checkedPerf)
        return
      checkedPerf = h.chain.bestPerf
      const best = h.chain.best.clone()
      const perf = h.chain.bestPerf
      const progress = h.progress()
      checking = verdictOf(best, z3)
        .then((verdict) =>
          post({ type: 'best', best: candidateToJson(best), perf, progress, verdict })
        )
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
    await checking?.catch(() => undefined)
    await host?.kernelGate?.dispose()
    await z3.dispose()
  }
  // Sent only once Z3's threads are down: the main thread terminates this worker on `done`.
  post(done)
}

main().catch((e: unknown) => {
  post({ type: 'failed', message: e instanceof Error ? (e.stack ?? e.message) : String(e) })
})
