/**
 * @fileoverview The search's ErrorEvaluator over the interpreter: the original program's
 * outcomes are captured once per test; a candidate is loaded into one preallocated machine as
 * fixed slots (removed slots run as `ja +0`, so no jump needs re-targeting) and compared test by
 * test with K2's error variants, stopping as soon as the error exceeds the bound.
 */
import type { Insn } from '../isa/insn'
import { createMachine, type BpfMachine } from '../interp/api'
import { compileProgram } from '../interp/compile'
import { popcount32 } from '../interp/int64'
import { Status } from '../interp/machine'
import {
  captureOutcome,
  outcomeDistance,
  STATUS_MISMATCH_COST,
  type Outcome
} from '../interp/outcome'
import type { PreparedRun } from '../interp/prepared-run'
import type { MachineOptions, RunInput } from '../interp/types'
import type { EncodeModel } from '../smt/enc-state'
import { SlotKind, type Candidate } from './candidate'
import type { ErrorEvaluator, JsonValue, SafetyCheck } from './cost'
import { ErrorAccumulator, type ErrorMetricOptions } from './error-metric'
import { runInputFromJson } from './test-inputs'

const LDDW = 0x18

/** Machine options matching the prover's replay of counterexamples (equiv.ts `runProgram`). */
export function machineOptionsFor(model: EncodeModel, budget: number): MachineOptions {
  return {
    maxPacket: Math.max(model.maxPacket, 64),
    maxMem: Math.max(model.ctxSize, 64),
    budget
  }
}

/** Counters of an evaluator (plain numbers). */
export interface EvaluatorStats {
  /** Candidates evaluated. */
  calls: number
  /** Test runs executed. */
  testRuns: number
  /** Tests rejected because the original program faults on them. */
  droppedTests: number
  /** Tests added after construction (counterexamples). */
  addedTests: number
  /** Added tests ignored as duplicates. */
  duplicateTests: number
}

/** ErrorEvaluator running candidates in the interpreter against the original's outcomes. */
export class InterpEvaluator implements ErrorEvaluator {
  /** Inputs of the suite, in order. */
  readonly inputs: RunInput[] = []
  /** The original's outcome per input. */
  readonly expected: Outcome[] = []
  /** Each input prepared for the machine. */
  private readonly prepared: PreparedRun[] = []
  /** Counters. */
  readonly stats: EvaluatorStats = {
    calls: 0,
    testRuns: 0,
    droppedTests: 0,
    addedTests: 0,
    duplicateTests: 0
  }
  /** The machine candidates run on (read by tests of its incremental loads). */
  readonly machine: BpfMachine
  private readonly acc: ErrorAccumulator
  private readonly abs: boolean
  private readonly fixed: Insn[]
  private readonly originalSlots: readonly Insn[]
  private readonly seen = new Set<string>()
  /** Slots the last load changed. */
  private readonly changed: Int32Array
  /** Test order of {@link error} (a permutation of the suite's indices). */
  private order = new Int32Array(16)
  /** Whether tests move forward when they stop a candidate (the popcount metric only). */
  private readonly reorder: boolean

  /** Builds the evaluator; `tests` are filtered to those the original completes without fault. */
  constructor(
    original: readonly Insn[],
    readonly model: EncodeModel,
    tests: readonly RunInput[],
    metric: ErrorMetricOptions,
    budget = 100_000
  ) {
    this.originalSlots = original
    this.fixed = original.map((s) => ({ ...s }))
    this.changed = new Int32Array(original.length)
    this.machine = createMachine(
      compileProgram(this.fixed, model.maps, model.ctx),
      machineOptionsFor(model, budget)
    )
    this.acc = new ErrorAccumulator(metric)
    this.abs = metric.errorMetric === 'abs'
    this.reorder = !this.abs
    for (const t of tests) this.push(t)
  }

  /** Number of tests. */
  get size(): number {
    return this.inputs.length
  }

  private push(input: RunInput): boolean {
    const m = this.machine
    for (let i = 0; i < this.fixed.length; i++) Object.assign(this.fixed[i]!, this.originalSlots[i])
    m.reload(this.fixed)
    const prepared = m.prepare(input)
    m.execPrepared(prepared)
    if (m.status === Status.fault) {
      this.stats.droppedTests++
      return false
    }
    this.inputs.push(input)
    this.prepared.push(prepared)
    const n = this.inputs.length
    if (this.order.length < n) {
      const grown = new Int32Array(Math.max(n, this.order.length * 2))
      grown.set(this.order)
      this.order = grown
    }
    this.order[n - 1] = n - 1
    this.expected.push(captureOutcome(m))
    return true
  }

