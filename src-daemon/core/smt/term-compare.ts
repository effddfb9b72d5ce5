/** @fileoverview Equality, unsigned/signed comparisons and if-then-else, with local simplification. */

import { InternalError } from '../util/result'
import type { BoolTerm, BvTerm, Term } from './term'
import { internBool, internBv } from './term'
import { extractBits, mask, norm, sextBits, toSigned } from './term-bits'
import { FALSE, TRUE, and, boolConst, iff, not, or } from './term-bool'
import { bv, sameWidth } from './term-bv'
import { extract } from './term-bitfield'

/** Bit-vector equality, simplified when one side is a constant. */
/** `t` as base + constant offset (offset 0 when `t` adds no constant). */
function baseAndOffset(t: BvTerm): [BvTerm, bigint] {
  const y = t.args[1] as BvTerm | undefined
  return t.op === 'add' && y?.op === 'bvconst' ? [t.args[0] as BvTerm, y.value] : [t, 0n]
}

function bvEq(a0: BvTerm, b0: BvTerm): BoolTerm {
  const w = sameWidth(a0, b0)
  if (a0 === b0) return TRUE
  const [a, b] = a0.op === 'bvconst' || (b0.op !== 'bvconst' && a0.id > b0.id) ? [b0, a0] : [a0, b0]
  if (b.op !== 'bvconst') {
    // x + c1 = x + c2 (an address at two offsets from one base) holds exactly when c1 = c2.
    const [xa, ca] = baseAndOffset(a)
    const [xb, cb] = baseAndOffset(b)
    if (xa === xb) return boolConst(ca === cb)
    return internBool('eq', [a, b])
  }
  if (a.op === 'bvconst') return boolConst(a.value === b.value)
  const c = b.value
  const x = a.args[0] as BvTerm
  const y = a.args[1] as BvTerm
  switch (a.op) {
    case 'add':
      if (y.op === 'bvconst') return bvEq(x, bv(c - y.value, w))
      break
    case 'xor':
      if (y.op === 'bvconst') return bvEq(x, bv(c ^ y.value, w))
      break
    case 'not':
      return bvEq(x, bv(~c, w))
    case 'neg':
      return bvEq(x, bv(-c, w))
    case 'zext':
      if (c >> BigInt(x.width) !== 0n) return FALSE
      return bvEq(x, bv(c, x.width))
    case 'sext':
      if (sextBits(norm(c, x.width), x.width, w) !== c) return FALSE
      return bvEq(x, bv(c, x.width))
    case 'concat':
      return and(
        bvEq(x, bv(c >> BigInt(y.width), x.width)),
        bvEq(y, bv(extractBits(c, y.width - 1, 0), y.width))
      )
    case 'ite': {
      const t = a.args[1] as BvTerm
      const e = a.args[2] as BvTerm
      if (t.op === 'bvconst' && e.op === 'bvconst') {
        const cond = a.args[0] as BoolTerm
        return or(and(cond, boolConst(t.value === c)), and(not(cond), boolConst(e.value === c)))
      }
      break
    }
    default:
      break
  }
  return internBool('eq', [a, b])
}

/** Equality of two terms of the same sort (booleans: equivalence). */
export function eq(a: Term, b: Term): BoolTerm {
  if (a.sort === 'bool' && b.sort === 'bool') return iff(a, b)
  if (a.sort === 'bv' && b.sort === 'bv') return bvEq(a, b)
  throw new InternalError('eq of a boolean and a bit-vector')
}

/** Disequality. */
export function ne(a: Term, b: Term): BoolTerm {
  return not(eq(a, b))
}

/** Unsigned a < b. */
export function ult(a: BvTerm, b: BvTerm): BoolTerm {
  const w = sameWidth(a, b)
  if (a === b) return FALSE
  if (a.op === 'bvconst' && b.op === 'bvconst') return boolConst(a.value < b.value)
  if (b.op === 'bvconst' && b.value === 0n) return FALSE
  if (a.op === 'bvconst' && a.value === mask(w)) return FALSE
  return internBool('ult', [a, b])
}

