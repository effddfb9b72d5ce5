/** @fileoverview One Z3 instance (WASM module + one long-lived Context) answering term queries one at a time. */

import { init, killThreads } from 'z3-solver'
import type { Solver } from 'z3-solver'
import type { BoolTerm } from '../../core/smt/term'
import * as T from '../../core/smt/terms'
import type { CheckOptions, CheckResult, TermSolver } from '../../core/smt/term-solver'
import type { FinalizationGuardMode } from './finalization-guard'
import { withDeferringRegistry } from './finalization-guard'
import { Lowerer } from './lower'
import type { Z3Context } from './lower'
import { AsyncMutex } from './mutex'
import type { CheckGate } from './z3-query'
import { runCheck } from './z3-query'
import { Z3Session } from './z3-session'

/** Options of a Z3 instance. */
export interface Z3InstanceOptions {
  /** Finalizer handling (default 'defer', the fix; others only to demonstrate the bug). */
  readonly finalizationGuard?: FinalizationGuardMode
  /** Logic passed to the solver (default 'QF_BV'). */
  readonly logic?: string
}

type Z3Api = Awaited<ReturnType<typeof init>>

/** The part of Emscripten's pthread bookkeeping `threadsIdle` reads. */
interface EmscriptenThreads {
  readonly PThread?: { readonly runningWorkers?: readonly unknown[] }
}

/**
 * Waits (at most `limitMs`) until every Z3 pthread has finished and reported back. A thread that
 * ends posts a cleanup message to this thread; terminating it before that message is handled
 * makes Emscripten print `received "cleanupThread" command from terminated worker`.
 */
async function threadsIdle(em: EmscriptenThreads, limitMs: number): Promise<void> {
  const until = performance.now() + limitMs
  while ((em.PThread?.runningWorkers?.length ?? 0) > 0 && performance.now() < until)
    await new Promise<void>((r) => setTimeout(r, 5))
}

/**
 * A Z3 WASM instance with one Context. Every use of the context is serialised through a mutex;
 * checks run inside the finalization guard's busy section.
 */
export class Z3Instance implements TermSolver {
  /** Serialises all work on the context. */
  readonly mutex = new AsyncMutex()
  /** Whether a check is running (interrupts are only sent then). */
  readonly gate: CheckGate = { inFlight: false }
  private disposed = false
  private solver: Solver<'summit'> | undefined

  private constructor(
    private readonly api: Z3Api,
    /** The one context of this instance. */
    readonly ctx: Z3Context,
    /** Logic of every solver made here. */
    readonly logic: string,
    /** Milliseconds `init()` plus context creation took. */
    readonly initMs: number,
    /** False for a {@link sibling}: its threads belong to the instance it came from. */
    private readonly ownsThreads = true
  ) {}

  /** Loads Z3 (with the finalization guard unless disabled) and makes the context. */
  static async create(options: Z3InstanceOptions = {}): Promise<Z3Instance> {
    const start = performance.now()
    const api = await withDeferringRegistry(options.finalizationGuard ?? 'defer', () => init())
    const ctx = new api.Context('summit')
    return new Z3Instance(api, ctx, options.logic ?? 'QF_BV', performance.now() - start)
  }

  /**
   * A new instance with a fresh context on the same loaded Z3: it shares this instance's
   * threads (so a warmed-up instance's siblings start warm) but none of its terms, so a search
   * on it takes the same path as on a new instance. Its dispose leaves the threads running.
   */
  sibling(): Z3Instance {
    this.assertLive()
    return new Z3Instance(this.api, new this.api.Context('summit'), this.logic, 0, false)
  }

  /** A new solver on this context (callers hold the mutex). */
  makeSolver(): Solver<'summit'> {
    return this.logic === '' ? new this.ctx.Solver() : new this.ctx.Solver(this.logic)
  }

  /** Checks the conjunction of `assertions` on a reset solver. */
  check(assertions: readonly BoolTerm[], options: CheckOptions = {}): Promise<CheckResult> {
    return this.mutex.run(async () => {
      this.assertLive()
      this.solver ??= this.makeSolver()
      const solver = this.solver
      solver.reset()
      const lowerer = new Lowerer(this.ctx)
      try {
        for (const a of assertions) solver.add(lowerer.lowerBool(a))
        return await runCheck(this.ctx, solver, lowerer, this.gate, options)
      } finally {
        solver.reset()
      }
    })
  }

  /**
   * Runs one small bit-vector check, so that the first real proof does not pay Z3's first-use
   * cost: the first check starts the solver's thread (0.7-0.9 s here, against 10-20 ms for the
   * same check again). Pooled search workers run it before they take jobs.
   */
  async warmUp(): Promise<void> {
    const x = T.bvVar('warm_up_x', 64)
    await this.check([T.eq(T.mul(x, T.bv(3n, 64)), T.bv(7n, 64))], { timeoutMs: 10_000 })
  }

  /** Opens an incremental session with its own solver on this context. */
  openSession(): Z3Session {
    this.assertLive()
    return new Z3Session(this)
  }

  /** Interrupts the check in flight, if any (a no-op when idle). */
  interrupt(): void {
    if (this.gate.inFlight) this.ctx.interrupt()
  }

  /** Stops Z3's threads; the instance is unusable afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return
    this.interrupt()
    await this.mutex.run(async () => {
      this.disposed = true
      this.solver = undefined
      if (!this.ownsThreads) return
      await threadsIdle(this.api.em as EmscriptenThreads, 1000)
      await killThreads(this.api.em)
    })
  }

  /** Throws if the instance was disposed (a bug in the caller). */
  assertLive(): void {
    if (this.disposed) throw new Error('Z3 instance used after dispose')
  }
}