  /**
   * Loads `c` into the machine as fixed slots (NOP → `ja +0`), without allocating. Only the
   * slots that differ from the loaded program are recompiled, unless an lddw is involved.
   */
  load(c: Candidate): void {
    const f = this.fixed
    const changed = this.changed
    let count = 0
    let whole = false
    for (let i = 0; i < c.length; i++) {
      const s = f[i]!
      const nop = c.kind[i] === SlotKind.nop
      const code = nop ? 0x05 : c.code[i]!
      const dst = nop ? 0 : c.dst[i]!
      const src = nop ? 0 : c.src[i]!
      const off = nop ? 0 : c.off[i]!
      const imm = nop ? 0 : c.imm[i]!
      if (s.code === code && s.dst === dst && s.src === src && s.off === off && s.imm === imm)
        continue
      // An lddw spans two slots: its change (or a change after one) recompiles everything.
      if (s.code === LDDW || code === LDDW || (i > 0 && f[i - 1]!.code === LDDW)) whole = true
      s.code = code
      s.dst = dst
      s.src = src
      s.off = off
      s.imm = imm
      changed[count++] = i
    }
    if (whole) this.machine.reload(f)
    else if (count > 0) this.machine.reloadSlots(f, changed, count)
  }

  /**
   * Error of `c` over the suite, stopping once it exceeds `bound`. Under the popcount metric a
   * test that stops a candidate moves halfway to the front, so later candidates meet the tests
   * that reject them sooner; the per-test distances are integers, so the sum, and so every
   * answer, does not depend on the order.
   */
  error(c: Candidate, bound: number): number {
    this.stats.calls++
    this.load(c)
    const m = this.machine
    const acc = this.acc
    const n = this.inputs.length
    const order = this.order
    acc.begin(n)
    for (let j = 0; j < n; j++) {
      const k = this.reorder ? order[j]! : j
      m.execPrepared(this.prepared[k]!)
      this.stats.testRuns++
      const o = this.expected[k]!
      const d = outcomeDistance(m, o, Infinity)
      if (this.abs && d > 0 && d < STATUS_MISMATCH_COST && m.status === Status.exit) {
        // r0 by absolute difference, everything else by differing bits
        const r0bits = popcount32(m.r0lo ^ o.r0lo) + popcount32(m.r0hi ^ o.r0hi)
        acc.word(o.r0lo, o.r0hi, m.r0lo, m.r0hi)
        acc.distance(d - r0bits)
      } else acc.distance(d)
      acc.endTest()
      if (acc.exceeds(bound)) {
        if (this.reorder && j > 0) {
          const to = j >> 1
          order[j] = order[to]!
          order[to] = k
        }
        return acc.value()
      }
    }
    return acc.value()
  }

  /** Adds a test in JSON form (a counterexample); malformed or duplicate tests are ignored. */
  addTest(test: JsonValue): void {
    const key = JSON.stringify(test)
    if (this.seen.has(key)) {
      this.stats.duplicateTests++
      return
    }
    this.seen.add(key)
    const input = runInputFromJson(test)
    if (input === undefined) return
    if (this.push(input)) this.stats.addedTests++
  }
}

/**
 * Runs the (costly) safety check only on candidates that pass every test: the interpreter's
 * faults already give unsafe-looking candidates a large error, and only zero-error candidates
 * can become results. A rejected candidate gets `unsafeError`.
 */
export class SafetyGatedEvaluator implements ErrorEvaluator {
  /** Candidates the safety check rejected. */
  unsafe = 0

  /** Wraps `inner` with `safety`. */
  constructor(
    readonly inner: ErrorEvaluator,
    private readonly safety: SafetyCheck,
    private readonly unsafeError: number
  ) {}

  /** Test error, or `unsafeError` when every test passes but the analysis rejects `c`. */
  error(c: Candidate, bound: number): number {
    const e = this.inner.error(c, bound)
    if (e !== 0 || this.safety(c)) return e
    this.unsafe++
    return this.unsafeError
  }

  /** Forwards to the inner evaluator. */
  addTest(test: JsonValue): void {
    this.inner.addTest(test)
  }
}