/** Unsigned a ≤ b. */
export function ule(a: BvTerm, b: BvTerm): BoolTerm {
  const w = sameWidth(a, b)
  if (a === b) return TRUE
  if (a.op === 'bvconst' && b.op === 'bvconst') return boolConst(a.value <= b.value)
  if (a.op === 'bvconst' && a.value === 0n) return TRUE
  if (b.op === 'bvconst' && b.value === mask(w)) return TRUE
  return internBool('ule', [a, b])
}

/** Signed a < b. */
export function slt(a: BvTerm, b: BvTerm): BoolTerm {
  const w = sameWidth(a, b)
  if (a === b) return FALSE
  if (a.op === 'bvconst' && b.op === 'bvconst') {
    return boolConst(toSigned(a.value, w) < toSigned(b.value, w))
  }
  const min = 1n << BigInt(w - 1)
  if (b.op === 'bvconst' && b.value === min) return FALSE
  if (a.op === 'bvconst' && a.value === min - 1n) return FALSE
  return internBool('slt', [a, b])
}

/** Signed a ≤ b. */
export function sle(a: BvTerm, b: BvTerm): BoolTerm {
  const w = sameWidth(a, b)
  if (a === b) return TRUE
  if (a.op === 'bvconst' && b.op === 'bvconst') {
    return boolConst(toSigned(a.value, w) <= toSigned(b.value, w))
  }
  const min = 1n << BigInt(w - 1)
  if (a.op === 'bvconst' && a.value === min) return TRUE
  if (b.op === 'bvconst' && b.value === min - 1n) return TRUE
  return internBool('sle', [a, b])
}

/** Unsigned a > b. */
export function ugt(a: BvTerm, b: BvTerm): BoolTerm {
  return ult(b, a)
}

/** Unsigned a ≥ b. */
export function uge(a: BvTerm, b: BvTerm): BoolTerm {
  return ule(b, a)
}

/** Signed a > b. */
export function sgt(a: BvTerm, b: BvTerm): BoolTerm {
  return slt(b, a)
}

/** Signed a ≥ b. */
export function sge(a: BvTerm, b: BvTerm): BoolTerm {
  return sle(b, a)
}

function boolIte(c: BoolTerm, t: BoolTerm, e: BoolTerm): BoolTerm {
  if (t === TRUE) return or(c, e)
  if (t === FALSE) return and(not(c), e)
  if (e === TRUE) return or(not(c), t)
  if (e === FALSE) return and(c, t)
  return internBool('bite', [c, t, e])
}

function bvIte(c: BoolTerm, t0: BvTerm, e0: BvTerm): BvTerm {
  const w = sameWidth(t0, e0)
  let t = t0
  let e = e0
  if (t.op === 'ite' && t.args[0] === c) t = t.args[1] as BvTerm
  if (e.op === 'ite' && e.args[0] === c) e = e.args[2] as BvTerm
  if (t === e) return t
  return internBv('ite', w, [c, t, e])
}

/** If-then-else over two terms of the same sort. */
export function ite<T extends Term>(c: BoolTerm, t: T, e: T): T
export function ite(c: BoolTerm, t: Term, e: Term): Term {
  if (c === TRUE) return t
  if (c === FALSE) return e
  if (t === e) return t
  if (c.op === 'bnot') return ite(c.args[0] as BoolTerm, e, t)
  if (t.sort === 'bool' && e.sort === 'bool') return boolIte(c, t, e)
  if (t.sort === 'bv' && e.sort === 'bv') return bvIte(c, t, e)
  throw new InternalError('ite branches of different sorts')
}

/** The single bit `i` of `a` as a boolean. */
export function bitIsSet(a: BvTerm, i: number): BoolTerm {
  return bvEq(extract(a, i, i), bv(1n, 1))
}
