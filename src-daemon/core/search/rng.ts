/** @fileoverview Seeded, serialisable pseudo-random generator (xoshiro128**) for reproducible searches. */

/** The four 32-bit words of generator state, as stored in checkpoints. */
export type RngState = readonly [number, number, number, number]

/** splitmix32 step used only to expand a seed into a non-zero state. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0
  let z = x
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

const TWO_POW_32 = 4294967296

/**
 * xoshiro128** generator over a Uint32Array state: fast, allocation-free after construction,
 * and exactly restorable from {@link Rng.getState}.
 */
export class Rng {
  private readonly s = new Uint32Array(4)

  /** Seeds the generator; the same seed always gives the same sequence. */
  constructor(seed = 1) {
    this.seed(seed)
  }

  /** Re-seeds from a 32-bit integer seed. */
  seed(seed: number): void {
    let x = seed >>> 0
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0
      this.s[i] = splitmix32(x)
    }
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1
  }

  /** Next uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const s = this.s
    const s0 = s[0]!
    const s1 = s[1]!
    const s2 = s[2]!
    const s3 = s[3]!
    const m = Math.imul(s1, 5)
    const r = Math.imul((m << 7) | (m >>> 25), 9) >>> 0
    const t = s1 << 9
    const n2 = s2 ^ s0
    const n3 = s3 ^ s1
    s[1] = s1 ^ n2
    s[0] = s0 ^ n3
    s[2] = n2 ^ t
    s[3] = (n3 << 11) | (n3 >>> 21)
    return r
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  nextFloat(): number {
    return this.nextU32() / TWO_POW_32
  }

  /** Uniform integer in [0, n) for 1 ≤ n ≤ 2^32 (multiply-shift; bias ≤ n / 2^32). */
  int(n: number): number {
    return Math.floor((this.nextU32() * n) / TWO_POW_32)
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1)
  }

  /** Copy of the state for checkpoints. */
  getState(): RngState {
    return [this.s[0]!, this.s[1]!, this.s[2]!, this.s[3]!]
  }

  /** Restores a state from {@link getState}. */
  setState(state: RngState): void {
    for (let i = 0; i < 4; i++) this.s[i] = state[i]! >>> 0
  }
}
