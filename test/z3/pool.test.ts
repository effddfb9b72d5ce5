/** @fileoverview Z3 worker pool: answers, sessions across recycling, crash recovery, limits and kills. */

import type { Worker } from 'node:worker_threads'
import { afterEach, describe, expect, test } from 'vitest'
import * as T from '../../src-daemon/core/smt/terms'
import { Z3Pool } from '../../src-daemon/engine/z3/z3-pool'
import { easySat, easyUnsat, hardFactoring } from './queries'

const x = T.bvVar('x', 64)
const y = T.bvVar('y', 64)
let pool: Z3Pool | undefined

afterEach(async () => {
  await pool?.dispose()
  pool = undefined
})

/** The worker of slot `i` (test-only access to a private field). */
function workerOf(p: Z3Pool, i: number): Worker | undefined {
  return (p as unknown as { slots: Array<{ worker?: Worker }> }).slots[i]?.worker
}

describe('Z3Pool', () => {
  test('answers like an in-process instance, in parallel on two workers', async () => {
    pool = new Z3Pool({ size: 2 })
    await pool.warmUp()
    expect(pool.initTimes).toHaveLength(2)
    const rs = await Promise.all([
      pool.check(easySat()),
      pool.check(easyUnsat()),
      ...[2n, 3n, 4n].map((k) =>
        pool!.check([T.eq(T.mul(x, T.bv(k, 64)), T.bv(12, 64)), T.ult(x, T.bv(13, 64))])
      )
    ])
    expect(rs[0]).toEqual({ kind: 'sat', model: new Map([['x', 7n]]) })
    expect(rs[1]).toEqual({ kind: 'unsat' })
    expect(rs.slice(2).map((r) => (r.kind === 'sat' ? r.model.get('x') : r.kind))).toEqual([
      6n,
      4n,
      3n
    ])
    expect(pool.stats).toMatchObject({ queries: 5, crashes: 0, started: 2 })
  })

  test('a session keeps its base across worker recycling (base resent to the new worker)', async () => {
    pool = new Z3Pool({ size: 1, recycleAfter: 4 })
    const s = pool.openSession()
    await s.assertBase([T.eq(y, T.add(x, T.bv(5, 64)))])
    const ys: unknown[] = []
    for (let i = 0; i < 6; i++) {
      const r = await s.check([T.eq(x, T.bv(i, 64))])
      ys.push(r.kind === 'sat' ? r.model.get('y') : r.kind)
      if (i === 2) await s.assertBase([T.ult(x, T.bv(5, 64))])
    }
    expect(ys).toEqual([5n, 6n, 7n, 8n, 9n, 'unsat'])
    expect(pool.stats.recycled).toBe(1)
    expect(pool.stats.started).toBe(2)
    await s.dispose()
  })

  test('a worker lost mid-query answers unknown/crash and the pool recovers', async () => {
    pool = new Z3Pool({ size: 1 })
    await pool.warmUp()
    const hard = pool.check(hardFactoring())
    setTimeout(() => void workerOf(pool!, 0)?.terminate(), 300)
    expect(await hard).toEqual({ kind: 'unknown', reason: 'crash' })
    expect(await pool.check(easyUnsat())).toEqual({ kind: 'unsat' })
    expect(pool.stats.crashes).toBe(1)
    expect(pool.stats.started).toBe(2)
  })

  test('time limits and aborts pass through to the worker', async () => {
    pool = new Z3Pool({ size: 1 })
    expect(await pool.check(hardFactoring(), { timeoutMs: 300 })).toEqual({
      kind: 'unknown',
      reason: 'timeout'
    })
    const abort = new AbortController()
    setTimeout(() => abort.abort(), 300)
    const start = performance.now()
    expect(await pool.check(hardFactoring(), { signal: abort.signal })).toEqual({
      kind: 'unknown',
      reason: 'interrupted'
    })
    expect(performance.now() - start).toBeLessThan(8000)
    expect(pool.stats.killed).toBe(0)
  })

  test('a query overrunning its limit plus grace gets its worker terminated', async () => {
    pool = new Z3Pool({ size: 1, killGraceMs: 0 })
    await pool.warmUp()
    expect(await pool.check(hardFactoring(), { timeoutMs: 1 })).toMatchObject({ kind: 'unknown' })
    expect(await pool.check(easySat())).toMatchObject({ kind: 'sat' })
    expect(pool.stats.started).toBe(pool.stats.killed + 1)
  })
})
