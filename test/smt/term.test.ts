/** @fileoverview Term layer: simplification, hash-consing and evaluation agree with an independent bigint reference. */

import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import * as T from '../../src-daemon/core/smt/terms'
import { TermGen, prng } from './random-terms'

const x = T.bvVar('x', 64)
const y = T.bvVar('y', 64)
const c64 = (v: bigint | number) => T.bv(v, 64)

describe('random terms', () => {
  test('evalTerm of the simplified term equals the reference value of the unsimplified expression', () => {
    let nodes = 0
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const g = new TermGen(prng(seed))
        const w = g.pick([1, 3, 8, 16, 32, 64])
        const t = g.bv(w, 4)
        const b = g.bool(3)
        nodes += T.dagSize([t.term, b.term])
        for (let i = 0; i < 8; i++) {
          const env = g.env()
          expect(T.evalTerm(t.term, env)).toBe(t.ref(env))
          expect(T.evalTerm(b.term, env)).toBe(b.ref(env))
        }
      }),
      { seed: 20261125, numRuns: 3000 }
    )
    expect(nodes).toBeGreaterThan(3000)
  })

  test('constructing the same expression twice yields the same object', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const a = new TermGen(prng(seed)).bv(32, 4).term
        const b = new TermGen(prng(seed)).bv(32, 4).term
        expect(a).toBe(b)
      }),
      { seed: 7, numRuns: 300 }
    )
  })
})

