/**
 * @fileoverview Statistics of latency comparisons: medians and a distribution-free confidence
 * interval for the median of paired differences (the sign-test interval).
 *
 * Why this interval: timings of BPF_PROG_TEST_RUN are whole nanoseconds with a skewed noise
 * (occasional jumps of +75% when the machine is busy), and a comparison has tens of rounds, not
 * thousands. The sign-test interval assumes only that rounds are independent: no symmetry (which
 * the Wilcoxon/Hodges-Lehmann interval needs) and no smoothness (a bootstrap of a median on a few
 * tens of whole numbers is unreliable), and outliers move it no more than any other point.
 */

/** Median of `xs` (mean of the two middle values for an even count); NaN when empty. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** P(X ≤ k) for X ~ Binomial(n, 1/2). */
function binomialHalfCdf(n: number, k: number): number {
  let term = Math.pow(0.5, n) // P(X = 0)
  let sum = 0
  for (let i = 0; i <= k; i++) {
    sum += term
    term = (term * (n - i)) / (i + 1)
  }
  return sum
}

/** A confidence interval with its nominal level (the actual coverage is at least this). */
export interface Interval {
  readonly low: number
  readonly high: number
  /** The interval's guaranteed coverage (≥ the level asked for). */
  readonly coverage: number
}

/**
 * The sign-test confidence interval for the median of `diffs` at `level` (e.g. 0.95): the k-th
 * smallest and k-th largest difference, with k the largest rank whose two-sided binomial tail stays
 * within 1 − level. Undefined when there are too few values for that level (fewer than 6 at 95%).
 */
export function signTestInterval(diffs: readonly number[], level = 0.95): Interval | undefined {
  const n = diffs.length
  const alpha = 1 - level
  let k = 0
  while (k + 1 <= n / 2 && binomialHalfCdf(n, k) <= alpha / 2) k++
  // k is now the number of values cut from each end (P(X ≤ k-1) ≤ alpha/2).
  if (k === 0) return undefined
  const s = [...diffs].sort((a, b) => a - b)
  return { low: s[k - 1]!, high: s[n - k]!, coverage: 1 - 2 * binomialHalfCdf(n, k - 1) }
}
