/** @fileoverview Random term generator for tests: builds a term and, independently, a bigint reference evaluator. */

import type { BoolTerm, BvTerm } from '../../src-daemon/core/smt/terms'
import * as T from '../../src-daemon/core/smt/terms'

/** A tiny seeded PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let r = Math.imul(s ^ (s >>> 15), 1 | s)
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296
  }
}

/** Variable assignment used by the reference evaluators. */
export type RefEnv = Map<string, bigint | boolean>

/** A generated bit-vector term with its reference meaning. */
export interface GenBv {
  term: BvTerm
  ref: (env: RefEnv) => bigint
}

/** A generated boolean term with its reference meaning. */
export interface GenBool {
  term: BoolTerm
  ref: (env: RefEnv) => boolean
}

/** Widths used by the generator. */
export const WIDTHS = [1, 3, 8, 16, 32, 64] as const

const u = (v: bigint, w: number): bigint => BigInt.asUintN(w, v)
const s = (v: bigint, w: number): bigint => BigInt.asIntN(w, v)
const ones = (w: number): bigint => (1n << BigInt(w)) - 1n

/** Random generator of terms over variables `v<w>_<k>` and `b_<k>`. */
export class TermGen {
  constructor(
    readonly rnd: () => number,
    /** Generate udiv/urem/sdiv/srem (expensive for Z3 at 64 bits). */
    readonly division = true
  ) {}

  int(n: number): number {
    return Math.floor(this.rnd() * n)
  }

  pick<X>(xs: readonly X[]): X {
    return xs[this.int(xs.length)] as X
  }

  /** A constant biased toward edge values. */
  constValue(w: number): bigint {
    const r = this.int(8)
    if (r === 0) return 0n
    if (r === 1) return 1n
    if (r === 2) return ones(w)
    if (r === 3) return 1n << BigInt(w - 1)
    if (r === 4) return u(BigInt(this.int(w + 2)), w)
    let v = 0n
    for (let i = 0; i < w; i += 16) v = (v << 16n) | BigInt(this.int(65536))
    return u(v, w)
  }

  /** A random environment for all generator variables. */
  env(): RefEnv {
    const env: RefEnv = new Map()
    for (const w of WIDTHS) for (const k of [0, 1]) env.set(`v${w}_${k}`, this.constValue(w))
    for (const k of [0, 1]) env.set(`b_${k}`, this.int(2) === 1)
    return env
  }

  bool(depth: number): GenBool {
    const r = depth <= 0 ? this.int(2) : this.int(12)
    if (r === 0) {
      const name = `b_${this.int(2)}`
      return { term: T.boolVar(name), ref: (e) => e.get(name) as boolean }
    }
    if (r === 1) {
      const b = this.int(2) === 1
      return { term: T.boolConst(b), ref: () => b }
    }
    if (r <= 6) {
      const w = this.pick(WIDTHS)
      const a = this.bv(w, depth - 1)
      const b = this.int(3) === 0 ? a : this.bv(w, depth - 1)
      const ops = [
        [T.eq, (x: bigint, y: bigint) => x === y],
        [T.ult, (x: bigint, y: bigint) => x < y],
        [T.ule, (x: bigint, y: bigint) => x <= y],
        [T.slt, (x: bigint, y: bigint) => s(x, w) < s(y, w)],
        [T.sle, (x: bigint, y: bigint) => s(x, w) <= s(y, w)]
      ] as const
      const [mk, f] = this.pick(ops)
      return { term: mk(a.term, b.term), ref: (e) => f(a.ref(e), b.ref(e)) }
    }
    const a = this.bool(depth - 1)
    const b = this.int(4) === 0 ? a : this.bool(depth - 1)
    switch (r) {
      case 7:
        return { term: T.not(a.term), ref: (e) => !a.ref(e) }
      case 8:
        return { term: T.and(a.term, b.term), ref: (e) => a.ref(e) && b.ref(e) }
      case 9:
        return { term: T.or(a.term, b.term), ref: (e) => a.ref(e) || b.ref(e) }
      case 10:
        return { term: T.implies(a.term, b.term), ref: (e) => !a.ref(e) || b.ref(e) }
      default: {
        const c = this.bool(depth - 1)
        return { term: T.ite(c.term, a.term, b.term), ref: (e) => (c.ref(e) ? a.ref(e) : b.ref(e)) }
      }
    }
  }

