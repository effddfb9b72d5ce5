/**
 * @fileoverview The differential harness must be able to fail: an interpreter running a slightly
 * different program than the kernel (one immediate changed) is caught on r0 and on maps.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { seededRandom } from '../../src-daemon/core/analysis/mutants'
import { randomInput } from './diff-inputs'
import { HAVE_K2, k2Program, type DiffProgram } from './diff-programs'
import { diffMachine, diffRun } from './diff-run'
import { openOracle } from './diff-test-support'

const { oracle, available } = await openOracle('differential self-check')
afterAll(() => oracle.dispose())

/** Parts that differed over 40 inputs when the interpreter runs `changed` instead of `p`. */
async function partsSeen(p: DiffProgram, changed: DiffProgram): Promise<Set<string>> {
  const rnd = seededRandom(7)
  const machine = diffMachine(changed)
  const parts = new Set<string>()
  for (let i = 0; i < 40; i++) {
    const { outcome } = await diffRun(oracle, p, machine, randomInput(rnd, p))
    if (outcome.kind === 'mismatch') for (const part of outcome.parts) parts.add(part)
  }
  return parts
}

describe.skipIf(!available || !HAVE_K2)('differential harness self-check', () => {
  it('xdp1 with a changed counter increment differs in maps; with a changed verdict, in r0', async () => {
    const p = k2Program('xdp1')
    const n = p.insns.length
    expect(p.insns[n - 4]).toMatchObject({ code: 0x07, imm: 1 }) // r1 += 1
    expect(p.insns[n - 2]).toMatchObject({ code: 0xb7, imm: 1 }) // r0 = XDP_DROP
    const counter = p.insns.map((s, i) => (i === n - 4 ? { ...s, imm: 2 } : s))
    const verdict = p.insns.map((s, i) => (i === n - 2 ? { ...s, imm: 2 } : s))
    expect([...(await partsSeen(p, { ...p, insns: counter }))]).toEqual(['maps'])
    expect([...(await partsSeen(p, { ...p, insns: verdict }))]).toEqual(['r0'])
  })
})
