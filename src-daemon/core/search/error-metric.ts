/**
 * @fileoverview K2's error variants as a reusable accumulator: per-output distance (popcount of
 * XOR, or absolute difference) summed per test, combined as EQ1/EQ2, averaged or not, with a
 * monotone partial value for early termination.
 */

/** Options selecting the error variant (names follow {@link SearchConfig}). */
export interface ErrorMetricOptions {
  readonly errorMetric: 'pop' | 'abs'
  readonly errorMode: 'eq1' | 'eq2'
  readonly errorAverage: boolean
}

function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555)
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff
}

const TWO_POW_32 = 4294967296

/**
 * Accumulates the error of one candidate over a test suite. Usage per candidate:
 * `begin(nTests)`, then per test `word(...)`* and `endTest()`, checking `exceeds(bound)` after
 * each test to stop early; finally `value()`.
 *
 * - eq1: err = S / avg, S = Σ distances (K2's EQ1 without its "+ passing tests" quirk).
 * - eq2: err = [any failing] + (S + failing) / avg.
 * avg = number of tests when `errorAverage`, else 1. Both grow monotonically test by test, so
 * the partial value is a lower bound of the final one.
 */
export class ErrorAccumulator {
  private readonly pop: boolean
  private readonly eq2: boolean
  private readonly average: boolean
  private divisor = 1
  private sum = 0
  private failing = 0
  private testSum = 0

  /** Makes an accumulator for one error variant. */
  constructor(opts: ErrorMetricOptions) {
    this.pop = opts.errorMetric === 'pop'
    this.eq2 = opts.errorMode === 'eq2'
    this.average = opts.errorAverage
  }

  /** Starts a candidate over `nTests` tests. */
  begin(nTests: number): void {
    this.divisor = this.average && nTests > 0 ? nTests : 1
    this.sum = 0
    this.failing = 0
    this.testSum = 0
  }

  /** Compares one 64-bit output word (expected vs actual, as low/high unsigned halves). */
  word(expLo: number, expHi: number, actLo: number, actHi: number): void {
    if (expLo === actLo && expHi === actHi) return
    if (this.pop) {
      this.testSum += popcount32((expLo ^ actLo) >>> 0) + popcount32((expHi ^ actHi) >>> 0)
    } else {
      const a = (expHi >>> 0) * TWO_POW_32 + (expLo >>> 0)
      const b = (actHi >>> 0) * TWO_POW_32 + (actLo >>> 0)
      this.testSum += Math.abs(a - b)
    }
  }

  /** Adds a raw distance to the current test (e.g. a mismatching exit kind). */
  distance(d: number): void {
    this.testSum += d
  }

  /** Closes the current test. */
  endTest(): void {
    if (this.testSum > 0) {
      this.failing++
      this.sum += this.testSum
    }
    this.testSum = 0
  }

  /** Error so far (a lower bound of the final error). */
  value(): number {
    if (this.eq2) return (this.failing > 0 ? 1 : 0) + (this.sum + this.failing) / this.divisor
    return this.sum / this.divisor
  }

  /** True once the partial error is above `bound` (the caller may stop). */
  exceeds(bound: number): boolean {
    return this.value() > bound
  }

  /** Number of failing tests so far. */
  failingTests(): number {
    return this.failing
  }
}
