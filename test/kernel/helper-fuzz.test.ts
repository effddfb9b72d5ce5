/** @fileoverview A short libFuzzer run of the kernel helper's request parser finds no crash, leak or undefined behaviour. */
import { describe, expect, it } from 'vitest'
import { buildFuzzer, runFuzzer } from './fuzz-support'

const fuzzer = buildFuzzer()
if (!fuzzer.ok) console.log(`[helper-fuzz] skipped: ${fuzzer.reason}`)

describe.skipIf(!fuzzer.ok)('helper request parser under libFuzzer', () => {
  it('parses 30,000 mutated requests under ASan and UBSan without a report', () => {
    if (!fuzzer.ok) return
    const run = runFuzzer(fuzzer.path, { runs: 30_000 }, 7)
    expect(run.crashes, run.log.slice(-3000)).toEqual([])
    expect(run.status, run.log.slice(-3000)).toBe(0)
    expect(run.runs).toBe(30_000)
    expect(run.coverage).toBeGreaterThan(100)
  })
})
