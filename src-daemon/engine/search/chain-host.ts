/**
 * @fileoverview One chain with everything wired in: interpreter evaluator, cached analysis
 * safety check, whole-program Z3 prover behind the job's proof cache. Runs the same way in the
 * main thread (single chain) and in a worker thread.
 */
import type { Insn } from '../../core/isa/insn'
import { Candidate } from '../../core/search/candidate'
import { Chain } from '../../core/search/chain'
import { restoreChain } from '../../core/search/checkpoint'
import { fail, ok, type Result } from '../../core/util/result'
import type { ProofResult, Window } from '../../core/search/chain-types'
import type { JsonValue } from '../../core/search/cost'
import { InterpEvaluator, SafetyGatedEvaluator } from '../../core/search/evaluator'
import { canonicalProofKey } from '../../core/search/proof-key'
import { CachedSafety, DEFERRED_SAFETY_SLOTS } from '../../core/search/safety'
import { BUILTIN_MODEL, latencyModel } from '../../core/search/latency'
import { generateTestInputs, runInputToJson } from '../../core/search/test-inputs'
import { selectWindows, windowSchedule } from '../../core/search/windows'
import { decodeLenient } from '../../core/isa/decode'
import { checkEquivalence, checkWindowEquivalence, type EquivResult } from '../../core/smt/equiv'
import type { TermSolver } from '../../core/smt/term-solver'
import type { SearchJob } from './job'
import type { KernelGate } from './kernel-gate'
import type { CachedProof, ProofCache } from './proof-cache'
import type { ChainProgress } from './protocol'

/** Callbacks through which a chain shares what it learns. */
export interface ChainHostEvents {
  /** A newly decided proof (to share with the other chains). */
  readonly onProof?: (key: string, r: CachedProof) => void
  /** The chain's best improved (proven equal and accepted by the analysis). */
  readonly onBest?: (host: ChainHost) => void
}

/** Prover counters of one chain. */
export interface ProverStats {
  /** Solver calls. */
  calls: number
  /** Answers from the proof cache. */
  cacheHits: number
  /** Milliseconds spent in solver calls. */
  ms: number
  /** Solver answers that were unknown (timeout, unsupported) or errors. */
  unknown: number
  /** Error answers (encoder bugs and malformed programs), with the last reason. */
  errors: number
  lastError: string
  /** The kernel verifier's last refusal of a new best (verifier in the loop). */
  lastKernelRejection: string
}

/** Raised inside the constructor when a checkpoint does not restore (turned into a Result). */
class CheckpointError extends Error {}

/** Instruction kinds a straight-line window proof cannot take. */
const CONTROL = new Set(['jmp', 'ja', 'call', 'exit', 'ldabs', 'ldind'])

/** Whether `slots` hold a jump, call, exit or legacy ld_abs/ld_ind packet load. */
function hasControlFlow(slots: readonly Insn[]): boolean {
  return decodeLenient(slots).some((d) => d.spec !== undefined && CONTROL.has(d.spec.kind))
}

/** A chain plus its injected parts. */
export class ChainHost {
  /** The chain. */
  readonly chain: Chain
  /** The test evaluator. */
  readonly evaluator: InterpEvaluator
  /** The safety check. */
  readonly safety: CachedSafety
  /** Whether safety is checked only before proofs (big programs). */
  private readonly deferredSafety: boolean
  /** Prover counters. */
  readonly prover: ProverStats = {
    calls: 0,
    cacheHits: 0,
    ms: 0,
    unknown: 0,
    errors: 0,
    lastError: '',
    lastKernelRejection: ''
  }
  /** Wall milliseconds since start at each best improvement, with the new slot count. */
  readonly improvements: { ms: number; perf: number; slots: number }[] = []
  private readonly started = performance.now()
  private stopRequested = false
  /**
   * Whether this chain proved its best equal to the original as a whole program (or it is the
   * original); false for a best restored from a checkpoint until it is proven again.
   */
  bestProvenWhole: boolean

