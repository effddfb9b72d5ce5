/** @fileoverview A session on a Z3 pool: pinned to one worker, base resent when that worker is replaced. */

import type { BoolTerm } from '../../core/smt/term'
import { serializeDag } from '../../core/smt/term-dag'
import type { CheckOptions, CheckResult, TermSession } from '../../core/smt/term-solver'
import { topoOrder } from '../../core/smt/term-walk'
import type { Z3Request } from './z3-protocol'
import type { Z3Pool } from './z3-pool'
import { limit } from './z3-pool'

/** Incremental queries on one pool worker (base kept on the worker, candidates under push/pop). */
export class Z3PoolSession implements TermSession {
  private readonly base: BoolTerm[] = []
  /** Worker generation holding our base (0: none). */
  private sentGeneration = 0
  /** How many base assertions that worker holds. */
  private sentCount = 0
  /** Ids of base nodes that worker holds. */
  private sentIds = new Set<number>()
  private closed = false

  constructor(
    private readonly pool: Z3Pool,
    private readonly slotIndex: number,
    private readonly sid: number
  ) {}

  /** Adds base assertions; they travel with the next check. */
  async assertBase(assertions: readonly BoolTerm[]): Promise<void> {
    this.base.push(...assertions)
  }

  /** Checks base ∧ `assertions` on this session's worker. */
  check(assertions: readonly BoolTerm[], options: CheckOptions = {}): Promise<CheckResult> {
    if (this.closed) return Promise.resolve({ kind: 'unknown', reason: 'error:session closed' })
    return this.pool.submit(this.slotIndex, {
      build: (reqId, generation) => this.request(reqId, generation, assertions, options),
      options
    })
  }

  /** Forgets the session on its worker. */
  async dispose(): Promise<void> {
    this.closed = true
    this.pool.notify(this.slotIndex, this.sentGeneration, { type: 'closeSession', sid: this.sid })
  }

  private request(
    reqId: number,
    generation: number,
    assertions: readonly BoolTerm[],
    options: CheckOptions
  ): Z3Request {
    const resetBase = generation !== this.sentGeneration
    if (resetBase) {
      this.sentGeneration = generation
      this.sentCount = 0
      this.sentIds = new Set()
    }
    let baseDag
    if (this.sentCount < this.base.length) {
      const fresh = this.base.slice(this.sentCount)
      baseDag = serializeDag(fresh, (id) => this.sentIds.has(id))
      for (const t of topoOrder(fresh, (id) => this.sentIds.has(id))) this.sentIds.add(t.id)
      this.sentCount = this.base.length
    }
    const dag = serializeDag(assertions, (id) => this.sentIds.has(id))
    return {
      type: 'sessionCheck',
      reqId,
      sid: this.sid,
      resetBase,
      dag,
      ...(baseDag === undefined ? {} : { baseDag }),
      ...limit(options)
    }
  }
}
