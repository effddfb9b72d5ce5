/**
 * @fileoverview Re-verifies the known-equal pair corpus (test/fixtures/equiv/pairs.json) by
 * execution: each pair's window form matches its optimized program, both sides agree on random
 * inputs in the interpreter (and on a few in the kernel when BPF is available), the optimized side
 * passes the safety analysis, and every near miss differs from the original on its witness.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { BENCH_NAMES, HAVE_K2, safetyRejection } from './corpus-program'
import { differentialRandom, differsOn } from './differential'
import { inputFromJson } from './input-json'
import { generateInputs } from './inputs'
import { kernelDifferential, kernelRunFeatures } from './kernel-diff'
import { skipUnlessKernelHas } from '../support/environment'
import { loadPair, mutate, readPairs, windowMismatch } from './pairs'
import { openKernelOracle } from '../kernel/kernel-test-support'

const pairs = readPairs()
const RANDOM_INPUTS = 300
const KERNEL_INPUTS = 6
const { oracle, available } = await openKernelOracle('equiv-corpus pairs')
afterAll(() => oracle.dispose())

describe.skipIf(!HAVE_K2)('known-equal pair corpus', () => {
  it('covers all 11 benchmarks with 3-5 near misses on most of them', () => {
    expect(new Set(pairs.map((p) => p.bench))).toEqual(new Set(BENCH_NAMES))
    const perBench = new Map<string, number>()
    for (const p of pairs) perBench.set(p.bench, (perBench.get(p.bench) ?? 0) + p.nearMisses.length)
    expect([...perBench.values()].every((n) => n >= 1)).toBe(true)
    expect([...perBench.values()].filter((n) => n >= 3).length).toBeGreaterThanOrEqual(8)
  })

  it('rejects a wrong window form (the check can fail)', () => {
    const entry = pairs.find((p) => p.id === 'xdp1-a')!
    const { original, optimized } = loadPair(entry)
    expect(windowMismatch(original.slots, optimized.slots, 5, 8)).toBeUndefined()
    expect(windowMismatch(original.slots, optimized.slots, 6, 9)).toBeDefined()
    expect(windowMismatch(original.slots, optimized.slots, 4, 7)).toBeDefined()
    expect(windowMismatch(original.slots, original.slots, 5, 8)).toBeUndefined()
  })

  for (const entry of HAVE_K2 ? pairs : []) {
    describe(entry.id, () => {
      const { original, optimized } = loadPair(entry)

      it(`is ${entry.slots.original}→${entry.slots.optimized} slots and its window form matches`, () => {
        expect(original.slots.length).toBe(entry.slots.original)
        expect(optimized.slots.length).toBe(entry.slots.optimized)
        expect(optimized.slots.length).toBeLessThan(original.slots.length)
        expect(
          windowMismatch(original.slots, optimized.slots, entry.window.start, entry.window.end)
        ).toBeUndefined()
      })

      it('agrees with the original on random inputs (interpreter)', () => {
        const r = differentialRandom(original, optimized, RANDOM_INPUTS, 11)
        expect(r.difference).toBeUndefined()
        expect(r.faultsA).toBe(0)
        expect(r.runs).toBeGreaterThanOrEqual(RANDOM_INPUTS)
      })

      it('passes the safety analysis as recorded', () => {
        expect(safetyRejection(optimized) ?? 'ok').toBe(entry.safety)
        expect(safetyRejection(original)).toBeUndefined()
      })

      it.skipIf(!available)('agrees with the original in the kernel', async () => {
        await skipUnlessKernelHas(entry.id, kernelRunFeatures(original, optimized))
        const inputs = generateInputs(original.env.model, { seed: 5, count: KERNEL_INPUTS + 6 })
        const r = await kernelDifferential(oracle, original, optimized, inputs)
        expect(r.error).toBeUndefined()
        expect(r.difference).toBeUndefined()
        expect(r.runs).toBeGreaterThanOrEqual(KERNEL_INPUTS)
      })

      for (const nm of entry.nearMisses) {
        it(`near miss ${nm.id} (${nm.description}) differs on its witness`, () => {
          const mutant = mutate(optimized, nm.mutation, nm.id)
          const witness = inputFromJson(nm.witness)
          expect(differsOn(original, mutant, witness)).toBe(true)
          expect(differsOn(original, optimized, witness)).toBe(false)
        })
      }
    })
  }
})