  /** Builds chain `index` of `job` (seed = job seed + index). */
  constructor(
    readonly job: SearchJob,
    readonly index: number,
    private readonly solver: TermSolver,
    readonly cache: ProofCache,
    private readonly events: ChainHostEvents = {},
    checkpoint?: string
  ) {
    const o = job.options
    const options = { ...o, seed: (o.seed + index) >>> 0 }
    const tests = generateTestInputs(job.model, { count: job.testCount, seed: job.testSeed })
    this.evaluator = new InterpEvaluator(job.slots, job.model, tests, o)
    this.safety = new CachedSafety(job.profile)
    const original = Candidate.fromSlots(job.slots)
    const choices = selectWindows(original, o)
    const windows =
      job.windows !== undefined && job.windows.length > 0
        ? job.windows.map((w): Window => [w[0], w[1]])
        : windowSchedule(original, choices, job.windowLimit > 0 ? job.windowLimit : Infinity)
    // Big programs check safety before each proof instead of for every passing candidate.
    this.deferredSafety = job.slots.length > DEFERRED_SAFETY_SLOTS
    const gate = this.deferredSafety ? () => true : this.safety.check
    const deps = {
      evaluator: new SafetyGatedEvaluator(this.evaluator, gate, o.unsafeError),
      latency: job.latencyTable !== undefined ? latencyModel(job.latencyTable) : BUILTIN_MODEL,
      ...(job.pinnedSlots !== undefined || job.frozenSlots !== undefined
        ? { pinned: pinnedMask(job.slots.length, job.pinnedSlots ?? [], job.frozenSlots ?? []) }
        : {})
    }
    this.bestProvenWhole = checkpoint === undefined
    if (checkpoint === undefined) {
      this.chain = new Chain(original, options, deps, windows)
      return
    }
    const restored = restoreChain(checkpoint, deps)
    if (!restored.ok) throw new CheckpointError(restored.error.message)
    this.chain = restored.value
  }

  /** Chain `index` of `job` resumed from a {@link serializeChain} checkpoint. */
  static restore(
    job: SearchJob,
    index: number,
    solver: TermSolver,
    cache: ProofCache,
    events: ChainHostEvents,
    checkpoint: string
  ): Result<ChainHost> {
    try {
      return ok(new ChainHost(job, index, solver, cache, events, checkpoint))
    } catch (e) {
      if (e instanceof CheckpointError)
        return fail({ code: 'CHECKPOINT_INVALID', message: `chain ${index}: ${e.message}` })
      throw e
    }
  }

  /** Progress figures (copies, safe to post to another thread). */
  progress(): ChainProgress {
    const ch = this.chain
    return {
      index: this.index,
      counters: structuredClone(ch.counters),
      evaluator: { ...this.evaluator.stats },
      safety: { ...this.safety.stats },
      prover: { ...this.prover },
      bestPerf: ch.bestPerf,
      bestSlots: ch.best.liveSlots(),
      tests: this.evaluator.size
    }
  }

  /** Asks the run loop to stop at the next slice boundary. */
  stop(): void {
    this.stopRequested = true
  }

  /** The best program, compacted. */
  bestSlots(): Insn[] {
    return this.chain.best.compact()
  }

  /** Proves `c` equal to the original, through the cache (big programs: after the analysis). */
  async prove(c: Candidate): Promise<ProofResult> {
    if (this.deferredSafety && !this.safety.check(c))
      return { kind: 'unknown', reason: 'the safety analysis rejects the candidate' }
    const slots = c.compact()
    const key = canonicalProofKey(slots)
    const hit = this.cache.lookup(key)
    if (hit !== undefined) {
      this.prover.cacheHits++
      return hit
    }
    this.prover.calls++
    const t0 = performance.now()
    const r = await this.decide(c, slots)
    this.prover.ms += performance.now() - t0
    if (r.kind === 'unknown' || r.kind === 'error') {
      this.prover.unknown++
      if (r.kind === 'error') {
        this.prover.errors++
        this.prover.lastError = r.reason
      }
      return { kind: 'unknown', reason: r.reason }
    }
    const out: CachedProof =
      r.kind === 'equal'
        ? { kind: 'equal' }
        : { kind: 'notEqual', counterexample: runInputToJson(r.input) }
    if (this.cache.store(key, out)) this.events.onProof?.(key, out)
    return out
  }

