/** @fileoverview Shared pieces of the differential test files: oracle, input count, summary lines. */
import type { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import { openKernelOracle } from '../kernel/kernel-test-support'
import { describeMismatch, type DiffStats } from './diff-driver'

/** Random inputs per program (override with SUMMIT_DIFF_INPUTS for longer runs). */
export const INPUTS_PER_PROGRAM = Number(process.env['SUMMIT_DIFF_INPUTS'] ?? 150)

/** An oracle and whether BPF is usable (the skip reason is printed when not). */
export function openOracle(suite: string): Promise<{ oracle: KernelOracle; available: boolean }> {
  return openKernelOracle(suite)
}

/** One summary line per program and the mismatch details. */
export function summarize(s: DiffStats): string {
  const known = s.mismatches.filter((m) => m.known !== undefined).length
  const lines = [
    `${s.label}: ${s.inputs} inputs, ${s.comparisons} comparisons, ${s.refused} refused by the kernel ` +
      `(${s.refusedTiny}/${s.tiny} under 14 bytes), ${s.r0Values.size} distinct r0, ` +
      `${s.mismatches.length - known} mismatches, ${known} known modelling differences`
  ]
  for (const m of s.mismatches.slice(0, 3)) lines.push(describeMismatch(m))
  return lines.join('\n')
}

/** Totals over several programs. */
export function totals(all: readonly DiffStats[]): string {
  const sum = (f: (s: DiffStats) => number): number => all.reduce((a, s) => a + f(s), 0)
  return (
    `${all.length} programs, ${sum((s) => s.inputs)} inputs, ${sum((s) => s.comparisons)} comparisons, ` +
    `${sum((s) => s.refused)} kernel refusals, ${sum((s) => s.mismatches.filter((m) => !m.known).length)} mismatches, ` +
    `${sum((s) => s.mismatches.filter((m) => m.known).length)} known modelling differences`
  )
}
