/** @fileoverview Known-bits abstraction ("tnum") over 64-bit values as bigint pairs (value, mask). */

/** All 64 bits set. */
export const M64 = (1n << 64n) - 1n
/** All 32 low bits set. */
export const M32 = 0xffffffffn

/** A known-bits value: bits in `m` are unknown, the others equal `v` (and `v & m == 0`). */
export interface Tnum {
  readonly v: bigint
  readonly m: bigint
}

/** A fully known value. */
export function tConst(v: bigint): Tnum {
  return { v: v & M64, m: 0n }
}

/** Nothing known. */
export const T_UNKNOWN: Tnum = { v: 0n, m: M64 }

/** The tightest tnum containing every value of the unsigned range [min, max]. */
export function tRange(min: bigint, max: bigint): Tnum {
  const chi = min ^ max
  if (chi === 0n) return { v: min, m: 0n }
  const bits = bitLength(chi)
  if (bits > 63) return T_UNKNOWN
  const delta = (1n << BigInt(bits)) - 1n
  return { v: min & ~delta & M64, m: delta }
}

/** Number of significant bits of a non-negative 64-bit value. */
export function bitLength(x: bigint): number {
  if (x === 0n) return 0
  const hi = Number(x >> 32n)
  if (hi !== 0) return 64 - Math.clz32(hi)
  return 32 - Math.clz32(Number(x))
}

/** Sum. */
export function tAdd(a: Tnum, b: Tnum): Tnum {
  const sm = (a.m + b.m) & M64
  const sv = (a.v + b.v) & M64
  const sigma = (sm + sv) & M64
  const chi = sigma ^ sv
  const mu = chi | a.m | b.m
  return { v: sv & ~mu & M64, m: mu }
}

/** Difference. */
export function tSub(a: Tnum, b: Tnum): Tnum {
  const dv = (a.v - b.v) & M64
  const alpha = (dv + a.m) & M64
  const beta = (dv - b.m) & M64
  const mu = (alpha ^ beta) | a.m | b.m
  return { v: dv & ~mu & M64, m: mu }
}

/** Bitwise and. */
export function tAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.v | a.m
  const beta = b.v | b.m
  const v = a.v & b.v
  return { v, m: alpha & beta & ~v & M64 }
}

/** Bitwise or. */
export function tOr(a: Tnum, b: Tnum): Tnum {
  const v = a.v | b.v
  return { v, m: (a.m | b.m) & ~v & M64 }
}

/** Bitwise xor. */
export function tXor(a: Tnum, b: Tnum): Tnum {
  const mu = a.m | b.m
  return { v: (a.v ^ b.v) & ~mu & M64, m: mu }
}

/** Left shift by a known amount. */
export function tLsh(a: Tnum, k: number): Tnum {
  const s = BigInt(k)
  return { v: (a.v << s) & M64, m: (a.m << s) & M64 }
}

/** Logical right shift by a known amount. */
export function tRsh(a: Tnum, k: number): Tnum {
  const s = BigInt(k)
  return { v: a.v >> s, m: a.m >> s }
}

/** Arithmetic right shift (64-bit) by a known amount. */
export function tArsh(a: Tnum, k: number): Tnum {
  const s = BigInt(k)
  return {
    v: BigInt.asUintN(64, BigInt.asIntN(64, a.v) >> s),
    m: BigInt.asUintN(64, BigInt.asIntN(64, a.m) >> s)
  }
}

/** Product (shift-and-add over the known bits of `a`). */
export function tMul(a: Tnum, b: Tnum): Tnum {
  const accV = (a.v * b.v) & M64
  let accM: Tnum = { v: 0n, m: 0n }
  let x = a
  let y = b
  while (x.v !== 0n || x.m !== 0n) {
    if ((x.v & 1n) !== 0n) accM = tAdd(accM, { v: 0n, m: y.m })
    else if ((x.m & 1n) !== 0n) accM = tAdd(accM, { v: 0n, m: y.v | y.m })
    x = tRsh(x, 1)
    y = tLsh(y, 1)
  }
  return tAdd({ v: accV, m: 0n }, accM)
}

/** Values in both (caller ensures they are compatible). */
export function tIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.v | b.v
  const mu = a.m & b.m
  return { v: v & ~mu & M64, m: mu }
}

/** Values of either. */
export function tUnion(a: Tnum, b: Tnum): Tnum {
  const mu = a.m | b.m | (a.v ^ b.v)
  return { v: a.v & ~mu & M64, m: mu }
}

/** Whether the two tnums share at least one value. */
export function tCompatible(a: Tnum, b: Tnum): boolean {
  return ((a.v ^ b.v) & ~(a.m | b.m) & M64) === 0n
}

/** Whether every value of `b` is a value of `a`. */
export function tContains(a: Tnum, b: Tnum): boolean {
  if ((b.m & ~a.m & M64) !== 0n) return false
  return (b.v & ~a.m & M64) === a.v
}

/** The low 32 bits, zero-extended. */
export function tCast32(a: Tnum): Tnum {
  return { v: a.v & M32, m: a.m & M32 }
}
