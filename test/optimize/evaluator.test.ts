/** @fileoverview The interpreter-backed evaluator and the safety gate on a K2 benchmark program. */
import { describe, expect, it } from 'vitest'
import { k2BenchDir } from '../support/environment'
import { loadInput, selectPrograms } from '../../src-daemon/engine/program/load'
import { runnable } from '../../src-daemon/engine/program/program-model'
import { Candidate, SlotKind } from '../../src-daemon/core/search/candidate'
import { defaultSearchOptions } from '../../src-daemon/core/search/config'
import { InterpEvaluator, SafetyGatedEvaluator } from '../../src-daemon/core/search/evaluator'
import { analysisProfile, CachedSafety } from '../../src-daemon/core/search/safety'
import { generateTestInputs, runInputToJson } from '../../src-daemon/core/search/test-inputs'

const K2_DIR = k2BenchDir()
const FILE = `${K2_DIR ?? ''}xdp_exception.insns`

function setup(): { ev: InterpEvaluator; original: Candidate; safety: CachedSafety } {
  const input = loadInput(FILE)
  const r = runnable(input, selectPrograms(input, undefined)[0]!)
  const tests = generateTestInputs(r.model, { count: 24, seed: 7 })
  const ev = new InterpEvaluator(r.slots, r.model, tests, defaultSearchOptions())
  const profile = analysisProfile(r.slots, r.progType, r.model)
  if (profile === undefined) throw new Error('analysis rejects the original')
  return { ev, original: Candidate.fromSlots(r.slots), safety: new CachedSafety(profile) }
}

describe.skipIf(K2_DIR === undefined)('InterpEvaluator', () => {
  it('scores the original 0, an equivalent rewrite 0 and a wrong program > 0', () => {
    const { ev, original } = setup()
    expect(ev.size).toBe(24)
    expect(ev.error(original, Infinity)).toBe(0)
    // r1 = 0; r0 = r1  →  nop; r0 = 0 (same behaviour)
    const same = original.clone()
    same.kind[15] = SlotKind.nop
    same.code[16] = 0xb7
    same.src[16] = 0
    same.imm[16] = 0
    expect(ev.error(same, Infinity)).toBe(0)
    // return 1 instead of 0
    const wrong = same.clone()
    wrong.imm[16] = 1
    const e = ev.error(wrong, Infinity)
    expect(e).toBeGreaterThan(0)
    // early exit: stops once the bound is exceeded (fewer test runs)
    const before = ev.stats.testRuns
    const partial = ev.error(wrong, 0)
    expect(partial).toBeGreaterThan(0)
    expect(ev.stats.testRuns - before).toBeLessThan(ev.size)
  })

  it('adds counterexample tests once and gates zero-error candidates on the analysis', () => {
    const { ev, original, safety } = setup()
    const t = runInputToJson(generateTestInputs(ev.model, { count: 1, seed: 99 })[0]!)
    ev.addTest(t)
    ev.addTest(t)
    expect(ev.size).toBe(25)
    expect(ev.stats.duplicateTests).toBe(1)
    const gated = new SafetyGatedEvaluator(ev, safety.check, 1e6)
    expect(gated.error(original, Infinity)).toBe(0)
    expect(safety.stats.checks).toBe(1)
    expect(gated.error(original, Infinity)).toBe(0)
    expect(safety.stats.cacheHits).toBe(1)
    // Without the null check the lookup result is dereferenced unchecked: every test still
    // passes (the array lookup always succeeds) but the analysis rejects it.
    const unchecked = original.clone()
    unchecked.kind[11] = SlotKind.nop
    expect(ev.error(unchecked, Infinity)).toBe(0)
    expect(gated.error(unchecked, Infinity)).toBe(1e6)
    expect(gated.unsafe).toBe(1)
  })
})
