/** @fileoverview Pause/resume: a restored chain continues exactly as if it had never stopped. */
import { describe, expect, it } from 'vitest'
import { Candidate } from '../../src-daemon/core/search/candidate'
import { Chain } from '../../src-daemon/core/search/chain'
import { restoreChain, serializeChain } from '../../src-daemon/core/search/checkpoint'
import { defaultSearchOptions, type SearchOptions } from '../../src-daemon/core/search/config'
import { driveSync } from '../../src-daemon/core/search/drive'
import { asm, toyProver, ToyEvaluator, type ToyInput } from './toy-alu'

const SMALL: ToyInput[] = [
  [1n, 0n],
  [2n, 5n],
  [300n, 1n],
  [77777n, 3n]
]
const PROG = Candidate.fromSlots([
  asm.movReg(0, 1),
  asm.lshImm(0, 32),
  asm.rshImm(0, 32),
  asm.addImm(0, 0),
  asm.movReg(3, 2),
  asm.exit()
])
const OPTIONS: SearchOptions = {
  ...defaultSearchOptions(),
  seed: 78,
  restartEvery: 2500,
  windowIterations: 1500
}
const WINDOWS = [
  [0, 5],
  [1, 3]
] as const

function serialized(chain: Chain): string {
  const s = serializeChain(chain)
  if (!s.ok) throw new Error(s.error.message)
  return s.value
}

describe('chain checkpoints', () => {
  it('run N == run N/2, serialise, restore into a fresh chain, run N/2', () => {
    const N = 40_000
    const prove = toyProver(PROG)
    const straight = new Chain(PROG, OPTIONS, { evaluator: new ToyEvaluator(PROG, SMALL) }, WINDOWS)
    driveSync(straight, prove, N)

    const first = new Chain(PROG, OPTIONS, { evaluator: new ToyEvaluator(PROG, SMALL) }, WINDOWS)
    driveSync(first, prove, N / 2)
    const json = serialized(first)
    expect(first.addedTests.length).toBeGreaterThan(0) // the replay of added tests is exercised
    const restored = restoreChain(json, { evaluator: new ToyEvaluator(PROG, SMALL) })
    if (!restored.ok) throw new Error(restored.error.message)
    const second = restored.value
    expect(serialized(second)).toBe(json)
    driveSync(second, prove, N)

    expect(second.current.equals(straight.current)).toBe(true)
    expect(second.best.compact()).toEqual(straight.best.compact())
    expect(second.rng.getState()).toEqual(straight.rng.getState())
    expect(second.counters).toEqual(straight.counters)
    expect(second.addedTests).toEqual(straight.addedTests)
    expect(serialized(second)).toBe(serialized(straight))
    expect(straight.counters.windowSwitches).toBeGreaterThan(0)
    expect(straight.counters.restarts).toBeGreaterThan(straight.counters.windowSwitches)
  })

  it('refuses a checkpoint while a proof is pending and rejects malformed input', () => {
    const prog = Candidate.fromSlots([asm.movReg(0, 1), asm.addImm(0, 0), asm.exit()])
    const chain = new Chain(
      prog,
      { ...OPTIONS, seed: 1 },
      { evaluator: new ToyEvaluator(prog, SMALL) }
    )
    let ev = chain.run(100_000)
    while (ev.kind !== 'needsProof') ev = chain.run(chain.counters.iterations + 1000)
    const s = serializeChain(chain)
    expect(s.ok).toBe(false)
    if (!s.ok) expect(s.error.code).toBe('CHAIN_PROOF_PENDING')
    chain.resolveProof({ kind: 'unknown', reason: 'test' })
    expect(serializeChain(chain).ok).toBe(true)
    const deps = { evaluator: new ToyEvaluator(prog, SMALL) }
    const bad1 = restoreChain('{', deps)
    expect(bad1.ok ? '' : bad1.error.code).toBe('CHECKPOINT_INVALID')
    const doc = JSON.parse(serialized(chain)) as Record<string, unknown>
    doc.rng = [1, 2]
    const bad2 = restoreChain(JSON.stringify(doc), deps)
    expect(bad2.ok ? '' : bad2.error.code).toBe('CHECKPOINT_INVALID')
    doc.rng = [1, 2, 3, 4]
    doc.options = { beta: -1 }
    const bad3 = restoreChain(JSON.stringify(doc), deps)
    expect(bad3.ok ? '' : bad3.error.code).toBe('CONFIG_INVALID')
  })
})
