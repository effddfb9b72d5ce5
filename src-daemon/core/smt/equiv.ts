/**
 * @fileoverview Proves or refutes the equivalence of two programs: builds the query, asks the
 * solver, and replays every counterexample on the interpreter. A counterexample on which the two
 * programs agree is an encoder bug and is reported as an error, never ignored; a timeout or an
 * unmodelled construct is "unknown", never "equal".
 */
import type { Insn } from '../isa/insn'
import { decodeProgram } from '../isa/decode'
import { compileProgram } from '../interp/compile'
import { createMachine, resultEquals } from '../interp/api'
import type { RunInput, RunResult } from '../interp/types'
import type { TermSolver, CheckOptions } from './term-solver'
import { buildEquivalence } from './enc-equiv'
import { counterexampleInput } from './enc-cex'
import type { EncodeModel } from './enc-state'

/** The answer to "are these two programs equivalent?". */
export type EquivResult =
  | { readonly kind: 'equal' }
  | {
      readonly kind: 'notEqual'
      /** An input on which the programs differ (confirmed by the interpreter). */
      readonly input: RunInput
      readonly resultA: RunResult
      readonly resultB: RunResult
    }
  | { readonly kind: 'unknown'; readonly reason: string }
  | { readonly kind: 'error'; readonly reason: string }

/** Runs `slots` on `input` in the interpreter. */
export function runProgram(slots: readonly Insn[], model: EncodeModel, input: RunInput): RunResult {
  const machine = createMachine(compileProgram(slots, model.maps, model.ctx), {
    maxPacket: Math.max(model.maxPacket, 64),
    maxMem: Math.max(model.ctxSize, 64)
  })
  return machine.run(input)
}

/** Checks whether `a` and `b` give the same observable results on every input of `model`. */
export async function checkEquivalence(
  a: readonly Insn[],
  b: readonly Insn[],
  model: EncodeModel,
  solver: TermSolver,
  options: CheckOptions = {}
): Promise<EquivResult> {
  const pa = decodeProgram(a)
  if (!pa.ok) return { kind: 'error', reason: `first program: ${pa.error.message}` }
  const pb = decodeProgram(b)
  if (!pb.ok) return { kind: 'error', reason: `second program: ${pb.error.message}` }
  const built = buildEquivalence(pa.value, pb.value, model)
  if (built.kind === 'unsupported')
    return { kind: 'unknown', reason: `unsupported: ${built.reason}` }
  const r = await solver.check(built.query.assertions, options)
  if (r.kind === 'unsat') return { kind: 'equal' }
  if (r.kind === 'unknown') return { kind: 'unknown', reason: r.reason }
  const input = counterexampleInput(built.query, r.model, model)
  const resultA = runProgram(a, model, input)
  const resultB = runProgram(b, model, input)
  if (resultEquals(resultA, resultB)) {
    return {
      kind: 'error',
      reason: 'encoder bug: the counterexample does not distinguish the programs in the interpreter'
    }
  }
  return { kind: 'notEqual', input, resultA, resultB }
}
