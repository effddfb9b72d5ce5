/** @fileoverview Shared queries for Z3 tests: a hard one (64-bit factoring) and an easy equivalence. */

import type { BoolTerm } from '../../src-daemon/core/smt/terms'
import * as T from '../../src-daemon/core/smt/terms'

const x = T.bvVar('x', 64)
const y = T.bvVar('y', 64)

/** Factor a product of two 32-bit primes with 64-bit arithmetic: takes Z3 minutes. */
export function hardFactoring(): BoolTerm[] {
  const p = 4294967291n
  const q = 4294967279n
  const limit = T.bv(1n << 33n, 64)
  return [
    T.eq(T.mul(x, y), T.bv(p * q, 64)),
    T.ugt(x, T.bv(1, 64)),
    T.ugt(y, T.bv(1, 64)),
    T.ult(x, limit),
    T.ult(y, limit)
  ]
}

/** Negated equivalence (x + y) * 2 ≠ (x << 1) + y + y: unsat. */
export function easyUnsat(): BoolTerm[] {
  return [T.ne(T.mul(T.add(x, y), T.bv(2, 64)), T.add(T.shl(x, T.bv(1, 64)), T.add(y, y)))]
}

/** x * 3 = 21 ∧ x < 100: sat with x = 7. */
export function easySat(): BoolTerm[] {
  return [T.eq(T.mul(x, T.bv(3, 64)), T.bv(21, 64)), T.ult(x, T.bv(100, 64))]
}
