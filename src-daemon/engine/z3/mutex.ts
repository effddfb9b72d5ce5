/** @fileoverview A FIFO async mutex: serialises every use of one Z3 context. */

/** Async mutual exclusion; waiters run in arrival order. */
export class AsyncMutex {
  private tail: Promise<void> = Promise.resolve()

  /** Runs `fn` once every earlier holder has finished. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn)
    this.tail = result.then(
      () => undefined,
      () => undefined
    )
    return result
  }
}
