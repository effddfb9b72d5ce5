/**
 * @fileoverview Differential test: the 11 K2 benchmark programs run in the kernel
 * (BPF_PROG_TEST_RUN, as `k2KernelRun` picks the type) and in the interpreter on the same
 * seeded random and well-formed inputs; r0, packet, `__sk_buff` output fields and maps must match.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { diffProgram, type DiffStats } from './diff-driver'
import { HAVE_K2, k2Names, k2Program } from './diff-programs'
import { INPUTS_PER_PROGRAM, openOracle, summarize, totals } from './diff-test-support'
import { skipUnlessKernelRuns } from '../support/environment'

const { oracle, available } = await openOracle('differential k2')
const all: DiffStats[] = []
afterAll(async () => {
  if (all.length > 0) console.log(`[differential k2] ${totals(all)}`)
  await oracle.dispose()
})

describe.skipIf(!available || !HAVE_K2)('K2 benchmark: kernel vs interpreter', () => {
  it('finds the 11 benchmark programs', () => {
    expect(k2Names()).toHaveLength(11)
  })

  for (const [i, name] of k2Names().entries()) {
    it(`${name} agrees with the kernel on ${INPUTS_PER_PROGRAM} seeded inputs`, async () => {
      const p = k2Program(name)
      await skipUnlessKernelRuns(
        p.label,
        p.insns,
        p.progType,
        p.specs.map((m) => m.type),
        { testRun: true }
      )
      const s = await diffProgram(oracle, p, INPUTS_PER_PROGRAM, 1000 + i)
      all.push(s)
      console.log(summarize(s))
      expect(s.refusedTiny).toBe(s.tiny)
      expect(s.comparisons).toBeGreaterThan(INPUTS_PER_PROGRAM * 0.6)
      expect(s.mismatches.filter((m) => m.known === undefined).map((m) => m.outcome.parts)).toEqual(
        []
      )
    }, 120_000)
  }
})
