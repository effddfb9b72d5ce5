/** @fileoverview One solver check: time limit, interruption, busy section, result and model as values. */

import type { Solver } from 'z3-solver'
import type { TermValue } from '../../core/smt/term'
import type { CheckOptions, CheckResult, UnknownReason } from '../../core/smt/term-solver'
import { withBusySection } from './finalization-guard'
import type { Lowerer, Z3Context, Z3Expr } from './lower'

/** Extra wall-clock time after the solver's own limit before the adapter interrupts it. */
const WATCHDOG_GRACE_MS = 250

/**
 * An interrupt that reaches Z3 before the check has registered itself as interruptible is lost,
 * so once stopping is requested the adapter repeats the interrupt at this period until the check returns.
 */
const INTERRUPT_REPEAT_MS = 40

/** Z3's 32-bit millisecond limit; "no limit" is expressed as this. */
const MAX_TIMEOUT_MS = 0xffffffff

/** Tracks whether a check is running so interruption never touches an idle context. */
export interface CheckGate {
  /** True while `solver.check()` runs. */
  inFlight: boolean
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/** Reads values of all variables met by `lowerer` from the solver's model (with completion). */
function readModel(
  ctx: Z3Context,
  solver: Solver<'summit'>,
  lowerer: Lowerer
): Map<string, TermValue> {
  const model = solver.model()
  const out = new Map<string, TermValue>()
  for (const [name, v] of lowerer.allVars()) {
    const value = model.eval(lowerer.get(v.id) as Z3Expr as never, true) as Z3Expr
    if (v.sort === 'bool') out.set(name, ctx.isTrue(value))
    else if (ctx.isBitVecVal(value)) out.set(name, value.value())
    else throw new Error(`model value of ${name} is not a bit-vector literal`)
  }
  return out
}

/**
 * Runs `solver.check()` with the query's time limit and abort signal. Must be called with the
 * instance's mutex held (nothing else may touch the context until it returns).
 */
export async function runCheck(
  ctx: Z3Context,
  solver: Solver<'summit'>,
  lowerer: Lowerer,
  gate: CheckGate,
  options: CheckOptions
): Promise<CheckResult> {
  const { signal, timeoutMs } = options
  if (signal?.aborted === true) return { kind: 'unknown', reason: 'interrupted' }
  const limit = timeoutMs === undefined ? MAX_TIMEOUT_MS : Math.max(1, Math.floor(timeoutMs))
  solver.set('timeout', limit)
  let cause: 'abort' | 'watchdog' | undefined
  let repeater: ReturnType<typeof setInterval> | undefined
  const stop = (why: 'abort' | 'watchdog'): void => {
    cause ??= why
    if (gate.inFlight) ctx.interrupt()
    repeater ??= setInterval(() => {
      if (gate.inFlight) ctx.interrupt()
    }, INTERRUPT_REPEAT_MS)
  }
  const onAbort = (): void => stop('abort')
  signal?.addEventListener('abort', onAbort)
  const watchdog =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => stop('watchdog'), limit + WATCHDOG_GRACE_MS)
  try {
    const answer = await withBusySection(async () => {
      gate.inFlight = true
      try {
        return await solver.check()
      } finally {
        gate.inFlight = false
      }
    })
    if (answer === 'unsat') return { kind: 'unsat' }
    if (answer === 'sat') return { kind: 'sat', model: readModel(ctx, solver, lowerer) }
    return { kind: 'unknown', reason: unknownReason(solver.reasonUnknown(), cause) }
  } catch (e) {
    return { kind: 'unknown', reason: cause === 'abort' ? 'interrupted' : `error:${errorText(e)}` }
  } finally {
    if (watchdog !== undefined) clearTimeout(watchdog)
    if (repeater !== undefined) clearInterval(repeater)
    signal?.removeEventListener('abort', onAbort)
  }
}

function unknownReason(z3Reason: string, cause: 'abort' | 'watchdog' | undefined): UnknownReason {
  if (cause === 'abort') return 'interrupted'
  if (cause === 'watchdog' || z3Reason.includes('timeout')) return 'timeout'
  if (z3Reason.includes('cancel')) return 'interrupted'
  return `error:${z3Reason}`
}
