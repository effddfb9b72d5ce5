/**
 * @fileoverview Which chains run: fair sharing of a fixed number of cores between the chains of
 * every running job, weighted by priority (stride scheduling on accumulated run time). A running
 * chain keeps its core for a quantum before a waiting one may take it, so that workers are not
 * started and stopped all the time (starting one costs a Z3 load).
 */

/** A chain that wants a core. */
export interface ChainClaim {
  readonly jobId: number
  readonly chain: number
  /** Job priority, -100..100; +10 doubles the share. */
  readonly priority: number
  readonly running: boolean
  /** Milliseconds this chain has run (since the daemon started). */
  readonly runMs: number
}

/** Key of a claim. */
export const claimKey = (jobId: number, chain: number): string => `${jobId}:${chain}`

/** The claims that get a core: at most `cores`, lowest weighted run time first. */
export function chooseChains(
  claims: readonly ChainClaim[],
  cores: number,
  quantumMs: number
): Set<string> {
  const ranked = claims.map((c) => {
    const weight = Math.pow(2, c.priority / 10)
    return { c, v: (c.runMs - (c.running ? quantumMs : 0)) / weight }
  })
  ranked.sort(
    (a, b) =>
      a.v - b.v ||
      Number(b.c.running) - Number(a.c.running) ||
      a.c.jobId - b.c.jobId ||
      a.c.chain - b.c.chain
  )
  return new Set(ranked.slice(0, Math.max(0, cores)).map((r) => claimKey(r.c.jobId, r.c.chain)))
}
