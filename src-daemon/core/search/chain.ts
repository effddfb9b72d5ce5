/**
 * @fileoverview The Metropolis-Hastings chain: synchronous proposal/evaluate/accept loop with
 * early termination, best tracking through injected proofs, restarts, a window schedule and
 * test-suite growth from counterexamples.
 */
import type { Candidate } from './candidate'
import type { SearchOptions } from './config'
import { CostModel, perfModelFor, type JsonValue } from './cost'
import {
  newCounters,
  type ChainCounters,
  type ChainDeps,
  type ChainEvent,
  type ProofResult,
  type Window
} from './chain-types'
import { Proposer } from './proposals'
import { Rng } from './rng'

const DONE: ChainEvent = { kind: 'done' }
const UNIT = 0x40000000

/**
 * One MCMC chain over a fixed-capacity candidate. The loop is synchronous; when a candidate
 * passes every test and would beat the best, {@link run} returns a `needsProof` event and the
 * driver calls {@link resolveProof} with the prover's answer before running again.
 */
export class Chain {
  /** The original program (the reference; never mutated). */
  readonly original: Candidate
  /** The chain's current program. */
  readonly current: Candidate
  /** The best proven program (initially the original). */
  readonly best: Candidate
  /** The chain's generator. */
  readonly rng: Rng
  /** The move sampler. */
  readonly proposer: Proposer
  /** The cost function with its injected parts. */
  readonly cost: CostModel
  /** Resolved options. */
  readonly options: SearchOptions
  /** The window schedule (whole program when empty). */
  readonly windows: readonly Window[]
  /** Counters. */
  counters: ChainCounters = newCounters()
  /** Tests added from counterexamples, in order. */
  readonly addedTests: JsonValue[] = []
  /** Cost, error and perf of the current program. */
  curCost = 0
  curError = 0
  curPerf = 0
  /** Perf of the best program. */
  bestPerf = 0
  /** Hashes of programs the prover answered `unknown` for (not asked again). */
  readonly unknownHashes = new Set<number>()
  /** Index into {@link windows}. */
  windowIndex = 0

  private readonly pendingCandidate: Candidate
  private pending = false
  private pendingMove = -1
  private pendingSlack = 0
  private pendingPerf = 0

  /** Builds a chain starting at `original` and evaluates it. */
  constructor(
    original: Candidate,
    options: SearchOptions,
    deps: ChainDeps,
    windows: readonly Window[] = []
  ) {
    this.original = original.clone()
    this.current = original.clone()
    this.best = original.clone()
    this.pendingCandidate = original.clone()
    this.options = options
    this.rng = new Rng(options.seed)
    this.proposer = new Proposer(this.original, options, deps.pinned)
    const perf = deps.perf ?? perfModelFor(options.perfModel, this.original, deps.latency)
    this.cost = new CostModel(
      deps.evaluator,
      perf,
      { wErr: options.wErr, wPerf: options.wPerf, unsafeError: options.unsafeError },
      deps.safety
    )
    this.windows = windows.length > 0 ? windows : [[0, original.length - 1]]
    this.applyWindow()
    this.bestPerf = perf.perf(this.best)
    this.recomputeCurrent()
  }

  /** True while a `needsProof` event awaits {@link resolveProof}. */
  get proofPending(): boolean {
    return this.pending
  }

  /** The current window. */
  get window(): Window {
    return this.windows[this.windowIndex]!
  }

  /** Runs until `counters.iterations` reaches `untilIteration` or a proof is needed. */
  run(untilIteration: number): ChainEvent {
    if (this.pending) return { kind: 'needsProof', candidate: this.pendingCandidate }
    while (this.counters.iterations < untilIteration) {
      if (this.step()) return { kind: 'needsProof', candidate: this.pendingCandidate }
    }
    return DONE
  }

  /** Completes the iteration that asked for a proof. */
  resolveProof(result: ProofResult): void {
    if (!this.pending) return
    this.pending = false
    const cand = this.pendingCandidate
    const o = this.options
    let candError = 0
    let candPerf = this.pendingPerf
    if (result.kind === 'equal') {
      this.counters.proofsEqual++
      this.best.copyFrom(cand)
      this.bestPerf = candPerf
      this.counters.bestImprovements++
    } else if (result.kind === 'notEqual') {
      this.counters.proofsNotEqual++
      this.addTest(result.counterexample)
      const r = this.cost.evaluate(cand, Infinity)
      this.counters.evaluations++
      candError = r.error
      candPerf = r.perf
      if (candError === 0) {
        this.counters.counterexamplesNotFailing++
        this.unknownHashes.add(cand.hash())
        candError = o.unprovenError
      }
    } else if (result.kind === 'rejected') {
      // The kernel refused a proven program: unsafe for this chain, never asked about again.
      this.counters.kernelRejected++
      this.unknownHashes.add(cand.hash())
      candError = o.unsafeError
    } else {
      this.counters.proofsUnknown++
      this.unknownHashes.add(cand.hash())
      candError = o.unprovenError
    }
    this.finishPending(candError, candPerf)
  }

