/**
 * @fileoverview A sample of the analysis-vs-kernel confusion matrix (bench/confusion.ts runs the
 * full one): on 550 seeded mutants of the K2 benchmark the analysis never accepts a program the
 * kernel verifier rejects.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { kernelHas } from '../support/environment'
import { checkedProgram, confusion, formatMatrix } from './confusion-matrix'
import { HAVE_K2, k2Names } from './diff-programs'
import { openOracle } from './diff-test-support'

const { oracle, available } = await openOracle('confusion')
afterAll(() => oracle.dispose())

describe.skipIf(!available || !HAVE_K2)('analysis vs kernel verifier on mutants', () => {
  it('accepts no mutant the kernel rejects (550 mutants, 50 per benchmark program)', async () => {
    const r = await confusion(
      oracle,
      k2Names().map((n) => checkedProgram(n)),
      50,
      12345,
      undefined,
      kernelHas('mutants of the K2 benchmark')
    )
    console.log(formatMatrix('confusion sample', r.overall))
    const total =
      r.overall.bothAccept + r.overall.analysisOnly + r.overall.kernelOnly + r.overall.bothReject
    expect(total + r.unsupported).toBe(550)
    expect(r.kernelErrors).toEqual([])
    expect(
      r.unsound.map((d) => `${d.program}: ${d.changes.join('; ')} | kernel: ${d.why}`)
    ).toEqual([])
    // Both verdicts occur, so the sample exercises both sides of the matrix.
    expect(r.overall.bothAccept).toBeGreaterThan(50)
    expect(r.overall.bothReject).toBeGreaterThan(50)
  }, 120_000)

  it('also with the flat-buffer programs checked as raw_tracepoint (275 mutants)', async () => {
    const r = await confusion(
      oracle,
      k2Names().map((n) => checkedProgram(n, 'run')),
      25,
      777,
      undefined,
      kernelHas('mutants of the K2 benchmark')
    )
    console.log(formatMatrix('confusion sample, raw_tracepoint', r.overall))
    expect(r.kernelErrors).toEqual([])
    expect(
      r.unsound.map((d) => `${d.program}: ${d.changes.join('; ')} | kernel: ${d.why}`)
    ).toEqual([])
    expect(r.overall.bothAccept).toBeGreaterThan(25)
  }, 120_000)
})
