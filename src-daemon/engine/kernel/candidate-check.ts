/**
 * @fileoverview A search candidate checked in the kernel against its original: the original as
 * its own loader loads it, the candidate's instructions in the original's maps (as `optimize
 * --kernel-check` loads them), then {@link kernelCompare}. The daemon's "Check in kernel".
 */
import { k2MapFdsToIndices } from '../../core/formats/k2'
import type { Insn } from '../../core/isa/insn'
import type { Result } from '../../core/util/result'
import type { LoadedInput, LoadedProgram } from '../program/load'
import type { CompareSide } from './compare-inputs'
import { kernelCompare, type CompareOptions, type CompareReport } from './kernel-compare'
import type { KernelError } from './kernel-error'
import { candidateSubject, checkTarget, compareSide } from './kernel-plan'
import type { KernelOracle } from './oracle'

/**
 * Latency rounds of an interactive check: fewer than the CLI's 20 so that a check takes tens of
 * seconds, still above the 6 a 95% sign-test interval needs.
 */
export const INTERACTIVE_ROUNDS = 10

/** Inputs timed by an interactive check (the CLI times up to 12). */
export const INTERACTIVE_TIMED = 6

/** Both sides of a candidate check: `slots` are the candidate's compact slots in the search's form. */
export function candidateSides(
  input: LoadedInput,
  program: LoadedProgram,
  slots: readonly Insn[]
): { original: CompareSide; candidate: CompareSide } {
  const target = checkTarget(input, program, undefined)
  const original = compareSide(input, program, target)
  const insns =
    input.k2 !== undefined
      ? k2MapFdsToIndices(
          slots,
          input.k2.maps.map((m) => m.fd)
        )
      : slots
  const candidate: CompareSide = {
    label: 'candidate',
    subject: candidateSubject(target, insns),
    progType: target.progType,
    mapNames: target.mapNames,
    ...(original.model !== undefined ? { model: { ...original.model, slots } } : {})
  }
  return { original, candidate }
}

/**
 * Checks candidate `slots` of `program` against the program in the kernel (verdicts, sizes,
 * differential runs, coverage of the change, latency with {@link INTERACTIVE_ROUNDS} rounds
 * unless `options` say otherwise). Throws InputError when the program cannot be planned.
 */
export function checkCandidate(
  oracle: KernelOracle,
  input: LoadedInput,
  program: LoadedProgram,
  slots: readonly Insn[],
  options: CompareOptions = {}
): Promise<Result<CompareReport, KernelError>> {
  const { original, candidate } = candidateSides(input, program, slots)
  return kernelCompare(oracle, original, candidate, {
    rounds: INTERACTIVE_ROUNDS,
    maxTimed: INTERACTIVE_TIMED,
    ...options
  })
}