  /**
   * Decides `c` against the original: first only the slots where they differ (a window proof,
   * cheap when the difference is straight-line code), then the whole program, which alone can
   * make the answer `equal`. A window counterexample is used only when it also separates the
   * programs; a window `equal` that the whole-program proof refutes is reported as an error.
   */
  private async decide(c: Candidate, slots: readonly Insn[]): Promise<EquivResult> {
    const options = { timeoutMs: this.job.proofTimeoutMs }
    const orig = this.job.slots
    const fixed = c.toFixedSlots()
    const same = (a: Insn | undefined, b: Insn | undefined): boolean =>
      a !== undefined &&
      b !== undefined &&
      a.code === b.code &&
      a.dst === b.dst &&
      a.src === b.src &&
      a.off === b.off &&
      a.imm === b.imm
    if (fixed.length === orig.length) {
      let lo = 0
      while (lo < orig.length && same(orig[lo], fixed[lo])) lo++
      if (lo === orig.length) return { kind: 'equal' }
      let hi = orig.length - 1
      while (hi > lo && same(orig[hi], fixed[hi])) hi--
      if (lo > 0 && orig[lo - 1]?.code === 0x18) lo--
      if (orig[hi]?.code === 0x18) hi++
      const isNop = (x: Insn): boolean => x.code === 0x05 && x.off === 0
      const replacement = fixed.slice(lo, hi + 1).filter((x) => !isNop(x))
      // A window with control flow (jumps, calls, exits, ld_abs/ld_ind) costs about as much as
      // the whole program and cannot spare it for an `equal`: measured, proof calls cost 1.3 to
      // 2.5 times as much on 10 of the 11 benchmark programs with them, so those go whole.
      const straight = !hasControlFlow(orig.slice(lo, hi + 1)) && !hasControlFlow(replacement)
      const w = !straight
        ? undefined
        : await checkWindowEquivalence(
            orig,
            lo,
            hi,
            replacement,
            this.job.model,
            this.solver,
            options
          )
      if (w?.kind === 'notEqual' && w.scope === undefined) return w
      if (w?.kind === 'equal') {
        // Every reported improvement is proven as a whole program too; a disagreement is an
        // encoder bug and surfaces as an error, never as a result.
        const whole = await checkEquivalence(orig, slots, this.job.model, this.solver, options)
        if (whole.kind === 'notEqual')
          return {
            kind: 'error',
            reason: `window proof says equal, whole-program proof refutes it (slots ${lo}..${hi})`
          }
        return whole
      }
    }
    return await checkEquivalence(orig, slots, this.job.model, this.solver, options)
  }

  /** The kernel verifier in the loop (set by the driver when the job enables it). */
  kernelGate: KernelGate | undefined

  /** Asks the kernel about a proven new best: `equal` when accepted or not checkable. */
  private async kernelCheck(gate: KernelGate, c: Candidate): Promise<ProofResult> {
    const v = await gate.check(c.compact())
    const n = this.chain.counters
    if (v.kind === 'accepted') n.kernelAccepted++
    else if (v.kind === 'unchecked') n.kernelUnchecked++
    else {
      this.prover.lastKernelRejection = v.reason
      return { kind: 'rejected', reason: v.reason }
    }
    return { kind: 'equal' }
  }

  /** Adds a test learnt by another chain (call between slices only). */
  addSharedTest(test: JsonValue): void {
    this.chain.addTest(test)
  }

  /** Adopts a better proven program found by another chain (call between slices only). */
  adoptBest(best: Candidate, perf: number): void {
    const ch = this.chain
    if (perf >= ch.bestPerf || best.length !== ch.best.length) return
    ch.best.copyFrom(best)
    ch.bestPerf = perf
    this.bestProvenWhole = true
    ch.restartFromBest()
  }

  /**
   * Runs until `untilIteration` (Infinity = until stopped), in slices of `slice` iterations;
   * `between` runs after each slice (apply shared messages, report progress) and returns false
   * to stop.
   */
  async run(
    untilIteration: number,
    between: () => boolean | Promise<boolean>,
    slice = 2000
  ): Promise<void> {
    const ch = this.chain
    while ((ch.counters.iterations < untilIteration || ch.proofPending) && !this.stopRequested) {
      const ev = ch.run(Math.min(untilIteration, ch.counters.iterations + slice))
      if (ev.kind === 'needsProof') {
        let r = await this.prove(ev.candidate)
        if (r.kind === 'equal' && this.kernelGate !== undefined)
          r = await this.kernelCheck(this.kernelGate, ev.candidate)
        ch.resolveProof(r)
        if (r.kind === 'equal') {
          this.bestProvenWhole = true
          this.improvements.push({
            ms: performance.now() - this.started,
            perf: ch.bestPerf,
            slots: ch.best.liveSlots()
          })
          this.events.onBest?.(this)
        }
        continue
      }
      if (!(await between())) break
    }
  }
}

/** A mask of `length` slots: 1 where `pinned` (keep or remove), 2 where `frozen` (keep). */
function pinnedMask(
  length: number,
  pinned: readonly number[],
  frozen: readonly number[]
): Uint8Array {
  const mask = new Uint8Array(length)
  for (const s of pinned) if (s >= 0 && s < length) mask[s] = 1
  for (const s of frozen) if (s >= 0 && s < length) mask[s] = 2
  return mask
}
