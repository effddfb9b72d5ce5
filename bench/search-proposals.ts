/**
 * @fileoverview Micro-benchmark of the search hot path: proposals + undo per second and chain
 * iterations per second (with a trivial evaluator), plus heap growth to check that the loop
 * does not allocate. Run: `node --expose-gc --import tsx bench/search-proposals.ts`.
 */
import { readFileSync } from 'node:fs'
import { PerformanceObserver } from 'node:perf_hooks'
import { slotsFromBytes } from '../src-daemon/core/isa/insn'
import { Candidate } from '../src-daemon/core/search/candidate'
import { Chain } from '../src-daemon/core/search/chain'
import { defaultSearchOptions } from '../src-daemon/core/search/config'
import type { ErrorEvaluator } from '../src-daemon/core/search/cost'
import { Proposer } from '../src-daemon/core/search/proposals'
import { Rng } from '../src-daemon/core/search/rng'
import { requireShared } from './support/shared-data'

const FILE = requireShared('bench/k2/xdp1.insns', 'search-proposals')
const gc = (globalThis as { gc?: () => void }).gc

let gcEvents = 0
const observer = new PerformanceObserver((list) => {
  gcEvents += list.getEntries().length
})
observer.observe({ entryTypes: ['gc'] })

/** Lets pending GC performance entries be delivered, then returns the count so far. */
async function gcCount(): Promise<number> {
  await new Promise((r) => setTimeout(r, 50))
  return gcEvents
}

function heapAfterGc(): number {
  gc?.()
  return process.memoryUsage().heapUsed
}

function benchProposals(orig: Candidate, n: number): { perSec: number; heapDelta: number } {
  const p = new Proposer(orig, defaultSearchOptions())
  const rng = new Rng(1)
  const c = orig.clone()
  for (let i = 0; i < 100_000; i++) if (p.propose(c, rng) >= 0) p.undo(c) // warm-up
  const h0 = heapAfterGc()
  const t0 = performance.now()
  let applied = 0
  for (let i = 0; i < n; i++) {
    if (p.propose(c, rng) >= 0) {
      applied++
      if (i & 1) p.undo(c)
      else p.commit()
    }
    if ((i & 0xffff) === 0) c.copyFrom(orig)
  }
  const t1 = performance.now()
  const heapDelta = heapAfterGc() - h0
  if (applied === 0) throw new Error('no proposal applied')
  return { perSec: (n / (t1 - t0)) * 1000, heapDelta }
}

/** Error that depends only on the live slot count: cheap, deterministic, never zero. */
const cheapEvaluator: ErrorEvaluator = {
  error: (c) => 1 + (c.liveSlots() & 3),
  addTest: () => undefined
}

function benchChain(chain: Chain, n: number): { perSec: number; heapDelta: number } {
  const h0 = heapAfterGc()
  const t0 = performance.now()
  const ev = chain.run(chain.counters.iterations + n)
  const t1 = performance.now()
  if (ev.kind !== 'done') throw new Error('unexpected proof request')
  return { perSec: (n / (t1 - t0)) * 1000, heapDelta: heapAfterGc() - h0 }
}

const orig = Candidate.fromSlots(slotsFromBytes(readFileSync(FILE)))
const N = 5_000_000
benchProposals(orig, 200_000) // warm-up (JIT) outside the measured window
const g0 = await gcCount()
const prop = benchProposals(orig, N)
const mhChain = new Chain(
  orig,
  { ...defaultSearchOptions(), seed: 3 },
  { evaluator: cheapEvaluator }
)
mhChain.run(200_000) // warm-up
const g1 = await gcCount()
const chain = benchChain(mhChain, 2_000_000)
const g2 = await gcCount()
observer.disconnect()
const explicit = gc ? 2 : 0 // the two forced collections of each measurement
const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(2)} MiB`
console.log(
  `program: xdp1 (${orig.length} slots)${gc ? '' : ' [run with --expose-gc for heap numbers]'}`
)
console.log(
  `proposals+undo: ${(prop.perSec / 1e6).toFixed(2)} M/s over ${N} (heap delta ${mb(prop.heapDelta)}, GCs during loop: ${g1 - g0 - explicit})`
)
console.log(
  `chain iterations (trivial evaluator): ${(chain.perSec / 1e6).toFixed(2)} M/s (heap delta ${mb(chain.heapDelta)}, GCs during loop: ${g2 - g1 - explicit})`
)
