/** @fileoverview Incremental queries on one Z3 instance: a base asserted once, candidates under push/pop. */

import type { Solver } from 'z3-solver'
import type { BoolTerm } from '../../core/smt/term'
import type { CheckOptions, CheckResult, TermSession } from '../../core/smt/term-solver'
import { Lowerer } from './lower'
import { runCheck } from './z3-query'
import type { Z3Instance } from './z3-instance'

/** A solver holding a base; each check pushes, asserts the candidate, checks and pops. */
export class Z3Session implements TermSession {
  private solver: Solver<'summit'> | undefined
  private readonly base: Lowerer
  private disposed = false

  constructor(private readonly z3: Z3Instance) {
    this.base = new Lowerer(z3.ctx)
  }

  /** Adds assertions to the base (lowered once; their nodes stay cached for later checks). */
  assertBase(assertions: readonly BoolTerm[]): Promise<void> {
    return this.z3.mutex.run(async () => {
      const solver = this.live()
      for (const a of assertions) solver.add(this.base.lowerBool(a))
    })
  }

  /** Checks base ∧ `assertions`; the candidate's lowered nodes are dropped afterwards. */
  check(assertions: readonly BoolTerm[], options: CheckOptions = {}): Promise<CheckResult> {
    return this.z3.mutex.run(async () => {
      const solver = this.live()
      const lowerer = new Lowerer(this.z3.ctx, this.base)
      solver.push()
      try {
        for (const a of assertions) solver.add(lowerer.lowerBool(a))
        return await runCheck(this.z3.ctx, solver, lowerer, this.z3.gate, options)
      } finally {
        solver.pop()
      }
    })
  }

  /** Drops the solver (Z3 frees it through the finalization guard). */
  dispose(): Promise<void> {
    return this.z3.mutex.run(async () => {
      this.disposed = true
      this.solver = undefined
    })
  }

  private live(): Solver<'summit'> {
    this.z3.assertLive()
    if (this.disposed) throw new Error('Z3 session used after dispose')
    this.solver ??= this.z3.makeSolver()
    return this.solver
  }
}
