/**
 * The pool of warm chain workers: searches run one after another on the same workers (Z3 stays
 * up in them), each gets its own proven result, a stop request reaches pooled chains, and
 * dispose ends every worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { checkEquivalence } from '../../src-daemon/core/smt/equiv'
import { loadInput, selectPrograms } from '../../src-daemon/engine/program/load'
import { runnable } from '../../src-daemon/engine/program/program-model'
import { runSearch } from '../../src-daemon/engine/search/engine'
import type { SearchJob } from '../../src-daemon/engine/search/job'
import { SearchPool } from '../../src-daemon/engine/search/pool'
import { prepareJob } from '../../src-daemon/engine/search/prepare'
import { Z3Instance } from '../../src-daemon/engine/z3/z3-instance'

const SAMPLES = join(__dirname, '../../resources/samples')
let z3: Z3Instance

beforeAll(async () => {
  z3 = await Z3Instance.create()
}, 60_000)
afterAll(async () => {
  await z3.dispose()
})

function job(file: string, iterations: number): SearchJob {
  const input = loadInput(join(SAMPLES, file))
  const prepared = prepareJob(runnable(input, selectPrograms(input, 'xdp')[0]!), {
    seed: 5,
    iterations
  })
  if (!prepared.ok) throw new Error(prepared.error.message)
  return prepared.value
}

describe('SearchPool', () => {
  it('runs searches one after another on the same warm workers, each with its own proven result', async () => {
    const pool = new SearchPool()
    try {
      await pool.prestart(2)
      expect(pool.size).toBe(2)
      for (const file of ['redundant_xdp.o', 'xdp_udp_filter.o', 'redundant_xdp.o']) {
        const j = job(file, 15_000)
        const out = await runSearch(j, { chains: 2, pool })
        expect(out.failures).toEqual([])
        expect(pool.size).toBe(2)
        // Each chain ran its full budget of this job (not a leftover of the previous one).
        expect(out.progress.chains.map((c) => c.counters.iterations)).toEqual([15_000, 15_000])
        expect(out.bestSlots).toBeLessThanOrEqual(j.slots.length)
        const proof = await checkEquivalence(j.slots, out.best, j.model, z3)
        expect(proof.kind).toBe('equal')
      }
      // The redundant sample always shrinks.
      const again = await runSearch(job('redundant_xdp.o', 15_000), { chains: 2, pool })
      expect(again.bestSlots).toBeLessThan(again.originalSlots)
    } finally {
      await pool.dispose()
    }
    expect(pool.size).toBe(0)
  }, 240_000)

  it('takes the same path in a pooled worker, after another job, as in a new worker', async () => {
    const pool = new SearchPool()
    const trace = (cp: string | undefined): unknown => {
      const c = JSON.parse(cp ?? 'null') as { best: unknown; rng: unknown; counters: unknown }
      return { best: c.best, rng: c.rng, counters: c.counters }
    }
    try {
      await runSearch(job('xdp_udp_filter.o', 5_000), { chains: 1, inProcess: false, pool })
      const j = job('redundant_xdp.o', 30_000)
      const pooled = await runSearch(j, { chains: 1, inProcess: false, pool })
      const fresh = await runSearch(j, { chains: 1, inProcess: false })
      expect(pooled.progress.proverCalls).toBeGreaterThan(0)
      expect(trace(pooled.checkpoints[0])).toEqual(trace(fresh.checkpoints[0]))
    } finally {
      await pool.dispose()
    }
  }, 240_000)

  it('stops pooled chains when asked, and a stopped worker takes the next job', async () => {
    const pool = new SearchPool()
    try {
      const stop = new AbortController()
      setTimeout(() => stop.abort(), 1500)
      const out = await runSearch(job('xdp_udp_filter.o', 0), {
        chains: 2,
        pool,
        signal: stop.signal
      })
      expect(out.failures).toEqual([])
      expect(out.progress.iterations).toBeGreaterThan(0)
      const next = await runSearch(job('redundant_xdp.o', 5_000), { chains: 2, pool })
      expect(next.progress.chains.map((c) => c.counters.iterations)).toEqual([5_000, 5_000])
      expect(pool.size).toBe(2)
    } finally {
      await pool.dispose()
    }
  }, 240_000)
})
