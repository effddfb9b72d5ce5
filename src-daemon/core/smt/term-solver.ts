/** @fileoverview The solver-facing contract for term queries: results as values, options, sessions. */

import type { BoolTerm, TermValue } from './term'

/** Why a query was not decided. `error:…` carries the solver's message. */
export type UnknownReason = 'timeout' | 'interrupted' | 'crash' | `error:${string}`

/** Outcome of a satisfiability check; a model maps every free variable of the query to a value. */
export type CheckResult =
  | { readonly kind: 'sat'; readonly model: Map<string, TermValue> }
  | { readonly kind: 'unsat' }
  | { readonly kind: 'unknown'; readonly reason: UnknownReason }

/** The part of AbortSignal the solver uses (a DOM/Node AbortSignal fits). */
export interface AbortSignalLike {
  /** True once aborted. */
  readonly aborted: boolean
  /** Subscribes to the abort event. */
  addEventListener(type: 'abort', listener: () => void): void
  /** Unsubscribes from the abort event. */
  removeEventListener(type: 'abort', listener: () => void): void
}

/** Per-query options. */
export interface CheckOptions {
  /** Solver time limit in milliseconds (unknown/'timeout' when exceeded). */
  readonly timeoutMs?: number
  /** Aborting stops the solver; the result is unknown/'interrupted'. */
  readonly signal?: AbortSignalLike
}

/** Incremental queries against a fixed base (e.g. the reference program's encoding). */
export interface TermSession {
  /** Adds assertions to the base (kept for every later check). */
  assertBase(assertions: readonly BoolTerm[]): Promise<void>
  /** Checks base ∧ `assertions` (push, assert, check, pop). */
  check(assertions: readonly BoolTerm[], options?: CheckOptions): Promise<CheckResult>
  /** Releases the session's solver state. */
  dispose(): Promise<void>
}

/** Anything that decides conjunctions of boolean terms. */
export interface TermSolver {
  /** Checks the conjunction of `assertions`. */
  check(assertions: readonly BoolTerm[], options?: CheckOptions): Promise<CheckResult>
  /** Opens an incremental session. */
  openSession(): TermSession
}
