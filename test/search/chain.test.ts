/** @fileoverview Tests of the MH chain: shrinking, proofs and counterexamples, early termination. */
import { describe, expect, it } from 'vitest'
import { Candidate } from '../../src-daemon/core/search/candidate'
import { Chain } from '../../src-daemon/core/search/chain'
import { serializeChain } from '../../src-daemon/core/search/checkpoint'
import { defaultSearchOptions, type SearchOptions } from '../../src-daemon/core/search/config'
import { drive, driveSync } from '../../src-daemon/core/search/drive'
import { insn } from '../../src-daemon/core/isa/insn'
import { asm, toyProver, ToyEvaluator, type ToyInput } from './toy-alu'

const INPUTS: ToyInput[] = [
  [1n, 7n],
  [0x1234n, 2n],
  [0xdeadbeefcafen, 99n],
  [0xffffffffffffffffn, 0n],
  [42n, 0x8000000000000000n]
]

/** r0 = r1 written four ways; the best is one instruction plus exit. */
const REDUNDANT = Candidate.fromSlots([
  asm.movReg(0, 1),
  asm.addImm(0, 0),
  asm.mulImm(0, 1),
  asm.movReg(0, 0),
  asm.exit()
])

/** Options with pure size as the perf term (these tests count slots). */
function opts(over: Partial<SearchOptions> = {}): SearchOptions {
  return { ...defaultSearchOptions(), perfModel: 'count', ...over }
}

