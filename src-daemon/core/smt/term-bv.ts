/** @fileoverview Bit-vector constants, variables, arithmetic, bitwise and shift constructors with local simplification. */

import { InternalError } from '../util/result'
import type { BvTerm } from './term'
import { internBv } from './term'
import {
  ashrBits,
  checkWidth,
  lshrBits,
  mask,
  norm,
  sdivBits,
  shlBits,
  sremBits,
  udivBits,
  uremBits
} from './term-bits'

/** A `width`-bit constant; `value` is taken modulo 2^width (negative numbers wrap). */
export function bv(value: bigint | number, width: number): BvTerm {
  checkWidth(width)
  return internBv('bvconst', width, [], norm(BigInt(value), width))
}

/** A free `width`-bit variable named `name`. */
export function bvVar(name: string, width: number): BvTerm {
  checkWidth(width)
  if (name === '') throw new InternalError('empty variable name')
  return internBv('bvvar', width, [], 0n, name)
}

/** True when `t` is the constant `value` (taken modulo 2^width). */
export function isConstValue(t: BvTerm, value: bigint): boolean {
  return t.op === 'bvconst' && t.value === norm(value, t.width)
}

/** Throws unless both operands have the same width; returns it. */
export function sameWidth(a: BvTerm, b: BvTerm): number {
  if (a.width !== b.width) throw new InternalError(`width mismatch ${a.width} vs ${b.width}`)
  return a.width
}

/** Orders commutative operands: a constant goes right, otherwise the older term goes left. */
function ordered(a: BvTerm, b: BvTerm): [BvTerm, BvTerm] {
  if (a.op === 'bvconst' && b.op !== 'bvconst') return [b, a]
  if (b.op !== 'bvconst' && a.op !== 'bvconst' && a.id > b.id) return [b, a]
  return [a, b]
}

/** The constant right operand of `t` when `t` is `op(x, const)`. */
function constRight(t: BvTerm, op: BvTerm['op']): bigint | undefined {
  if (t.op !== op) return undefined
  const r = t.args[1] as BvTerm
  return r.op === 'bvconst' ? r.value : undefined
}

/** Addition modulo 2^width; folds constants and gathers constant offsets at the top. */
export function add(a0: BvTerm, b0: BvTerm): BvTerm {
  const w = sameWidth(a0, b0)
  const [a, b] = ordered(a0, b0)
  const ca = constRight(a, 'add')
  if (b.op === 'bvconst') {
    if (a.op === 'bvconst') return bv(a.value + b.value, w)
    if (b.value === 0n) return a
    if (ca !== undefined) return add(a.args[0] as BvTerm, bv(ca + b.value, w))
    return internBv('add', w, [a, b])
  }
  const cb = constRight(b, 'add')
  if (ca !== undefined || cb !== undefined) {
    const x = ca !== undefined ? (a.args[0] as BvTerm) : a
    const y = cb !== undefined ? (b.args[0] as BvTerm) : b
    return add(add(x, y), bv((ca ?? 0n) + (cb ?? 0n), w))
  }
  return internBv('add', w, [a, b])
}

/** Two's-complement negation. */
export function neg(a: BvTerm): BvTerm {
  if (a.op === 'bvconst') return bv(-a.value, a.width)
  if (a.op === 'neg') return a.args[0] as BvTerm
  return internBv('neg', a.width, [a])
}

/** Subtraction modulo 2^width; `x - c` becomes `x + (-c)`, `x - x` becomes 0. */
export function sub(a: BvTerm, b: BvTerm): BvTerm {
  const w = sameWidth(a, b)
  if (a === b) return bv(0n, w)
  if (b.op === 'bvconst') return add(a, bv(-b.value, w))
  const ca = constRight(a, 'add')
  const cb = constRight(b, 'add')
  const baseA = ca !== undefined ? (a.args[0] as BvTerm) : a
  const baseB = cb !== undefined ? (b.args[0] as BvTerm) : b
  if (baseA === baseB) return bv((ca ?? 0n) - (cb ?? 0n), w)
  if (a.op === 'bvconst' && b.op === 'neg') return add(b.args[0] as BvTerm, a)
  return internBv('sub', w, [a, b])
}

/** Multiplication modulo 2^width. */
export function mul(a0: BvTerm, b0: BvTerm): BvTerm {
  const w = sameWidth(a0, b0)
  const [a, b] = ordered(a0, b0)
  if (b.op === 'bvconst') {
    if (a.op === 'bvconst') return bv(a.value * b.value, w)
    if (b.value === 0n) return b
    if (b.value === 1n) return a
    const ca = constRight(a, 'mul')
    if (ca !== undefined) return mul(a.args[0] as BvTerm, bv(ca * b.value, w))
  }
  return internBv('mul', w, [a, b])
}

/** Unsigned division with SMT-LIB semantics (x / 0 = all ones). */
export function udiv(a: BvTerm, b: BvTerm): BvTerm {
  const w = sameWidth(a, b)
  if (a.op === 'bvconst' && b.op === 'bvconst') return bv(udivBits(a.value, b.value, w), w)
  if (isConstValue(b, 1n)) return a
  if (isConstValue(b, 0n)) return bv(mask(w), w)
  return internBv('udiv', w, [a, b])
}

