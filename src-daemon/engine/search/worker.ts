/**
 * @fileoverview Worker-thread entry of one search chain: its own Z3 instance, shared cache and
 * tests via messages; optionally resumed from a checkpoint, checkpointing itself between slices
 * (never while a proof is pending) and re-checking each new best before reporting it.
 */
import { parentPort, workerData } from 'node:worker_threads'
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

/** Re-proves the chain's best as a whole program and re-runs the analysis (as `optimize` does). */
async function verdictOf(h: ChainHost, z3: Z3Instance): Promise<BestVerdict> {
  const check = await finalCheck(data.job, h.chain.best.compact(), z3)
  const p = check.proof
  const detail = p.kind === 'unknown' || p.kind === 'error' ? p.reason : ''
  return { proof: p.kind, proofDetail: detail, accepted: check.accepted, sound: check.sound }
}

async function main(): Promise<void> {
  const z3 = await Z3Instance.create()
  let done: WorkerMessage | undefined
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
    /** With finalCheck: re-checks a best not reported yet and reports it with its verdict. */
    const reportCheckedBest = async (): Promise<void> => {
      if (data.finalCheck !== true || h.chain.bestPerf >= checkedPerf) return
      checkedPerf = h.chain.bestPerf
      const verdict = await verdictOf(h, z3)
      post({
        type: 'best',
        best: candidateToJson(h.chain.best),
        perf: h.chain.bestPerf,
        progress: h.progress(),
        verdict
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
      await reportCheckedBest()
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
    // A best found in the last slice is checked before the chain reports that it is done.
    await reportCheckedBest()
    const cp = serializeChain(h.chain)
    done = {
      type: 'done',
      progress: h.progress(),
      best: candidateToJson(h.chain.best),
      checkpoint: cp.ok ? cp.value : undefined,
      improvements: h.improvements
    }
  } finally {
    await host?.kernelGate?.dispose()
    await z3.dispose()
  }
  // Sent only once Z3's threads are down: the main thread terminates this worker on `done`.
  post(done)
}

main().catch((e: unknown) => {
  post({ type: 'failed', message: e instanceof Error ? (e.stack ?? e.message) : String(e) })
})