  /** Accept/reject decision of the iteration that waited for a proof. */
  private finishPending(candError: number, candPerf: number): void {
    const cand = this.pendingCandidate
    const candCost = this.cost.combine(candError, candPerf)
    const accept = candCost <= this.curCost + this.pendingSlack
    if (accept) {
      this.current.copyFrom(cand)
      this.curCost = candCost
      this.curError = candError
      this.curPerf = candPerf
      this.counters.accepted++
      this.counters.acceptedByMove[this.pendingMove]!++
    }
    this.counters.iterations++
  }

  /** Adds a test (counterexample) and re-evaluates the current program on the grown suite. */
  addTest(test: JsonValue): void {
    this.addedTests.push(test)
    this.cost.evaluator.addTest(test)
    this.recomputeCurrent()
  }

  /** Restarts the current program from the best one. */
  restartFromBest(): void {
    this.current.copyFrom(this.best)
    this.recomputeCurrent()
    this.counters.restarts++
  }

  /** Re-evaluates the current program exactly (used after test-suite or program changes). */
  recomputeCurrent(): void {
    const r = this.cost.evaluate(this.current, Infinity)
    this.counters.evaluations++
    let err = r.error
    // A zero-error program cheaper than the best has not been proven: keep it penalised.
    if (err === 0 && r.perf < this.bestPerf) err = this.options.unprovenError
    this.curError = err
    this.curPerf = r.perf
    this.curCost = this.cost.combine(err, r.perf)
  }

  /** One iteration; true when it stopped for a proof. */
  private step(): boolean {
    const o = this.options
    const c = this.counters
    const it = c.iterations
    if (
      it > 0 &&
      o.windowIterations > 0 &&
      this.windows.length > 1 &&
      it % o.windowIterations === 0
    ) {
      this.windowIndex = (this.windowIndex + 1) % this.windows.length
      this.applyWindow()
      c.windowSwitches++
      this.restartFromBest()
    } else if (it > 0 && o.restartEvery > 0 && it % o.restartEvery === 0) {
      this.restartFromBest()
    }
    // Draw u first: the candidate is accepted iff cost <= curCost + slack.
    const u = (this.rng.int(UNIT) + 1) / UNIT // in (0, 1]; int() keeps the hot path unboxed
    const slack = -Math.log(u) / this.betaAt(it)
    const maxCost = this.curCost + slack
    const move = this.proposer.propose(this.current, this.rng)
    if (move < 0) {
      c.noops++
      c.iterations++
      return false
    }
    c.proposals[move]!++
    this.cost.limit = maxCost
    const r = this.cost.evaluateWithinLimit(this.current)
    c.evaluations++
    if (r.unsafe) c.unsafe++
    if (r.earlyExit) {
      c.earlyExits++
      this.proposer.undo(this.current)
      c.iterations++
      return false
    }
    if (r.error === 0 && r.perf < this.bestPerf) {
      this.pendingCandidate.copyFrom(this.current)
      this.proposer.undo(this.current)
      this.pendingMove = move
      this.pendingSlack = slack
      this.pendingPerf = r.perf
      if (this.unknownHashes.has(this.pendingCandidate.hash())) {
        c.proofsSkippedUnknown++
        this.finishPending(o.unprovenError, r.perf)
        return false
      }
      c.proofRequests++
      this.pending = true
      return true
    }
    if (r.cost <= maxCost) {
      this.proposer.commit()
      this.curCost = r.cost
      this.curError = r.error
      this.curPerf = r.perf
      c.accepted++
      c.acceptedByMove[move]!++
    } else {
      this.proposer.undo(this.current)
    }
    c.iterations++
    return false
  }

  /**
   * Inverse temperature at iteration `it`: constant, or with `betaEnd` > 0 moving geometrically
   * from `beta` to `betaEnd` over each restart period (annealing that reheats at every restart).
   */
  betaAt(it: number): number {
    const o = this.options
    if (o.betaEnd <= 0 || o.restartEvery <= 0) return o.beta
    return o.beta * Math.pow(o.betaEnd / o.beta, (it % o.restartEvery) / o.restartEvery)
  }

  private applyWindow(): void {
    const [s, e] = this.window
    this.proposer.setWindow(s, e)
  }
}
