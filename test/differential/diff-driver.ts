/**
 * @fileoverview Drives the differential comparison of one program over many seeded inputs and
 * collects counts, kernel refusals and mismatches (with documented modelling differences
 * separated from real ones).
 */
import { seededRandom } from '../../src-daemon/core/analysis/mutants'
import type { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import { randomInput, withHits, type DiffInput } from './diff-inputs'
import type { DiffProgram } from './diff-programs'
import { diffMachine, diffRun, insertedKeys, type DiffOutcome } from './diff-run'
import { knownDifference } from './known-differences'

/** A mismatch and the input that showed it. */
export interface Mismatch {
  readonly label: string
  readonly input: DiffInput
  readonly outcome: Extract<DiffOutcome, { kind: 'mismatch' }>
  /** Set when this is a documented modelling difference. */
  readonly known?: string
}

/** Counts of one program's differential run. */
export interface DiffStats {
  readonly label: string
  /** Inputs generated (including follow-ups with pre-inserted keys). */
  inputs: number
  /** Inputs both sides ran and compared. */
  comparisons: number
  /** Inputs the kernel's test run refused (packets under 14 bytes, truncated IP for sockets). */
  refused: number
  /** Refusals of packets under 14 bytes (expected). */
  refusedTiny: number
  /** Inputs under 14 bytes generated (the kernel must refuse every one). */
  tiny: number
  /** Distinct return values seen (a coverage hint). */
  readonly r0Values: Set<string>
  readonly mismatches: Mismatch[]
}

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

/** Runs `count` random inputs (plus follow-ups that pre-insert keys the program added). */
export async function diffProgram(
  oracle: KernelOracle,
  p: DiffProgram,
  count: number,
  seed: number
): Promise<DiffStats> {
  const rnd = seededRandom(seed)
  const machine = diffMachine(p)
  const stats: DiffStats = {
    label: p.label,
    inputs: 0,
    comparisons: 0,
    refused: 0,
    refusedTiny: 0,
    tiny: 0,
    r0Values: new Set(),
    mismatches: []
  }
  const queue: DiffInput[] = []
  for (let n = 0; n < count || queue.length > 0; n++) {
    const input = queue.shift() ?? randomInput(rnd, p)
    stats.inputs++
    if (input.shape === 'tiny') stats.tiny++
    const { outcome, interp } = await diffRun(oracle, p, machine, input)
    if (outcome.kind === 'kernelRefused') {
      stats.refused++
      if (input.shape === 'tiny') stats.refusedTiny++
      continue
    }
    stats.comparisons++
    stats.r0Values.add(interp.kind === 'exit' ? String(interp.r0) : 'fault')
    if (outcome.kind === 'mismatch') {
      const known = knownDifference(p, input, outcome, interp)
      stats.mismatches.push({
        label: p.label,
        input,
        outcome,
        ...(known !== undefined ? { known } : {})
      })
    }
    if (!input.shape.endsWith('+hits') && queue.length === 0 && rnd() < 0.5) {
      const inserted = insertedKeys(p, input, interp)
      if (inserted.some((e) => e.length > 0)) queue.push(withHits(rnd, input, inserted, p))
    }
  }
  return stats
}

/** One line describing a mismatch (for the test output and the report). */
export function describeMismatch(m: Mismatch): string {
  const o = m.outcome
  const lines = [
    `${m.label} [${m.input.shape}] differs in ${o.parts.join(', ')}${m.known ? ` (known: ${m.known})` : ''}`,
    `  packet ${hex(m.input.packet)} ctx ${hex(m.input.ctx)} ethertype ${m.input.etherType.toString(16)} cb0 ${m.input.cb0}`,
    `  maps ${m.input.maps.map((e, i) => `${i}:${(e ?? []).map((x) => hex(x.key) + '=' + hex(x.value)).join(',')}`).join(' ')}`
  ]
  for (const part of o.parts) {
    lines.push(`  kernel ${part}: ${o.kernel[part as keyof typeof o.kernel]}`)
    lines.push(`  interp ${part}: ${o.interp[part as keyof typeof o.interp]}`)
  }
  return lines.join('\n')
}