  bv(w: number, depth: number): GenBv {
    let r = depth <= 0 ? this.int(2) : this.int(24)
    if (!this.division && r >= 5 && r <= 8) r = 2
    if (r === 0) {
      const name = `v${w}_${this.int(2)}`
      return { term: T.bvVar(name, w), ref: (e) => e.get(name) as bigint }
    }
    if (r === 1) {
      const c = this.constValue(w)
      return { term: T.bv(c, w), ref: () => c }
    }
    if (r >= 18) return this.bitfield(w, depth, r)
    const a = this.bv(w, depth - 1)
    const b = this.int(5) === 0 ? a : this.int(3) === 0 ? this.leaf(w) : this.bv(w, depth - 1)
    const W = BigInt(w)
    const bin = (
      mk: (x: BvTerm, y: BvTerm) => BvTerm,
      f: (x: bigint, y: bigint) => bigint
    ): GenBv => ({
      term: mk(a.term, b.term),
      ref: (e) => u(f(a.ref(e), b.ref(e)), w)
    })
    switch (r) {
      case 2:
        return bin(T.add, (x, y) => x + y)
      case 3:
        return bin(T.sub, (x, y) => x - y)
      case 4:
        return bin(T.mul, (x, y) => x * y)
      case 5:
        return bin(T.udiv, (x, y) => (y === 0n ? ones(w) : x / y))
      case 6:
        return bin(T.urem, (x, y) => (y === 0n ? x : x % y))
      case 7:
        return bin(T.sdiv, (x, y) => (y === 0n ? (s(x, w) < 0n ? 1n : -1n) : s(x, w) / s(y, w)))
      case 8:
        return bin(T.srem, (x, y) => (y === 0n ? x : s(x, w) % s(y, w)))
      case 9:
        return bin(T.bvAnd, (x, y) => x & y)
      case 10:
        return bin(T.bvOr, (x, y) => x | y)
      case 11:
        return bin(T.bvXor, (x, y) => x ^ y)
      case 12:
        return { term: T.bvNot(a.term), ref: (e) => u(~a.ref(e), w) }
      case 13:
        return { term: T.neg(a.term), ref: (e) => u(-a.ref(e), w) }
      case 14:
        return bin(T.shl, (x, y) => (y >= W ? 0n : x << y))
      case 15:
        return bin(T.lshr, (x, y) => (y >= W ? 0n : x >> y))
      case 16:
        return bin(T.ashr, (x, y) => s(x, w) >> (y >= W ? W - 1n : y))
      default: {
        const c = this.bool(depth - 1)
        return { term: T.ite(c.term, a.term, b.term), ref: (e) => (c.ref(e) ? a.ref(e) : b.ref(e)) }
      }
    }
  }

  /** A term of any width: generated directly for generator widths, else extracted from 64 bits. */
  sized(w: number, depth: number): GenBv {
    if ((WIDTHS as readonly number[]).includes(w)) return this.bv(w, depth)
    const a = this.bv(64, depth)
    const lo = this.int(64 - w + 1)
    return {
      term: T.extract(a.term, lo + w - 1, lo),
      ref: (e) => (a.ref(e) >> BigInt(lo)) & ones(w)
    }
  }

  leaf(w: number): GenBv {
    return this.bv(w, 0)
  }

  bitfield(w: number, depth: number, r: number): GenBv {
    const wider = WIDTHS.filter((x) => x > w)
    const narrower = WIDTHS.filter((x) => x < w)
    if (r === 18 && narrower.length > 0) {
      const hw = this.pick(narrower)
      const hi = this.bv(hw, depth - 1)
      const lo = this.sized(w - hw, depth - 1)
      return {
        term: T.concat(hi.term, lo.term),
        ref: (e) => (hi.ref(e) << BigInt(w - hw)) | lo.ref(e)
      }
    }
    if ((r === 19 || r === 20) && narrower.length > 0) {
      const nw = this.pick(narrower)
      const a = this.bv(nw, depth - 1)
      if (r === 19) return { term: T.zeroExt(a.term, w - nw), ref: (e) => a.ref(e) }
      return { term: T.signExt(a.term, w - nw), ref: (e) => u(s(a.ref(e), nw), w) }
    }
    if (wider.length > 0 || r >= 21) {
      const aw = wider.length > 0 ? this.pick(wider) : w
      const a = this.bv(aw, depth - 1)
      const lo = this.int(aw - w + 1)
      return {
        term: T.extract(a.term, lo + w - 1, lo),
        ref: (e) => (a.ref(e) >> BigInt(lo)) & ones(w)
      }
    }
    return this.leaf(w)
  }
}
