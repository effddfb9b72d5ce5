/**
 * @fileoverview The cost of a candidate: w_e·error + w_p·perf, with injected test evaluation
 * and safety check, evaluated against a bound so that hopeless candidates stop early.
 */
import type { Candidate } from './candidate'
import { BUILTIN_MODEL, latencyOf, pathLatencies, type LatencyModel } from './latency'

/** A JSON-serialisable value (tests and counterexamples are opaque values of this type). */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue }

/**
 * Runs a candidate on the test suite and measures how far its outputs are from the reference
 * outputs (the lead wires the interpreter here; {@link ErrorAccumulator} implements K2's variants).
 */
export interface ErrorEvaluator {
  /**
   * Error of `c` over all current tests: 0 exactly when every test passes. May stop as soon as
   * the partial error exceeds `bound` and return that partial value (any number > bound). Must be
   * deterministic and must not keep `c` (it is mutated afterwards). Runtime faults in a test
   * (unsafe access, bad jump) should add a large error for that test rather than throw.
   */
  error(c: Candidate, bound: number): number
  /** Appends a test (a prover counterexample, as produced by the {@link Prover}). */
  addTest(test: JsonValue): void
}

/** Static safety check of a candidate (the analysis is wired here); true = acceptable. */
export type SafetyCheck = (c: Candidate) => boolean

/** The performance term. */
export interface PerfModel {
  /** Performance cost of `c` (lower is better). */
  perf(c: Candidate): number
}

/** Instruction count: live slots, ld_imm64 = 2. */
export const instructionCountPerf: PerfModel = { perf: (c) => c.liveSlots() }

/** Sum of estimated per-row latencies under the built-in table (see latency.ts). */
export const latencyPerf: PerfModel = { perf: (c) => latencyOf(c, BUILTIN_MODEL) }

/** The `perfModel` option's values. */
export type PerfModelName = 'sizeNoSlower' | 'count' | 'latency'

/** Estimated ns over the original's latency below which a candidate counts as no slower. */
const LATENCY_SLACK_NS = 1e-9

/** Perf added per estimated ns above the original's latency (keeps a gradient back under it). */
const OVER_LATENCY_PER_NS = 0.25

/**
 * Size without ever raising estimated latency: a candidate whose estimated latencies (dearest
 * path, and expected with branches either way at 1/2) are both not above the original's costs
 * its slot count plus a tie-break below half a slot (lower latency wins among equal sizes); one
 * above it costs more than the original itself (max(slots, original slots) + 1 + 0.25 per ns
 * over), so it can never become the best, while the chain still sees which over-budget
 * candidates are closer to the budget.
 */
export function sizeNoSlowerPerf(original: Candidate, model: LatencyModel): PerfModel {
  const lat = new Float64Array(2)
  pathLatencies(original, model, lat)
  const worst0 = lat[0]!
  const expected0 = lat[1]!
  const s0 = original.liveSlots()
  const scale = 0.5 / (worst0 + 1)
  return {
    perf: (c) => {
      const s = c.liveSlots()
      pathLatencies(c, model, lat)
      const overWorst = lat[0]! - worst0
      const overExpected = lat[1]! - expected0
      const over = overWorst > overExpected ? overWorst : overExpected
      if (over > LATENCY_SLACK_NS) return (s > s0 ? s : s0) + 1 + OVER_LATENCY_PER_NS * over
      return s + scale * lat[0]!
    }
  }
}

/** True when neither of `c`'s estimated latencies is above `original`'s under `model`. */
export function noSlowerThan(c: Candidate, original: Candidate, model: LatencyModel): boolean {
  const a = new Float64Array(2)
  const b = new Float64Array(2)
  pathLatencies(c, model, a)
  pathLatencies(original, model, b)
  return a[0]! - b[0]! <= LATENCY_SLACK_NS && a[1]! - b[1]! <= LATENCY_SLACK_NS
}

/** The perf model the `perfModel` option names, for a search of `original`. */
export function perfModelFor(
  name: PerfModelName,
  original: Candidate,
  model: LatencyModel = BUILTIN_MODEL
): PerfModel {
  if (name === 'count') return instructionCountPerf
  if (name === 'latency') return { perf: (c) => latencyOf(c, model) }
  return sizeNoSlowerPerf(original, model)
}

/** Weights of the cost terms. */
export interface CostWeights {
  readonly wErr: number
  readonly wPerf: number
  /** Error given to candidates the safety check rejects. */
  readonly unsafeError: number
}

/** One evaluation's outcome; the object is reused by {@link CostModel.evaluate}. */
export interface CostBreakdown {
  /** Total cost (a lower bound above the bound when `earlyExit`). */
  cost: number
  /** Error term (partial when `earlyExit`). */
  error: number
  /** Performance term. */
  perf: number
  /** True when evaluation stopped because the bound was exceeded. */
  earlyExit: boolean
  /** True when the safety check rejected the candidate. */
  unsafe: boolean
}

/** Combines perf, safety and error into a cost, with early exit against a maximum cost. */
export class CostModel {
  private readonly out: CostBreakdown = {
    cost: 0,
    error: 0,
    perf: 0,
    earlyExit: false,
    unsafe: false
  }

  /** Wires the injected parts. */
  constructor(
    readonly evaluator: ErrorEvaluator,
    readonly perfModel: PerfModel,
    readonly weights: CostWeights,
    readonly safety: SafetyCheck | undefined = undefined
  ) {}

  /**
   * Maximum cost for {@link evaluateWithinLimit}. Passing the limit through this field rather
   * than as an argument keeps V8 from boxing a double on every (non-inlined) call.
   */
  limit = Infinity

  /**
   * Cost of `c`, stopping early once it must exceed `maxCost` (pass Infinity for an exact
   * value). Order: perf (cheap), safety, then tests. Returns a reused object: copy what you keep.
   */
  evaluate(c: Candidate, maxCost: number): CostBreakdown {
    this.limit = maxCost
    return this.evaluateWithinLimit(c)
  }

  /** {@link evaluate} with the maximum cost taken from {@link limit} (the hot path). */
  evaluateWithinLimit(c: Candidate): CostBreakdown {
    const maxCost = this.limit
    const o = this.out
    const { wErr, wPerf, unsafeError } = this.weights
    o.earlyExit = false
    o.unsafe = false
    o.error = 0
    o.perf = this.perfModel.perf(c)
    const perfCost = wPerf * o.perf
    if (perfCost > maxCost) {
      o.earlyExit = true
      o.cost = perfCost
      return o
    }
    if (this.safety !== undefined && !this.safety(c)) {
      o.unsafe = true
      o.error = unsafeError
      o.cost = wErr * unsafeError + perfCost
      return o
    }
    // Pure float arithmetic (no `? : Infinity`): a mixed phi would box the double in V8.
    const bound = (maxCost - perfCost) / (wErr > 0 ? wErr : Number.MIN_VALUE)
    o.error = this.evaluator.error(c, bound)
    o.cost = wErr * o.error + perfCost
    o.earlyExit = o.error > bound && o.cost > maxCost
    return o
  }

  /** Cost of given error and perf values. */
  combine(error: number, perf: number): number {
    return this.weights.wErr * error + this.weights.wPerf * perf
  }
}
