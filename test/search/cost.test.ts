/** @fileoverview Tests of error variants, perf models and the bounded cost evaluation. */
import { describe, expect, it } from 'vitest'
import { Candidate, SlotKind } from '../../src-daemon/core/search/candidate'
import { CostModel, instructionCountPerf, latencyPerf } from '../../src-daemon/core/search/cost'
import { ErrorAccumulator } from '../../src-daemon/core/search/error-metric'
import { ROW_LATENCY } from '../../src-daemon/core/search/latency'
import { opByName } from '../../src-daemon/core/isa/opcodes'
import { asm, ToyEvaluator } from './toy-alu'

describe('ErrorAccumulator', () => {
  it('computes popcount and absolute distances of 64-bit words', () => {
    const pop = new ErrorAccumulator({ errorMetric: 'pop', errorMode: 'eq1', errorAverage: false })
    pop.begin(1)
    pop.word(0xffffffff, 0x1, 0, 0) // 33 differing bits
    pop.endTest()
    expect(pop.value()).toBe(33)
    const abs = new ErrorAccumulator({ errorMetric: 'abs', errorMode: 'eq1', errorAverage: false })
    abs.begin(1)
    abs.word(5, 1, 7, 0) // (2^32 + 5) - 7
    abs.endTest()
    expect(abs.value()).toBe(4294967294)
  })

  it('implements eq1/eq2 with and without averaging', () => {
    const run = (mode: 'eq1' | 'eq2', avg: boolean): number => {
      const a = new ErrorAccumulator({ errorMetric: 'pop', errorMode: mode, errorAverage: avg })
      a.begin(4)
      a.word(1, 0, 1, 0) // pass
      a.endTest()
      a.word(0b111, 0, 0, 0) // 3 bits
      a.endTest()
      a.word(0, 0, 0, 0) // pass
      a.endTest()
      a.word(0, 1, 0, 0) // 1 bit
      a.endTest()
      return a.value()
    }
    expect(run('eq1', false)).toBe(4)
    expect(run('eq1', true)).toBe(1)
    expect(run('eq2', false)).toBe(1 + 4 + 2)
    expect(run('eq2', true)).toBe(1 + 6 / 4)
    const ok = new ErrorAccumulator({ errorMetric: 'pop', errorMode: 'eq2', errorAverage: true })
    ok.begin(2)
    ok.word(9, 9, 9, 9)
    ok.endTest()
    expect(ok.value()).toBe(0)
    expect(ok.exceeds(0)).toBe(false)
  })
})

describe('CostModel', () => {
  const ref = Candidate.fromSlots([asm.movReg(0, 1), asm.addImm(0, 3), asm.exit()])
  const inputs: [bigint, bigint][] = [
    [1n, 0n],
    [2n, 0n],
    [3n, 0n],
    [4n, 0n]
  ]

  it('counts live slots (ld_imm64 = 2) and sums latency estimates', () => {
    const c = Candidate.fromSlots([...asm.lddw(1, 1, 0), asm.movReg(0, 1), asm.exit()])
    expect(instructionCountPerf.perf(c)).toBe(4)
    const lat =
      ROW_LATENCY[opByName('lddw_imm64').id]! +
      ROW_LATENCY[opByName('mov64_reg').id]! +
      ROW_LATENCY[opByName('exit').id]!
    expect(latencyPerf.perf(c)).toBeCloseTo(lat, 12)
    expect(ROW_LATENCY[opByName('div64_reg').id]!).toBeGreaterThan(
      ROW_LATENCY[opByName('add64_reg').id]!
    )
  })

  it('gives zero error to an equivalent candidate and weights the terms', () => {
    const model = new CostModel(new ToyEvaluator(ref, inputs), instructionCountPerf, {
      wErr: 2,
      wPerf: 3,
      unsafeError: 1e6
    })
    const r = model.evaluate(ref, Infinity)
    expect(r.error).toBe(0)
    expect(r.perf).toBe(3)
    expect(r.cost).toBe(9)
    expect(r.earlyExit).toBe(false)
  })

  it('stops running tests once the bound is exceeded and flags unsafe candidates', () => {
    const ev = new ToyEvaluator(ref, inputs)
    const model = new CostModel(ev, instructionCountPerf, { wErr: 1, wPerf: 1, unsafeError: 1e6 })
    const bad = ref.clone()
    bad.imm[1] = 4 // every test off by one
    const full = { ...model.evaluate(bad, Infinity) }
    expect(full.earlyExit).toBe(false)
    expect(full.error).toBe(1 + (1 + 2 + 1 + 4 + 4) / 4) // popcounts of 4^5, 5^6, 6^7, 7^8
    const early = { ...model.evaluate(bad, 3.5) } // perf 3 leaves 0.5 for the error
    expect(early.earlyExit).toBe(true)
    expect(early.cost).toBeGreaterThan(3.5)
    expect(early.error).toBeLessThan(full.error)
    const tooLong = model.evaluate(bad, 2) // perf alone exceeds: no test run
    const calls = ev.calls
    expect(tooLong.earlyExit).toBe(true)
    expect(ev.calls).toBe(calls)
    const unsafe = new CostModel(
      ev,
      instructionCountPerf,
      { wErr: 1, wPerf: 1, unsafeError: 1e6 },
      (c) => c.kind[1] === SlotKind.live && c.imm[1] !== 4
    )
    const u = unsafe.evaluate(bad, Infinity)
    expect(u.unsafe).toBe(true)
    expect(u.cost).toBe(1e6 + 3)
    expect(unsafe.evaluate(ref, Infinity).unsafe).toBe(false)
  })
})
