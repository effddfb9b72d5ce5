/** @fileoverview A job's progress point from its chains' latest figures. */
import type { ChainProgress } from '../engine/search/protocol'
import type { MetricPoint } from '../api/protocol/schemas'

/** Sums the chains' counters into one point; the rate comes from the previous point. */
export function progressPoint(
  chains: readonly ChainProgress[],
  t: number,
  best: { slots: number; perf: number },
  previous: MetricPoint | undefined
): MetricPoint {
  const sum = (f: (c: ChainProgress) => number): number => chains.reduce((a, c) => a + f(c), 0)
  const iterations = sum((c) => c.counters.iterations)
  const evaluations = sum((c) => c.counters.evaluations)
  const accepted = sum((c) => c.counters.accepted)
  const dt = previous !== undefined ? t - previous.t : 0
  const rate =
    previous !== undefined && dt > 0
      ? Math.max(0, ((evaluations - previous.evaluations) * 1000) / dt)
      : 0
  return {
    t,
    at: Date.now(),
    iterations,
    evaluations,
    candidatesPerSecond: rate,
    acceptance: iterations > 0 ? accepted / iterations : 0,
    bestSlots: best.slots,
    bestPerf: best.perf,
    proverCalls: sum((c) => c.prover.calls),
    proofsEqual: sum((c) => c.counters.proofsEqual),
    proofsNotEqual: sum((c) => c.counters.proofsNotEqual),
    proofsUnknown: sum((c) => c.counters.proofsUnknown),
    cacheHits: sum((c) => c.prover.cacheHits),
    tests: chains.reduce((a, c) => Math.max(a, c.tests), 0)
  }
}
