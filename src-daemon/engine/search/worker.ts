/** @fileoverview Worker-thread entry of one search chain: its own Z3 instance, shared cache and tests via messages. */
import { parentPort, workerData } from 'node:worker_threads'
import { candidateFromJson, candidateToJson, serializeChain } from '../../core/search/checkpoint'
import type { JsonValue } from '../../core/search/cost'
import { Z3Instance } from '../z3/z3-instance'
import { ChainHost } from './chain-host'
import { ProofCache } from './proof-cache'
import type { ChainWorkerData, MainMessage, WorkerMessage } from './protocol'

const port = parentPort
if (port === null) throw new Error('search worker must run in a worker thread')
const data = workerData as ChainWorkerData
const post = (m: WorkerMessage): void => port.postMessage(m)

const pendingTests: JsonValue[] = []
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

async function main(): Promise<void> {
  const z3 = await Z3Instance.create()
  let done: WorkerMessage | undefined
  try {
    const h = new ChainHost(data.job, data.index, z3, cache, {
      onProof: (key, result) => post({ type: 'proof', key, result }),
      onBest: (x) =>
        post({
          type: 'best',
          best: candidateToJson(x.chain.best),
          perf: x.chain.bestPerf,
          progress: x.progress()
        })
    })
    host = h
    if (stopped) h.stop()
    post({ type: 'ready' })
    let lastReport = performance.now()
    const between = async (): Promise<boolean> => {
      await new Promise<void>((r) => setImmediate(r))
      for (const t of pendingTests.splice(0)) h.addSharedTest(t)
      if (pendingBest !== undefined) {
        const b = candidateFromJson(pendingBest.best.best, h.chain.best.length)
        if (b !== undefined) h.adoptBest(b, pendingBest.best.perf)
        pendingBest = undefined
      }
      const now = performance.now()
      if (now - lastReport >= data.reportMs) {
        lastReport = now
        post({ type: 'progress', progress: h.progress() })
      }
      return !stopped
    }
    await h.run(data.iterations > 0 ? data.iterations : Infinity, between)
    const cp = serializeChain(h.chain)
    done = {
      type: 'done',
      progress: h.progress(),
      best: candidateToJson(h.chain.best),
      checkpoint: cp.ok ? cp.value : undefined,
      improvements: h.improvements
    }
  } finally {
    await z3.dispose()
  }
  // Sent only once Z3's threads are down: the main thread terminates this worker on `done`.
  post(done)
}

main().catch((e: unknown) => {
  post({ type: 'failed', message: e instanceof Error ? (e.stack ?? e.message) : String(e) })
})