describe('local simplification', () => {
  test('constant folding is exact at 64 bits', () => {
    expect(T.add(c64(-1), c64(1))).toBe(c64(0))
    expect(T.mul(c64(0x1_0000_0001n), c64(0xffff_ffffn)).value).toBe(0xffff_ffff_ffff_ffffn)
    expect(T.sdiv(c64(1n << 63n), c64(-1)).value).toBe(1n << 63n)
    expect(T.srem(c64(-7), c64(2)).value).toBe(BigInt.asUintN(64, -1n))
    expect(T.udiv(c64(5), c64(0)).value).toBe((1n << 64n) - 1n)
    expect(T.ashr(c64(1n << 63n), c64(200)).value).toBe((1n << 64n) - 1n)
    expect(T.lshr(x, c64(64))).toBe(c64(0))
  })

  test('constant offsets gather and cancel (pointer arithmetic)', () => {
    const p = T.add(T.add(x, c64(-8)), c64(4))
    expect(p).toBe(T.add(x, c64(-4)))
    expect(T.add(p, c64(4))).toBe(x)
    expect(T.sub(T.add(x, c64(16)), T.add(x, c64(4)))).toBe(c64(12))
    expect(T.sub(x, c64(3))).toBe(T.add(x, c64(-3)))
    expect(T.add(T.add(x, c64(1)), T.add(y, c64(2)))).toBe(T.add(T.add(x, y), c64(3)))
    expect(T.eq(T.add(x, c64(8)), c64(10))).toBe(T.eq(x, c64(2)))
    // Two offsets from one base: equal exactly when the offsets are (packet places).
    expect(T.eq(T.add(x, c64(4)), T.add(x, c64(8)))).toBe(T.FALSE)
    expect(T.eq(T.add(x, c64(1)), x)).toBe(T.FALSE)
    expect(T.eq(T.add(T.add(x, y), c64(2)), T.add(T.add(y, x), c64(2)))).toBe(T.TRUE)
    expect(T.eq(T.add(x, c64(4)), T.add(y, c64(8))).op).toBe('eq')
  })

  test('identities and absorbing elements', () => {
    expect(T.add(x, c64(0))).toBe(x)
    expect(T.bvAnd(x, c64(0))).toBe(c64(0))
    expect(T.bvOr(x, c64(-1))).toBe(c64(-1))
    expect(T.bvXor(x, x)).toBe(c64(0))
    expect(T.sub(x, x)).toBe(c64(0))
    expect(T.bvNot(T.bvNot(x))).toBe(x)
    expect(T.neg(T.neg(x))).toBe(x)
    expect(T.mul(x, c64(1))).toBe(x)
    expect(T.add(x, y)).toBe(T.add(y, x))
    expect(T.eq(x, x)).toBe(T.TRUE)
    expect(T.ult(x, x)).toBe(T.FALSE)
    expect(T.ule(c64(0), x)).toBe(T.TRUE)
  })

  test('bit fields: extract of concat/zext/extract, concat of adjacent extracts', () => {
    const lo = T.bvVar('lo', 32)
    const hi = T.bvVar('hi', 32)
    const cat = T.concat(hi, lo)
    expect(T.extract(cat, 31, 0)).toBe(lo)
    expect(T.extract(cat, 63, 32)).toBe(hi)
    expect(T.extract(T.extract(x, 47, 8), 15, 8)).toBe(T.extract(x, 23, 16))
    expect(T.concat(T.extract(x, 63, 32), T.extract(x, 31, 0))).toBe(x)
    expect(T.extract(T.zeroExt(lo, 32), 63, 32)).toBe(T.bv(0, 32))
    expect(T.extract(T.zeroExt(lo, 32), 31, 0)).toBe(lo)
    expect(T.concat(T.bv(0, 32), lo)).toBe(T.zeroExt(lo, 32))
    expect(T.eq(T.zeroExt(lo, 32), c64(1n << 40n))).toBe(T.FALSE)
    expect(T.eq(T.zeroExt(lo, 32), c64(5))).toBe(T.eq(lo, T.bv(5, 32)))
  })

  test('boolean structure: ite, and/or flattening, complements', () => {
    const p = T.boolVar('p')
    const q = T.boolVar('q')
    expect(T.ite(T.TRUE, x, y)).toBe(x)
    expect(T.ite(p, x, x)).toBe(x)
    expect(T.ite(T.not(p), x, y)).toBe(T.ite(p, y, x))
    expect(T.ite(p, T.ite(p, x, y), y)).toBe(T.ite(p, x, y))
    expect(T.and(p, T.and(q, p), T.TRUE)).toBe(T.and(q, p))
    expect(T.and(p, T.not(p))).toBe(T.FALSE)
    expect(T.or(p, T.not(p))).toBe(T.TRUE)
    expect(T.and()).toBe(T.TRUE)
    expect(T.implies(T.FALSE, p)).toBe(T.TRUE)
    expect(T.eq(p, T.TRUE)).toBe(p)
  })

  test('eBPF division helpers', () => {
    const env = new Map<string, bigint | boolean>([
      ['x', 7n],
      ['y', 0n]
    ])
    expect(T.evalTerm(T.udiv0(x, y), env)).toBe(0n)
    expect(T.evalTerm(T.urem0(x, y), env)).toBe(7n)
    expect(T.evalTerm(T.sdiv0(x, y), env)).toBe(0n)
    expect(T.evalTerm(T.srem0(x, y), env)).toBe(7n)
    expect(T.udiv0(x, c64(2))).toBe(T.udiv(x, c64(2)))
  })

  test('bad widths and sort mixes are bugs', () => {
    expect(() => T.add(x, T.bv(1, 32))).toThrow(/width mismatch/)
    expect(() => T.extract(x, 64, 0)).toThrow(/bad extract/)
    expect(() => T.eq(x, T.TRUE)).toThrow()
    expect(() => T.evalTerm(x, new Map())).toThrow(/no bit-vector value/)
  })
})

describe('term table', () => {
  test('releaseTerms forgets terms created after a mark, without reusing ids', () => {
    const before = T.internedTermCount()
    const mark = T.markTerms()
    const t = T.add(T.bvVar('scoped', 64), c64(99))
    expect(T.internedTermCount()).toBeGreaterThan(before)
    T.releaseTerms(mark)
    expect(T.internedTermCount()).toBe(before)
    const again = T.add(T.bvVar('scoped', 64), c64(99))
    expect(again).not.toBe(t)
    expect(again.id).toBeGreaterThan(t.id)
    expect(T.evalTerm(t, new Map([['scoped', 1n]]))).toBe(100n)
  })

  test('deep terms evaluate without stack overflow', () => {
    let t: T.BvTerm = x
    for (let i = 0; i < 50_000; i++) t = T.bvXor(T.mul(t, y), T.bv(i, 64))
    expect(
      typeof T.evalTerm(
        t,
        new Map([
          ['x', 3n],
          ['y', 5n]
        ])
      )
    ).toBe('bigint')
  })
})
