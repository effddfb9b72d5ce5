/** @fileoverview Building abstract register values and keeping their bounds consistent. */
import { M64, T_UNKNOWN, tIntersect, tRange, type Tnum } from './tnum'
import { T, type Reg } from './types'

const S_MIN = -(1n << 63n)
const S_MAX = (1n << 63n) - 1n

/** Default (zero variable part) fields of a register. */
const BASE: Reg = {
  type: T.NOT_INIT,
  off: 0,
  umin: 0n,
  umax: 0n,
  smin: 0n,
  smax: 0n,
  tv: 0n,
  tm: 0n,
  id: 0,
  range: 0,
  map: 0,
  frame: 0,
  ref: 0
}

/** An uninitialised register. */
export const NOT_INIT: Reg = Object.freeze({ ...BASE })

/** A scalar about which nothing is known. */
export const UNKNOWN: Reg = Object.freeze({
  ...BASE,
  type: T.SCALAR,
  umax: M64,
  smin: S_MIN,
  smax: S_MAX,
  tm: M64
})

/** A known 64-bit constant (`v` taken modulo 2^64). */
export function constReg(v: bigint): Reg {
  const u = BigInt.asUintN(64, v)
  const s = BigInt.asIntN(64, v)
  return { ...BASE, type: T.SCALAR, umin: u, umax: u, smin: s, smax: s, tv: u }
}

/** A pointer of `type` with a zero variable part. */
export function ptrReg(type: T, fields: Partial<Reg> = {}): Reg {
  return { ...BASE, ...fields, type }
}

/** A scalar in the unsigned range [lo, hi]. */
export function rangeReg(lo: bigint, hi: bigint): Reg {
  return sync({ ...UNKNOWN, umin: lo, umax: hi })
}

/** Whether the variable part (or scalar value) is one known value. */
export function isConst(r: Reg): boolean {
  return r.tm === 0n
}

/** Whether `r` is a scalar equal to `v`. */
export function isConstValue(r: Reg, v: bigint): boolean {
  return r.type === T.SCALAR && r.tm === 0n && r.tv === BigInt.asUintN(64, v)
}

/** Whether `r` is any kind of pointer. */
export function isPointer(r: Reg): boolean {
  return r.type !== T.SCALAR && r.type !== T.NOT_INIT
}

/** Whether the bounds are contradictory (no concrete value fits). */
export function isEmpty(r: Reg): boolean {
  return r.umin > r.umax || r.smin > r.smax
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b)
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b)

/**
 * Tightens the unsigned, signed and known-bits views of a value against each other (the
 * kernel's bounds sync, on 64 bits). Returns a register with possibly empty bounds when the
 * views contradict each other; callers test {@link isEmpty}.
 */
export function sync(r: Reg): Reg {
  if (r.tm === 0n) {
    // A known value: every view is that value (or the description is contradictory).
    const u = r.tv
    const sv = BigInt.asIntN(64, u)
    if (r.umin > u || r.umax < u || r.smin > sv || r.smax < sv) return { ...r, umin: 1n, umax: 0n }
    if (r.umin === u && r.umax === u && r.smin === sv && r.smax === sv) return r
    return { ...r, umin: u, umax: u, smin: sv, smax: sv }
  }
  let { umin, umax, smin, smax } = r
  let t: Tnum = { v: r.tv, m: r.tm }
  for (let round = 0; round < 2; round++) {
    const before = umin ^ umax ^ smin ^ smax ^ t.m
    umin = max(umin, t.v)
    umax = min(umax, t.v | t.m)
    if (umin > umax) break
    // Signed from unsigned when the range does not cross the sign boundary.
    if (umin >> 63n === umax >> 63n) {
      smin = max(smin, BigInt.asIntN(64, umin))
      smax = min(smax, BigInt.asIntN(64, umax))
    }
    if (smin > smax) break
    // Unsigned from signed when the signed range has one sign.
    if (smin >= 0n || smax < 0n) {
      umin = max(umin, BigInt.asUintN(64, smin))
      umax = min(umax, BigInt.asUintN(64, smax))
    }
    if (umin > umax) break
    if (umin !== 0n || umax !== M64) {
      const fromRange = tRange(umin, umax)
      if (((fromRange.v ^ t.v) & ~(fromRange.m | t.m) & M64) !== 0n) {
        umin = 1n
        umax = 0n
        break
      }
      t = tIntersect(t, fromRange)
    }
    if ((umin ^ umax ^ smin ^ smax ^ t.m) === before) break
  }
  if (
    umin === r.umin &&
    umax === r.umax &&
    smin === r.smin &&
    smax === r.smax &&
    t.v === r.tv &&
    t.m === r.tm
  ) {
    return r
  }
  return { ...r, umin, umax, smin, smax, tv: t.v, tm: t.m }
}

/** A scalar from a known-bits value alone. */
export function fromTnum(t: Tnum): Reg {
  return sync({ ...UNKNOWN, tv: t.v, tm: t.m })
}

/** The join of two scalar value descriptions (smallest bounds holding both). */
export function joinBounds(a: Reg, b: Reg): Reg {
  const tm = a.tm | b.tm | (a.tv ^ b.tv)
  return {
    ...a,
    umin: min(a.umin, b.umin),
    umax: max(a.umax, b.umax),
    smin: min(a.smin, b.smin),
    smax: max(a.smax, b.smax),
    tv: a.tv & ~tm & M64,
    tm
  }
}

/** Whether every value of `b`'s variable part is allowed by `a`'s. */
export function boundsContain(a: Reg, b: Reg): boolean {
  if (a.umin > b.umin || a.umax < b.umax || a.smin > b.smin || a.smax < b.smax) return false
  if ((b.tm & ~a.tm & M64) !== 0n) return false
  return (b.tv & ~a.tm & M64) === a.tv
}

/** Unknown-scalar tnum (re-exported for callers building values). */
export const TNUM_UNKNOWN = T_UNKNOWN
