/**
 * @fileoverview Runs one bpf_conformance test (parsed `.data`) in plain mode with the suite's
 * helper set and compares r0 with `-- result`, or expects a failure for `-- error`.
 */
import type { ConformanceTest } from '../formats/conformance-data'
import type { Insn } from '../isa/insn'
import { assemble } from '../isa/asm'
import { createMachine } from './api'
import { compileProgram } from './compile'
import type { RunResult } from './types'

/** Verdict of one conformance test. */
export interface ConformanceVerdict {
  readonly pass: boolean
  /** What the test expects: `r0 = 0x…` or `error …`. */
  readonly expected: string
  /** What happened: `r0 = 0x…`, `fault at N: …` or `assembly failed: …`. */
  readonly actual: string
}

/** Instruction budget for conformance programs (they are small; loops are bounded). */
const CONFORMANCE_BUDGET = 1_000_000

function hex(v: bigint): string {
  return `0x${v.toString(16)}`
}

/** Assembles (or takes the raw slots of) a conformance test. */
export function conformanceProgram(
  test: ConformanceTest
): { ok: true; slots: Insn[] } | { ok: false; message: string } {
  if (test.raw !== undefined) return { ok: true, slots: [...test.raw] }
  if (test.asm === undefined) return { ok: false, message: 'no -- asm or -- raw section' }
  const r = assemble(test.asm, 'ubpf')
  return r.ok
    ? { ok: true, slots: r.value }
    : { ok: false, message: `${r.error.code}: ${r.error.message}` }
}

/** Runs the program of a conformance test on its memory block (slow path, returns a value). */
export function runConformanceProgram(slots: readonly Insn[], mem: Uint8Array): RunResult {
  const compiled = compileProgram(slots, [], 'plain')
  const machine = createMachine(compiled, {
    helpers: 'conformance',
    budget: CONFORMANCE_BUDGET,
    maxMem: Math.max(64, mem.length)
  })
  return machine.run({ mem })
}

/** Runs one parsed conformance test and compares the outcome with its expectation. */
export function runConformanceTest(test: ConformanceTest): ConformanceVerdict {
  const expected =
    test.result !== undefined
      ? `r0 = ${hex(test.result)}`
      : test.error !== undefined
        ? `error ${test.error}`
        : 'nothing'
  const prog = conformanceProgram(test)
  if (!prog.ok)
    return { pass: test.error !== undefined, expected, actual: `assembly failed: ${prog.message}` }
  const r = runConformanceProgram(prog.slots, test.mem)
  if (r.kind === 'fault')
    return { pass: test.error !== undefined, expected, actual: `fault at ${r.pc}: ${r.reason}` }
  const actual = `r0 = ${hex(r.r0)}`
  return { pass: test.result !== undefined && test.result === r.r0, expected, actual }
}
