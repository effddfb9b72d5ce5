/**
 * @fileoverview Differential runs in the interpreter: two programs of one benchmark on the same
 * inputs (plus, per input, a follow-up run whose initial maps hold the keys the first program
 * touched, so lookup-hit paths are covered), stopping at the first input where they differ.
 */
import { createMachine, resultEquals } from '../../src-daemon/core/interp/api'
import { Status } from '../../src-daemon/core/interp/machine'
import { captureOutcome, outcomeEquals } from '../../src-daemon/core/interp/outcome'
import type { RunInput, RunResult } from '../../src-daemon/core/interp/types'
import { compile, type CorpusProgram } from './corpus-program'
import { generateInputs, withMapsFromRun } from './inputs'
import { isArrayMap, isObjectMap } from './map-contents'

/** Where two programs first disagreed. */
export interface Difference {
  /** The input. */
  readonly input: RunInput
  /** Result of the first program. */
  readonly a: RunResult
  /** Result of the second program. */
  readonly b: RunResult
}

/** Outcome of a differential run. */
export interface DiffReport {
  /** Inputs run on both programs. */
  readonly runs: number
  /** Runs where the first program faulted (the input is outside what it handles). */
  readonly faultsA: number
  /** The first disagreement, if any. */
  readonly difference?: Difference
}

/**
 * Runs both programs on `inputs` (allocation-free comparison; results are built only for a
 * difference) and, when the benchmark has hash maps, on a follow-up of each input whose maps
 * hold the keys the first program left; stops at the first difference.
 */
export function differentialRun(
  a: CorpusProgram,
  b: CorpusProgram,
  inputs: readonly RunInput[]
): DiffReport {
  const ma = createMachine(compile(a))
  const mb = createMachine(compile(b))
  const followUps = a.env.maps.some((d) => !isArrayMap(d) && !isObjectMap(d))
  let runs = 0
  let faultsA = 0
  const check = (input: RunInput): Difference | undefined => {
    const status = ma.exec(input)
    const outcome = captureOutcome(ma)
    mb.exec(input)
    runs++
    if (status === Status.fault) faultsA++
    if (outcomeEquals(mb, outcome)) return undefined
    const ra = ma.run(input)
    const rb = mb.run(input)
    return resultEquals(ra, rb) ? undefined : { input, a: ra, b: rb }
  }
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!
    const d = check(input)
    if (d) return { runs, faultsA, difference: d }
    if (!followUps) continue
    const first = ma.run(input)
    if (
      first.kind !== 'exit' ||
      first.maps.every((m, j) => isArrayMap(a.env.maps[j]!) || m.entries.length === 0)
    )
      continue
    const again = check(withMapsFromRun(a.env.model, input, first.maps, i + 1))
    if (again) return { runs, faultsA, difference: again }
  }
  return { runs, faultsA }
}

/** Differential run on `count` generated inputs with `seed`. */
export function differentialRandom(
  a: CorpusProgram,
  b: CorpusProgram,
  count: number,
  seed: number
): DiffReport {
  return differentialRun(a, b, generateInputs(a.env.model, { seed, count }))
}

/** True when the two programs give different results on `input`. */
export function differsOn(a: CorpusProgram, b: CorpusProgram, input: RunInput): boolean {
  return !resultEquals(createMachine(compile(a)).run(input), createMachine(compile(b)).run(input))
}

/** `inputs` followed by the map-recycled follow-up of each (keys the program left become present). */
export function withFollowUps(p: CorpusProgram, inputs: readonly RunInput[]): RunInput[] {
  const m = createMachine(compile(p))
  const out = [...inputs]
  inputs.forEach((input, i) => {
    const r = m.run(input)
    if (r.kind === 'exit') out.push(withMapsFromRun(p.env.model, input, r.maps, i + 1))
  })
  return out
}