/** Unsigned remainder with SMT-LIB semantics (x % 0 = x). */
export function urem(a: BvTerm, b: BvTerm): BvTerm {
  const w = sameWidth(a, b)
  if (a.op === 'bvconst' && b.op === 'bvconst') return bv(uremBits(a.value, b.value), w)
  if (isConstValue(b, 1n)) return bv(0n, w)
  if (a === b) return bv(0n, w)
  if (isConstValue(b, 0n)) return a
  return internBv('urem', w, [a, b])
}

/** Signed division truncating toward zero, SMT-LIB semantics (x / 0 = x < 0 ? 1 : -1). */
export function sdiv(a: BvTerm, b: BvTerm): BvTerm {
  const w = sameWidth(a, b)
  if (a.op === 'bvconst' && b.op === 'bvconst') return bv(sdivBits(a.value, b.value, w), w)
  if (isConstValue(b, 1n)) return a
  return internBv('sdiv', w, [a, b])
}

/** Signed remainder (sign of the dividend), SMT-LIB semantics (x rem 0 = x). */
export function srem(a: BvTerm, b: BvTerm): BvTerm {
  const w = sameWidth(a, b)
  if (a.op === 'bvconst' && b.op === 'bvconst') return bv(sremBits(a.value, b.value, w), w)
  if (isConstValue(b, 1n) || isConstValue(b, -1n)) return bv(0n, w)
  if (isConstValue(b, 0n)) return a
  return internBv('srem', w, [a, b])
}

/** Bitwise and. */
export function bvAnd(a0: BvTerm, b0: BvTerm): BvTerm {
  const w = sameWidth(a0, b0)
  const [a, b] = ordered(a0, b0)
  if (a === b) return a
  if (b.op === 'bvconst') {
    if (a.op === 'bvconst') return bv(a.value & b.value, w)
    if (b.value === 0n) return b
    if (b.value === mask(w)) return a
    const ca = constRight(a, 'and')
    if (ca !== undefined) return bvAnd(a.args[0] as BvTerm, bv(ca & b.value, w))
  }
  if ((a.op === 'not' && a.args[0] === b) || (b.op === 'not' && b.args[0] === a)) return bv(0n, w)
  return internBv('and', w, [a, b])
}

/** Bitwise or. */
export function bvOr(a0: BvTerm, b0: BvTerm): BvTerm {
  const w = sameWidth(a0, b0)
  const [a, b] = ordered(a0, b0)
  if (a === b) return a
  if (b.op === 'bvconst') {
    if (a.op === 'bvconst') return bv(a.value | b.value, w)
    if (b.value === 0n) return a
    if (b.value === mask(w)) return b
    const ca = constRight(a, 'or')
    if (ca !== undefined) return bvOr(a.args[0] as BvTerm, bv(ca | b.value, w))
  }
  if ((a.op === 'not' && a.args[0] === b) || (b.op === 'not' && b.args[0] === a)) {
    return bv(mask(w), w)
  }
  return internBv('or', w, [a, b])
}

/** Bitwise exclusive or. */
export function bvXor(a0: BvTerm, b0: BvTerm): BvTerm {
  const w = sameWidth(a0, b0)
  const [a, b] = ordered(a0, b0)
  if (a === b) return bv(0n, w)
  if (b.op === 'bvconst') {
    if (a.op === 'bvconst') return bv(a.value ^ b.value, w)
    if (b.value === 0n) return a
    if (b.value === mask(w)) return bvNot(a)
    const ca = constRight(a, 'xor')
    if (ca !== undefined) return bvXor(a.args[0] as BvTerm, bv(ca ^ b.value, w))
  }
  return internBv('xor', w, [a, b])
}

/** Bitwise complement. */
export function bvNot(a: BvTerm): BvTerm {
  if (a.op === 'bvconst') return bv(~a.value, a.width)
  if (a.op === 'not') return a.args[0] as BvTerm
  return internBv('not', a.width, [a])
}

type ShiftOp = 'shl' | 'lshr' | 'ashr'

function shift(op: ShiftOp, a: BvTerm, b: BvTerm): BvTerm {
  const w = sameWidth(a, b)
  if (b.op === 'bvconst') {
    if (a.op === 'bvconst') {
      const f = op === 'shl' ? shlBits : op === 'lshr' ? lshrBits : ashrBits
      return bv(f(a.value, b.value, w), w)
    }
    if (b.value === 0n) return a
    if (op !== 'ashr' && b.value >= BigInt(w)) return bv(0n, w)
  }
  if (isConstValue(a, 0n)) return a
  if (op === 'ashr' && isConstValue(a, -1n)) return a
  return internBv(op, w, [a, b])
}

/** Left shift by `b` (same width; an amount ≥ width gives 0). */
export function shl(a: BvTerm, b: BvTerm): BvTerm {
  return shift('shl', a, b)
}

/** Logical right shift by `b` (same width; an amount ≥ width gives 0). */
export function lshr(a: BvTerm, b: BvTerm): BvTerm {
  return shift('lshr', a, b)
}

/** Arithmetic right shift by `b` (same width; an amount ≥ width fills with the sign). */
export function ashr(a: BvTerm, b: BvTerm): BvTerm {
  return shift('ashr', a, b)
}
