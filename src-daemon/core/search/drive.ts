/** @fileoverview Drivers that run a chain to an iteration count, answering its proof requests. */
import type { Chain } from './chain'
import type { Prover, SyncProver } from './chain-types'

/** Runs `chain` until `untilIteration`, proving synchronously (tests, in-worker solvers). */
export function driveSync(chain: Chain, prove: SyncProver, untilIteration: number): void {
  for (;;) {
    const ev = chain.run(untilIteration)
    if (ev.kind === 'done') return
    chain.resolveProof(prove(ev.candidate))
  }
}

/**
 * Runs `chain` until `untilIteration` with an asynchronous prover. Runs in slices of
 * `sliceIterations` and calls `onSlice` between them (progress, checkpoints, cancellation:
 * return false to stop early). Results do not depend on slice size or prover timing.
 */
export async function drive(
  chain: Chain,
  prover: Prover,
  untilIteration: number,
  sliceIterations = 10_000,
  onSlice: (chain: Chain) => boolean | Promise<boolean> = () => true
): Promise<void> {
  while (chain.counters.iterations < untilIteration || chain.proofPending) {
    const target = Math.min(untilIteration, chain.counters.iterations + sliceIterations)
    const ev = chain.run(target)
    if (ev.kind === 'needsProof') {
      chain.resolveProof(await prover.check(ev.candidate))
      continue
    }
    if (!(await onSlice(chain))) return
  }
}
