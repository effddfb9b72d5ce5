/** @fileoverview eBPF's division semantics as term helpers (division by zero gives 0, modulo by zero keeps x). */

import type { BvTerm } from './term'
import { bv, sdiv, srem, udiv, urem } from './term-bv'
import { eq, ite } from './term-compare'

/** eBPF unsigned division: x / 0 = 0. */
export function udiv0(a: BvTerm, b: BvTerm): BvTerm {
  return ite(eq(b, bv(0n, b.width)), bv(0n, a.width), udiv(a, b))
}

/** eBPF unsigned modulo: x % 0 = x (the same as SMT-LIB `bvurem`). */
export function urem0(a: BvTerm, b: BvTerm): BvTerm {
  return urem(a, b)
}

/** eBPF signed division (sdiv, v4): x / 0 = 0; INT_MIN / -1 = INT_MIN (wraps). */
export function sdiv0(a: BvTerm, b: BvTerm): BvTerm {
  return ite(eq(b, bv(0n, b.width)), bv(0n, a.width), sdiv(a, b))
}

/** eBPF signed modulo (smod, v4): sign of the dividend; x % 0 = x (SMT-LIB `bvsrem`). */
export function srem0(a: BvTerm, b: BvTerm): BvTerm {
  return srem(a, b)
}
