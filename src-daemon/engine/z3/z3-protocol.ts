/** @fileoverview Messages between the Z3 pool (main thread) and its worker threads. */

import type { TermDag } from '../../core/smt/term-dag'
import type { CheckResult } from '../../core/smt/term-solver'
import type { FinalizationGuardMode } from './finalization-guard'

/** Data a Z3 worker starts with. */
export interface Z3WorkerData {
  /** Finalizer handling ('defer' except to demonstrate the heap-corruption bug). */
  readonly finalizationGuard: FinalizationGuardMode
  /** Solver logic. */
  readonly logic: string
  /** Module URL of the worker entry (used by the TypeScript bootstrap in development). */
  readonly entry?: string
}

/** A request from the pool to a worker. */
export type Z3Request =
  | {
      readonly type: 'check'
      readonly reqId: number
      readonly dag: TermDag
      readonly timeoutMs?: number
    }
  | {
      readonly type: 'sessionCheck'
      readonly reqId: number
      readonly sid: number
      /** Base assertions the worker does not hold yet; `resetBase` first drops the old base. */
      readonly baseDag?: TermDag
      readonly resetBase: boolean
      readonly dag: TermDag
      readonly timeoutMs?: number
    }
  | { readonly type: 'closeSession'; readonly sid: number }
  | { readonly type: 'interrupt'; readonly reqId: number }

/** A message from a worker to the pool. */
export type Z3Reply =
  | { readonly type: 'ready'; readonly initMs: number }
  | {
      readonly type: 'result'
      readonly reqId: number
      readonly result: CheckResult
      readonly ms: number
    }
