/** @fileoverview Exact bit-vector arithmetic on bigint values: the concrete meaning of every term operator (SMT-LIB semantics). */

import { InternalError } from '../util/result'

/** All-ones mask of `width` bits. */
export function mask(width: number): bigint {
  return (1n << BigInt(width)) - 1n
}

/** Reduces any bigint to its `width`-bit two's-complement pattern (unsigned, 0 ≤ v < 2^width). */
export function norm(value: bigint, width: number): bigint {
  return BigInt.asUintN(width, value)
}

/** Reads an unsigned `width`-bit pattern as a signed integer. */
export function toSigned(value: bigint, width: number): bigint {
  return BigInt.asIntN(width, value)
}

/** Unsigned division; x / 0 is all ones (SMT-LIB `bvudiv`). */
export function udivBits(x: bigint, y: bigint, width: number): bigint {
  return y === 0n ? mask(width) : x / y
}

/** Unsigned remainder; x % 0 is x (SMT-LIB `bvurem`). */
export function uremBits(x: bigint, y: bigint): bigint {
  return y === 0n ? x : x % y
}

/** Signed division truncating toward zero; by zero: -1 if x ≥ 0 else 1 (SMT-LIB `bvsdiv`). */
export function sdivBits(x: bigint, y: bigint, width: number): bigint {
  const sx = toSigned(x, width)
  const sy = toSigned(y, width)
  if (sy === 0n) return norm(sx >= 0n ? -1n : 1n, width)
  return norm(sx / sy, width)
}

/** Signed remainder with the sign of the dividend; x rem 0 is x (SMT-LIB `bvsrem`). */
export function sremBits(x: bigint, y: bigint, width: number): bigint {
  const sx = toSigned(x, width)
  const sy = toSigned(y, width)
  if (sy === 0n) return x
  return norm(sx % sy, width)
}

/** Left shift; an amount ≥ width gives 0 (SMT-LIB `bvshl`). */
export function shlBits(x: bigint, amount: bigint, width: number): bigint {
  return amount >= BigInt(width) ? 0n : norm(x << amount, width)
}

/** Logical right shift; an amount ≥ width gives 0 (SMT-LIB `bvlshr`). */
export function lshrBits(x: bigint, amount: bigint, width: number): bigint {
  return amount >= BigInt(width) ? 0n : x >> amount
}

/** Arithmetic right shift; an amount ≥ width fills with the sign bit (SMT-LIB `bvashr`). */
export function ashrBits(x: bigint, amount: bigint, width: number): bigint {
  const a = amount >= BigInt(width) ? BigInt(width - 1) : amount
  return norm(toSigned(x, width) >> a, width)
}

/** Bits hi..lo (inclusive) of x. */
export function extractBits(x: bigint, hi: number, lo: number): bigint {
  return (x >> BigInt(lo)) & mask(hi - lo + 1)
}

/** Sign-extends a `from`-bit pattern to `to` bits. */
export function sextBits(x: bigint, from: number, to: number): bigint {
  return norm(toSigned(x, from), to)
}

/** Checks that a width is a positive integer (a bug otherwise). */
export function checkWidth(width: number): void {
  if (!Number.isInteger(width) || width < 1 || width > 65536) {
    throw new InternalError(`bad bit-vector width ${width}`)
  }
}
