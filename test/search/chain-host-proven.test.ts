/**
 * A chain host knows whether its best was proven equal as a whole program: the worker reports
 * such a best after re-running only the analysis, and re-proves any other (a best restored from a
 * checkpoint). Also: Z3's warm-up leaves the instance ready for real proofs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { serializeChain } from '../../src-daemon/core/search/checkpoint'
import { checkEquivalence } from '../../src-daemon/core/smt/equiv'
import { loadInput, selectPrograms } from '../../src-daemon/engine/program/load'
import { runnable } from '../../src-daemon/engine/program/program-model'
import { ChainHost } from '../../src-daemon/engine/search/chain-host'
import type { SearchJob } from '../../src-daemon/engine/search/job'
import { prepareJob } from '../../src-daemon/engine/search/prepare'
import { ProofCache } from '../../src-daemon/engine/search/proof-cache'
import { Z3Instance } from '../../src-daemon/engine/z3/z3-instance'

const SAMPLE = join(__dirname, '../../resources/samples/redundant_xdp.o')
let z3: Z3Instance

beforeAll(async () => {
  z3 = await Z3Instance.create()
  await z3.warmUp()
}, 60_000)
afterAll(async () => {
  await z3.dispose()
})

function job(): SearchJob {
  const input = loadInput(SAMPLE)
  const prepared = prepareJob(runnable(input, selectPrograms(input, 'xdp')[0]!), {
    seed: 3,
    iterations: 20_000
  })
  if (!prepared.ok) throw new Error(prepared.error.message)
  return prepared.value
}

describe('the chain host’s proven-whole flag', () => {
  it('holds for the original and for every best the chain proves, not for a restored best', async () => {
    const j = job()
    const host = new ChainHost(j, 0, z3, new ProofCache())
    expect(host.bestProvenWhole).toBe(true)
    await host.run(20_000, () => true)
    // The search shortens this sample; the best it holds was proven as a whole program.
    expect(host.chain.best.liveSlots()).toBeLessThan(j.slots.length)
    expect(host.bestProvenWhole).toBe(true)
    const again = await checkEquivalence(j.slots, host.bestSlots(), j.model, z3)
    expect(again.kind).toBe('equal')

    // A chain restored from a checkpoint does not know how its best was proven until it proves
    // a better one itself.
    const start = new ChainHost(j, 0, z3, new ProofCache())
    const cp = serializeChain(start.chain)
    if (!cp.ok) throw new Error(cp.error.message)
    const restored = ChainHost.restore(j, 0, z3, new ProofCache(), {}, cp.value)
    if (!restored.ok) throw new Error(restored.error.message)
    expect(restored.value.bestProvenWhole).toBe(false)
    await restored.value.run(20_000, () => true)
    expect(restored.value.chain.bestPerf).toBeLessThan(start.chain.bestPerf)
    expect(restored.value.bestProvenWhole).toBe(true)
    // Adopting another chain's (checked) best makes it proven again.
    const other = new ChainHost(j, 1, z3, new ProofCache())
    other.bestProvenWhole = false
    other.adoptBest(host.chain.best, host.chain.bestPerf)
    expect(other.bestProvenWhole).toBe(true)
  }, 120_000)
})
