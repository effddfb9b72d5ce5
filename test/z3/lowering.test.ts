/** @fileoverview Lowering to Z3 agrees with evalTerm: random terms, 64-bit edge cases, models. */

import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { BoolTerm, BvTerm, Env } from '../../src-daemon/core/smt/terms'
import * as T from '../../src-daemon/core/smt/terms'
import { Z3Instance } from '../../src-daemon/engine/z3/z3-instance'
import { TermGen, prng } from '../smt/random-terms'

let z3: Z3Instance
beforeAll(async () => {
  z3 = await Z3Instance.create()
})
afterAll(async () => {
  await z3.dispose()
})

/** Assertions fixing every free variable of `terms` to its value in `env`. */
function pins(terms: readonly T.Term[], env: Env): BoolTerm[] {
  return T.freeVars(terms).map((v) =>
    v.sort === 'bool'
      ? T.eq(v, T.boolConst(env.get(v.name) === true))
      : T.eq(v, T.bv(env.get(v.name) as bigint, v.width))
  )
}

describe('Z3 agrees with evalTerm', () => {
  test('random terms of widths 1..16 with every operator: t ≠ evalTerm(t) is unsat under the env', async () => {
    const g = new TermGen(prng(99))
    let checked = 0
    for (let batch = 0; batch < 24; batch++) {
      const env = g.env()
      const terms: T.Term[] = []
      for (let i = 0; i < 8; i++)
        terms.push(i % 2 === 0 ? g.bv(g.pick([1, 3, 8, 16]), 3).term : g.bool(3).term)
      const differs = terms.map((t) =>
        t.sort === 'bool'
          ? T.ne(t, T.boolConst(T.evalTerm(t, env) === true))
          : T.ne(t, T.bv(T.evalTerm(t, env) as bigint, t.width))
      )
      const r = await z3.check([...pins(terms, env), T.or(...differs)], { timeoutMs: 20_000 })
      expect(r.kind, `batch ${batch}`).toBe('unsat')
      checked += terms.length
    }
    expect(checked).toBe(192)
  })

  test('64-bit arithmetic edge cases (division by zero, INT_MIN / -1, shifts ≥ width)', async () => {
    const a = T.bvVar('a', 64)
    const b = T.bvVar('b', 64)
    const ops: Array<(p: BvTerm, q: BvTerm) => BvTerm> = [
      T.udiv,
      T.urem,
      T.sdiv,
      T.srem,
      T.udiv0,
      T.sdiv0,
      T.shl,
      T.lshr,
      T.ashr,
      T.mul
    ]
    const min = 1n << 63n
    const cases: Array<[bigint, bigint]> = [
      [7n, 0n],
      [min, (1n << 64n) - 1n],
      [min, 0n],
      [(1n << 64n) - 7n, 2n],
      [5n, 64n],
      [min + 3n, 200n]
    ]
    for (const [va, vb] of cases) {
      const env = new Map<string, bigint | boolean>([
        ['a', va],
        ['b', vb]
      ])
      const differs = ops.map((op) => T.ne(op(a, b), T.bv(T.evalTerm(op(a, b), env) as bigint, 64)))
      const r = await z3.check([...pins([a, b], env), T.or(...differs)], { timeoutMs: 20_000 })
      expect(r.kind, `a=${va} b=${vb}`).toBe('unsat')
    }
  })

  test('every sat model satisfies the query under evalTerm and assigns all its variables', async () => {
    const g = new TermGen(prng(5), false)
    let sat = 0
    for (let i = 0; i < 30; i++) {
      const q = g.bool(3).term
      const r = await z3.check([q], { timeoutMs: 20_000 })
      expect(r.kind).not.toBe('unknown')
      if (r.kind !== 'sat') continue
      sat++
      for (const v of T.freeVars([q])) expect(r.model.has(v.name)).toBe(true)
      expect(T.evalTerm(q, r.model)).toBe(true)
    }
    expect(sat).toBeGreaterThan(5)
  })

  test('a disequality simplified away is unsat, a real one is sat', async () => {
    const a = T.bvVar('a', 64)
    const r = await z3.check([T.ne(T.add(a, T.bv(1, 64)), T.sub(a, T.bv(-1, 64)))])
    expect(r.kind).toBe('unsat')
    const r2 = await z3.check([T.ne(T.add(a, T.bv(1, 64)), T.add(a, T.bv(2, 64)))])
    expect(r2.kind).toBe('sat')
  })
})
