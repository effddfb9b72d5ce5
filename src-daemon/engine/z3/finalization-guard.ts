/**
 * @fileoverview Works around z3-solver's heap corruption (Z3Prover/z3 #7723, #7427): the high-level
 * API frees Z3 objects from FinalizationRegistry callbacks on the JS thread while `solver.check()`
 * runs on an Emscripten pthread against the same context. This module replaces the global
 * FinalizationRegistry, before z3's `init()` creates its registry, with one whose callbacks are
 * deferred while any check is in flight and flushed when the last check ends.
 */

type Cleanup = (held: unknown) => void

let busyCount = 0
const deferred: Array<{ cleanup: Cleanup; held: unknown }> = []
let stats = { deferred: 0, flushed: 0, immediate: 0, duringCheck: 0 }

/**
 * How z3's finalizers are handled: 'defer' (the fix), 'observe' (run at once but count those that
 * run while a check is in flight: the unsafe ones), 'off' (z3's own registry, untouched).
 */
export type FinalizationGuardMode = 'defer' | 'observe' | 'off'

/** True while at least one check on this thread is in flight. */
export function isBusy(): boolean {
  return busyCount > 0
}

function runCleanup(cleanup: Cleanup, held: unknown): void {
  try {
    cleanup(held)
  } catch {
    // A failing free must not stop the others; z3's callbacks do not throw in practice.
  }
}

/** Runs every deferred finalizer (only when no check is in flight). */
export function flushDeferredFrees(): void {
  if (busyCount > 0) return
  while (deferred.length > 0) {
    const item = deferred.pop() as { cleanup: Cleanup; held: unknown }
    stats.flushed++
    runCleanup(item.cleanup, item.held)
  }
}

/** Runs `fn` (which starts and awaits a check) inside the busy section; flushes frees after. */
export async function withBusySection<T>(fn: () => Promise<T>): Promise<T> {
  busyCount++
  try {
    return await fn()
  } finally {
    busyCount--
    flushDeferredFrees()
  }
}

/** Finalizer counters: deferred, flushed later, run at once, and run during a check ('observe'). */
export function finalizationStats(): {
  deferred: number
  flushed: number
  immediate: number
  duringCheck: number
} {
  return { ...stats }
}

/** Resets the counters of {@link finalizationStats}. */
export function resetFinalizationStats(): void {
  stats = { deferred: 0, flushed: 0, immediate: 0, duringCheck: 0 }
}

/** A FinalizationRegistry that defers (or, observing, counts) callbacks during a check. */
function makeDeferringRegistryClass(
  Original: FinalizationRegistryConstructor,
  defer: boolean
): FinalizationRegistryConstructor {
  class DeferringFinalizationRegistry<T> extends Original<T> {
    constructor(cleanup: (held: T) => void) {
      super((held: T) => {
        if (busyCount > 0 && !defer) stats.duringCheck++
        if (busyCount > 0 && defer) {
          stats.deferred++
          deferred.push({ cleanup: cleanup as Cleanup, held })
        } else {
          stats.immediate++
          runCleanup(cleanup as Cleanup, held)
        }
      })
    }
  }
  return DeferringFinalizationRegistry as FinalizationRegistryConstructor
}

/**
 * Runs `body` (which must call z3's `init()`) with the global FinalizationRegistry replaced by
 * the guarded one, then restores the original so only z3's registry is affected. Mode 'off'
 * (stress-test demonstration only) replaces nothing.
 */
export async function withDeferringRegistry<T>(
  mode: FinalizationGuardMode,
  body: () => Promise<T>
): Promise<T> {
  if (mode === 'off') return body()
  const original = globalThis.FinalizationRegistry
  globalThis.FinalizationRegistry = makeDeferringRegistryClass(original, mode === 'defer')
  try {
    return await body()
  } finally {
    globalThis.FinalizationRegistry = original
  }
}
