/** @fileoverview Z3 instance behaviour: results as values, time limits, interruption, sessions. */

import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import * as T from '../../src-daemon/core/smt/terms'
import { finalizationStats } from '../../src-daemon/engine/z3/finalization-guard'
import { Z3Instance } from '../../src-daemon/engine/z3/z3-instance'
import { easySat, easyUnsat, hardFactoring } from './queries'

let z3: Z3Instance
beforeAll(async () => {
  z3 = await Z3Instance.create()
})
afterAll(async () => {
  await z3.dispose()
})

const x = T.bvVar('x', 64)
const y = T.bvVar('y', 64)

describe('Z3Instance', () => {
  test('sat with a model, unsat, and a trivially false query', async () => {
    const sat = await z3.check(easySat())
    expect(sat).toEqual({ kind: 'sat', model: new Map([['x', 7n]]) })
    expect(await z3.check(easyUnsat())).toEqual({ kind: 'unsat' })
    expect(await z3.check([T.FALSE])).toEqual({ kind: 'unsat' })
    expect(await z3.check([])).toEqual({ kind: 'sat', model: new Map() })
  })

  test('a time limit gives unknown/timeout within a bounded time', async () => {
    const start = performance.now()
    const r = await z3.check(hardFactoring(), { timeoutMs: 300 })
    const ms = performance.now() - start
    expect(r).toEqual({ kind: 'unknown', reason: 'timeout' })
    expect(ms).toBeLessThan(8000)
    expect((await z3.check(easySat())).kind).toBe('sat')
  })

  test('aborting stops a hard query quickly and the instance stays usable', async () => {
    const abort = new AbortController()
    setTimeout(() => abort.abort(), 300)
    const start = performance.now()
    const r = await z3.check(hardFactoring(), { signal: abort.signal })
    const ms = performance.now() - start
    expect(r).toEqual({ kind: 'unknown', reason: 'interrupted' })
    expect(ms).toBeLessThan(8000)
    expect(await z3.check(easyUnsat())).toEqual({ kind: 'unsat' })
  })

  test('an already aborted signal does not start the solver', async () => {
    const abort = new AbortController()
    abort.abort()
    expect(await z3.check(easySat(), { signal: abort.signal })).toEqual({
      kind: 'unknown',
      reason: 'interrupted'
    })
  })

  test('interrupting an idle instance does not poison the next check', async () => {
    z3.interrupt()
    z3.ctx.interrupt()
    expect((await z3.check(easySat())).kind).toBe('sat')
  })

  test('concurrent checks are serialised and each gets its own answer', async () => {
    const rs = await Promise.all(
      [1n, 2n, 3n, 4n].map((k) =>
        z3.check([T.eq(T.mul(x, T.bv(k, 64)), T.bv(12, 64)), T.ult(x, T.bv(13, 64))])
      )
    )
    expect(rs.map((r) => (r.kind === 'sat' ? r.model.get('x') : r.kind))).toEqual([12n, 6n, 4n, 3n])
  })

  test('finalizers of z3 objects are deferred while a check runs and flushed after', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const before = finalizationStats()
    for (let i = 0; i < 10; i++) {
      setTimeout(gc, 0)
      await z3.check([T.ult(T.add(x, T.bv(i, 64)), y)])
    }
    const after = finalizationStats()
    expect(after.deferred - before.deferred).toBeGreaterThan(0)
    expect(after.deferred - before.deferred).toBe(after.flushed - before.flushed)
  })
})

describe('Z3Session', () => {
  test('the base stays asserted; candidates are pushed and popped', async () => {
    const s = z3.openSession()
    await s.assertBase([T.eq(y, T.add(x, T.bv(5, 64)))])
    const r1 = await s.check([T.eq(x, T.bv(3, 64))])
    expect(r1).toEqual({
      kind: 'sat',
      model: new Map([
        ['y', 8n],
        ['x', 3n]
      ])
    })
    expect(await s.check([T.eq(y, T.bv(3, 64)), T.eq(x, T.bv(4, 64))])).toEqual({ kind: 'unsat' })
    const r3 = await s.check([T.eq(x, T.bv(10, 64))])
    expect(r3.kind === 'sat' && r3.model.get('y')).toBe(15n)
    await s.assertBase([T.ult(x, T.bv(2, 64))])
    expect(await s.check([T.eq(x, T.bv(10, 64))])).toEqual({ kind: 'unsat' })
    expect((await s.check([T.eq(x, T.bv(1, 64))])).kind).toBe('sat')
    await s.dispose()
  })

  test('a session check can be interrupted and the session stays usable', async () => {
    const s = z3.openSession()
    await s.assertBase(hardFactoring().slice(1))
    const abort = new AbortController()
    setTimeout(() => abort.abort(), 200)
    const r = await s.check(hardFactoring().slice(0, 1), { signal: abort.signal })
    expect(r).toEqual({ kind: 'unknown', reason: 'interrupted' })
    const r2 = await s.check([T.eq(x, T.bv(2, 64)), T.eq(y, T.bv(3, 64))])
    expect(r2.kind).toBe('sat')
    await s.dispose()
  })
})
