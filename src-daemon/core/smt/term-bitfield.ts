/** @fileoverview Bit-field constructors (extract, concat, zero/sign extension) with local simplification. */

import { InternalError } from '../util/result'
import type { BvTerm } from './term'
import { internBv } from './term'
import { checkWidth, extractBits, sextBits } from './term-bits'
import { bv } from './term-bv'

/** Bits `hi..lo` (inclusive, 0 = least significant) of `a`, a term of width hi-lo+1. */
export function extract(a: BvTerm, hi: number, lo: number): BvTerm {
  if (!Number.isInteger(hi) || !Number.isInteger(lo) || lo < 0 || hi < lo || hi >= a.width) {
    throw new InternalError(`bad extract [${hi}:${lo}] of width ${a.width}`)
  }
  const w = hi - lo + 1
  if (w === a.width) return a
  switch (a.op) {
    case 'bvconst':
      return bv(extractBits(a.value, hi, lo), w)
    case 'extract':
      return extract(a.args[0] as BvTerm, a.lo + hi, a.lo + lo)
    case 'concat': {
      const high = a.args[0] as BvTerm
      const low = a.args[1] as BvTerm
      const lw = low.width
      if (hi < lw) return extract(low, hi, lo)
      if (lo >= lw) return extract(high, hi - lw, lo - lw)
      return concat(extract(high, hi - lw, 0), extract(low, lw - 1, lo))
    }
    case 'zext': {
      const x = a.args[0] as BvTerm
      const xw = x.width
      if (hi < xw) return extract(x, hi, lo)
      if (lo >= xw) return bv(0n, w)
      return zeroExt(extract(x, xw - 1, lo), hi + 1 - xw)
    }
    case 'sext': {
      const x = a.args[0] as BvTerm
      const xw = x.width
      if (hi < xw) return extract(x, hi, lo)
      const from = Math.min(lo, xw - 1)
      return signExt(extract(x, xw - 1, from), w - (xw - from))
    }
    case 'ite': {
      const t = a.args[1] as BvTerm
      const e = a.args[2] as BvTerm
      if (t.op === 'bvconst' && e.op === 'bvconst') {
        const c = a.args[0]
        if (c === undefined || c.sort !== 'bool') throw new InternalError('ite without condition')
        const et = extract(t, hi, lo)
        const ee = extract(e, hi, lo)
        return et === ee ? et : internBv('ite', w, [c, et, ee])
      }
      break
    }
    default:
      break
  }
  return internBv('extract', w, [a], 0n, '', hi, lo)
}

/** Concatenation: `high` supplies the most significant bits. */
export function concat(high: BvTerm, low: BvTerm): BvTerm {
  const w = high.width + low.width
  checkWidth(w)
  if (high.op === 'bvconst') {
    if (low.op === 'bvconst') return bv((high.value << BigInt(low.width)) | low.value, w)
    if (high.value === 0n) return zeroExt(low, high.width)
    if (low.op === 'concat' && (low.args[0] as BvTerm).op === 'bvconst') {
      return concat(concat(high, low.args[0] as BvTerm), low.args[1] as BvTerm)
    }
  }
  if (
    high.op === 'extract' &&
    low.op === 'extract' &&
    high.args[0] === low.args[0] &&
    high.lo === low.hi + 1
  ) {
    return extract(high.args[0] as BvTerm, high.hi, low.lo)
  }
  return internBv('concat', w, [high, low])
}

/** Zero-extends `a` by `extra` bits. */
export function zeroExt(a: BvTerm, extra: number): BvTerm {
  if (!Number.isInteger(extra) || extra < 0) throw new InternalError(`bad zero_extend ${extra}`)
  if (extra === 0) return a
  const w = a.width + extra
  checkWidth(w)
  if (a.op === 'bvconst') return bv(a.value, w)
  if (a.op === 'zext') return zeroExt(a.args[0] as BvTerm, w - (a.args[0] as BvTerm).width)
  return internBv('zext', w, [a])
}

/** Sign-extends `a` by `extra` bits. */
export function signExt(a: BvTerm, extra: number): BvTerm {
  if (!Number.isInteger(extra) || extra < 0) throw new InternalError(`bad sign_extend ${extra}`)
  if (extra === 0) return a
  const w = a.width + extra
  checkWidth(w)
  if (a.op === 'bvconst') return bv(sextBits(a.value, a.width, w), w)
  const x = a.args[0] as BvTerm
  if (a.op === 'sext') return signExt(x, w - x.width)
  if (a.op === 'zext') return zeroExt(x, w - x.width)
  return internBv('sext', w, [a])
}

/** Zero-extends or truncates `a` to exactly `width` bits. */
export function resize(a: BvTerm, width: number): BvTerm {
  return width >= a.width ? zeroExt(a, width - a.width) : extract(a, width - 1, 0)
}
