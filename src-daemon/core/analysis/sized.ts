/** @fileoverview Unknown values of a load's width: the range a zero- or sign-extended load can give. */
import { rangeReg, sync, UNKNOWN } from './reg'
import type { Reg } from './types'

/** An unknown scalar of `size` bytes, zero- or sign-extended. */
export function sizedUnknown(size: number, signed = false): Reg {
  if (size >= 8) return UNKNOWN
  return (signed ? SIGNED_CACHE : UNSIGNED_CACHE)[size] ?? makeSized(size, signed)
}

function makeSized(size: number, signed: boolean): Reg {
  const bits = BigInt(size * 8)
  if (!signed) return rangeReg(0n, (1n << bits) - 1n)
  const lim = 1n << (bits - 1n)
  return sync({ ...UNKNOWN, smin: -lim, smax: lim - 1n })
}

const UNSIGNED_CACHE: Reg[] = [0, 1, 2, 3, 4].map((n) => makeSized(n, false))
const SIGNED_CACHE: Reg[] = [0, 1, 2, 3, 4].map((n) => makeSized(n || 1, true))
