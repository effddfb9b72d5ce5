/** @fileoverview Operand sampling for proposals: legal values per operand domain, in place. */
import { SlotKind, type Candidate } from './candidate'
import { Dom } from './proposal-table'
import type { Rng } from './rng'

const TRIES = 16

/**
 * Draws operand values from their domains (registers, pools, shift counts, byte-order widths,
 * jump targets inside the window) and writes them straight into the candidate.
 */
export class OperandSampler {
  private winStart = 0
  private winEnd: number
  private whole = true

  /** Makes a sampler for programs of `n` slots with the given pools. */
  constructor(
    private readonly n: number,
    /** Immediate pool: [-r, r] ∪ immediates of the original. */
    readonly immPool: Int32Array,
    /** Offset pool: [-r, r] ∪ memory offsets of the original. */
    readonly offPool: Int32Array,
    private readonly allowBackwardJumps: boolean
  ) {
    this.winEnd = n - 1
  }

  /** Restricts jump targets to the window [start, end] (and the slot right after it). */
  setWindow(start: number, end: number): void {
    this.winStart = start
    this.winEnd = end
    this.whole = start === 0 && end === this.n - 1
  }

  /** True when the window is the whole program. */
  get isWhole(): boolean {
    return this.whole
  }

  /** Target range of a jump at slot i: [lo, hi] packed as lo * 65536 + hi, or -1 if none. */
  jumpRange(i: number): number {
    const hi = this.whole ? this.n - 1 : Math.min(this.n - 1, this.winEnd + 1)
    const lo = this.allowBackwardJumps ? (this.whole ? 0 : this.winStart) : i + 1
    return lo > hi ? -1 : lo * 65536 + hi
  }

  /** Writes a jump offset to slot i (excluding the current one when asked); false if none is legal. */
  sampleJumpOffset(c: Candidate, i: number, exclude: boolean, rng: Rng): boolean {
    const range = this.jumpRange(i)
    if (range < 0) return false
    const lo = Math.floor(range / 65536)
    const hi = range % 65536
    const current = c.off[i]!
    for (let t = 0; t < TRIES; t++) {
      const target = lo + rng.int(hi - lo + 1)
      if (target === i || c.kind[target] === SlotKind.lddwTail) continue
      const off = target - i - 1
      if (exclude && off === current) continue
      c.off[i] = off
      return true
    }
    return false
  }

  /**
   * Writes a value for operand `field` (domain `dom`) of slot i in place: uniformly from the
   * domain, excluding the current value when `exclude` is set and it lies in the domain. False
   * when no value exists. Values are written, never returned, so nothing is boxed.
   */
  sampleOperand(
    c: Candidate,
    i: number,
    field: number,
    dom: number,
    exclude: boolean,
    rng: Rng
  ): boolean {
    switch (dom) {
      case Dom.regWrite:
      case Dom.regRead: {
        const size = dom === Dom.regWrite ? 10 : 11
        if (field === 0) c.dst[i] = sampleSmall(size, c.dst[i]!, exclude, rng)
        else c.src[i] = sampleSmall(size, c.src[i]!, exclude, rng)
        return true
      }
      case Dom.jump:
        return this.sampleJumpOffset(c, i, exclude, rng)
      case Dom.offPool:
        return this.samplePool(c, i, field, this.offPool, exclude, false, rng)
      case Dom.immPool:
        return this.samplePool(c, i, field, this.immPool, exclude, false, rng)
      case Dom.immPoolNonZero:
        return this.samplePool(c, i, field, this.immPool, exclude, true, rng)
      case Dom.shift32:
        c.imm[i] = sampleSmall(32, c.imm[i]!, exclude, rng)
        return true
      case Dom.shift64:
        c.imm[i] = sampleSmall(64, c.imm[i]!, exclude, rng)
        return true
      default: {
        const cur = c.imm[i]!
        const at = exclude ? (cur === 16 ? 0 : cur === 32 ? 1 : cur === 64 ? 2 : -1) : -1
        const k = at < 0 ? rng.int(3) : (at + 1 + rng.int(2)) % 3
        c.imm[i] = k === 0 ? 16 : k === 1 ? 32 : 64
        return true
      }
    }
  }

  /** Writes a pool value into `off` (field 2) or `imm` (field 3) of slot i. */
  private samplePool(
    c: Candidate,
    i: number,
    field: number,
    pool: Int32Array,
    exclude: boolean,
    nonZero: boolean,
    rng: Rng
  ): boolean {
    const isOff = field === 2
    const current = isOff ? c.off[i]! : c.imm[i]!
    for (let t = 0; t < TRIES; t++) {
      const k = rng.int(pool.length)
      const v = pool[k]!
      if ((exclude && v === current) || (nonZero && v === 0)) continue
      if (isOff) c.off[i] = v
      else c.imm[i] = v
      return true
    }
    return !exclude && !(nonZero && current === 0)
  }
}

/** Uniform in [0, size), excluding `current` when asked and in range. */
function sampleSmall(size: number, current: number, exclude: boolean, rng: Rng): number {
  if (!exclude || current < 0 || current >= size) return rng.int(size)
  const v = rng.int(size - 1)
  return v >= current ? v + 1 : v
}