describe('Chain', () => {
  it('anneals beta over each restart period when betaEnd is set, and stays reproducible', () => {
    const prog = REDUNDANT
    const o = opts({ seed: 9, beta: 0.1, betaEnd: 10, restartEvery: 1000 })
    const make = (): Chain => new Chain(prog, o, { evaluator: new ToyEvaluator(prog, INPUTS) })
    const a = make()
    expect(a.betaAt(0)).toBeCloseTo(0.1)
    expect(a.betaAt(500)).toBeCloseTo(1) // geometric midpoint of 0.1 and 10
    expect(a.betaAt(999)).toBeGreaterThan(9.9)
    expect(a.betaAt(1000)).toBeCloseTo(0.1) // reheated at the restart
    expect(
      new Chain(prog, opts({ beta: 0.5 }), { evaluator: new ToyEvaluator(prog, INPUTS) }).betaAt(
        700
      )
    ).toBe(0.5)
    driveSync(a, toyProver(prog), 6000)
    const b = make()
    driveSync(b, toyProver(prog), 6000)
    expect(a.bestPerf).toBe(2)
    expect(b.current.equals(a.current)).toBe(true)
    expect(b.counters).toEqual(a.counters)
  })

  it('shrinks r0 = r1; r0 += 0; r0 *= 1; r0 = r0 to one instruction + exit', () => {
    const prog = REDUNDANT
    const chain = new Chain(prog, opts({ seed: 5 }), { evaluator: new ToyEvaluator(prog, INPUTS) })
    driveSync(chain, toyProver(prog), 5000)
    expect(chain.bestPerf).toBe(2)
    expect(chain.best.compact()).toEqual([asm.movReg(0, 1), asm.exit()])
    expect(chain.counters.proofsEqual).toBeGreaterThanOrEqual(1)
    expect(chain.counters.bestImprovements).toBe(chain.counters.proofsEqual)
    expect(chain.counters.accepted).toBeGreaterThan(0)
    expect(chain.counters.earlyExits).toBeGreaterThan(0)
    expect(chain.counters.proposals.reduce((a, b) => a + b, 0) + chain.counters.noops).toBe(5000)
  })

  it('learns from a counterexample and then finds the truly equivalent shorter program', () => {
    // r0 = low 32 bits of r1; tests only have small r1, so "r0 = r1" passes them all.
    const prog = Candidate.fromSlots([
      asm.movReg(0, 1),
      asm.lshImm(0, 32),
      asm.rshImm(0, 32),
      asm.exit()
    ])
    const small: ToyInput[] = [
      [1n, 0n],
      [2n, 5n],
      [300n, 1n],
      [77777n, 3n]
    ]
    const ev = new ToyEvaluator(prog, small)
    const chain = new Chain(prog, opts({ seed: 2, restartEvery: 0 }), { evaluator: ev })
    driveSync(chain, toyProver(prog), 100_000)
    expect(chain.counters.proofsNotEqual).toBeGreaterThanOrEqual(1)
    expect(chain.addedTests.length).toBe(chain.counters.proofsNotEqual)
    expect(ev.inputs.length).toBe(small.length + chain.addedTests.length)
    expect(chain.bestPerf).toBe(2)
    expect(toyProver(prog)(chain.best)).toEqual({ kind: 'equal' })
    expect(chain.best.compact()).toEqual([insn(0xbc, 0, 1), asm.exit()]) // w0 = w1
    // the cached current cost matches a fresh evaluation on the grown suite
    const fresh = chain.cost.evaluate(chain.current, Infinity)
    expect(chain.curPerf).toBe(fresh.perf)
  })

  it('early termination changes nothing but the number of tests run', () => {
    const prog = Candidate.fromSlots([
      asm.movReg(0, 1),
      asm.lshImm(0, 32),
      asm.rshImm(0, 32),
      asm.addReg(0, 2),
      asm.exit()
    ])
    const run = (ignoreBound: boolean): [string, number] => {
      const ev = new ToyEvaluator(prog, INPUTS, undefined, ignoreBound)
      const chain = new Chain(prog, opts({ seed: 9 }), { evaluator: ev })
      driveSync(chain, toyProver(prog), 3000)
      const s = serializeChain(chain)
      if (!s.ok) throw new Error(s.error.message)
      return [s.value, ev.testRuns]
    }
    const [withBound, runsBound] = run(false)
    const [without, runsFull] = run(true)
    expect(withBound).toBe(without)
    expect(runsBound).toBeLessThan(runsFull * 0.8)
  })

  it('gives identical results for sync and async drivers with any slicing', async () => {
    const prog = REDUNDANT
    const mk = (): Chain =>
      new Chain(prog, opts({ seed: 13 }), { evaluator: new ToyEvaluator(prog, INPUTS) })
    const a = mk()
    driveSync(a, toyProver(prog), 2000)
    const b = mk()
    const prove = toyProver(prog)
    let slices = 0
    await drive(b, { check: async (c) => prove(c) }, 2000, 333, () => {
      slices++
      return true
    })
    expect(slices).toBeGreaterThan(3)
    expect(serializeChain(b)).toEqual(serializeChain(a))
  })

  it('restarts from the best and rotates windows on schedule', () => {
    const prog = REDUNDANT
    const chain = new Chain(
      prog,
      opts({ seed: 1, restartEvery: 300, windowIterations: 500 }),
      { evaluator: new ToyEvaluator(prog, INPUTS) },
      [
        [0, 1],
        [2, 3]
      ]
    )
    const seenWindows = new Set<string>()
    for (let until = 100; until <= 2000; until += 100) {
      driveSync(chain, toyProver(prog), until)
      seenWindows.add(chain.window.join(':'))
      expect(chain.proposer.window()).toEqual([...chain.window])
    }
    expect(seenWindows).toEqual(new Set(['0:1', '2:3']))
    expect(chain.counters.windowSwitches).toBe(3) // at 500, 1000, 1500
    expect(chain.counters.restarts).toBe(3 + 6 - 1) // window switches + restarts at 300..1800 except 1500
  })

  it('never records unproven programs as best and does not re-ask about undecided ones', () => {
    const prog = REDUNDANT
    const chain = new Chain(prog, opts({ seed: 5 }), { evaluator: new ToyEvaluator(prog, INPUTS) })
    const asked = new Set<number>()
    let repeats = 0
    driveSync(
      chain,
      (c) => {
        if (asked.has(c.hash())) repeats++
        asked.add(c.hash())
        return { kind: 'unknown', reason: 'timeout' }
      },
      5000
    )
    expect(chain.counters.proofRequests).toBeGreaterThan(0)
    expect(chain.counters.proofsUnknown).toBe(chain.counters.proofRequests)
    expect(chain.counters.proofsSkippedUnknown).toBeGreaterThan(0)
    expect(repeats).toBe(0)
    expect(chain.best.equals(prog)).toBe(true)
    expect(chain.bestPerf).toBe(5)
  })

  it('applies the injected safety check: rejected programs are never accepted as best', () => {
    const prog = REDUNDANT
    const safety = (c: Candidate): boolean => c.liveSlots() >= 3
    const chain = new Chain(prog, opts({ seed: 5 }), {
      evaluator: new ToyEvaluator(prog, INPUTS),
      safety
    })
    driveSync(chain, toyProver(prog), 5000)
    expect(chain.counters.unsafe).toBeGreaterThan(0)
    expect(chain.bestPerf).toBe(3)
    expect(safety(chain.best)).toBe(true)
    expect(toyProver(prog)(chain.best)).toEqual({ kind: 'equal' })
  })
})
