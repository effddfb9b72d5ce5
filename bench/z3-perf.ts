/**
 * @fileoverview Z3 adapter timings: init, first and warm checks (QF_BV vs default solver), session
 * checks against a base, pool worker start. Usage: npx tsx bench/z3-perf.ts [--reps N]
 */

import type { BoolTerm } from '../src-daemon/core/smt/terms'
import * as T from '../src-daemon/core/smt/terms'
import { Z3Instance } from '../src-daemon/engine/z3/z3-instance'
import { Z3Pool } from '../src-daemon/engine/z3/z3-pool'

const reps = Number(process.argv[process.argv.indexOf('--reps') + 1] || 30)
const x = T.bvVar('x', 64)
const y = T.bvVar('y', 64)

/** A small 64-bit equivalence, (x + y + k) * 2 vs (x << 1) + y + y + 2k (negated: unsat), or a near miss (sat). */
function equivalence(k: number, sat: boolean): BoolTerm[] {
  const c = T.bv(k, 64)
  const lhs = T.mul(T.add(T.add(x, y), c), T.bv(2, 64))
  const rhs = T.add(T.add(T.add(T.shl(x, T.bv(1, 64)), y), sat ? T.bvNot(y) : y), T.add(c, c))
  return [T.ne(lhs, rhs)]
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
async function time(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now()
  await f()
  return performance.now() - t
}

for (const logic of ['QF_BV', '']) {
  const t0 = performance.now()
  const z3 = await Z3Instance.create({ logic })
  const init = performance.now() - t0
  const first = await time(() => z3.check(equivalence(1000, false)))
  const unsat: number[] = []
  const sat: number[] = []
  for (let i = 0; i < reps; i++) {
    unsat.push(await time(() => z3.check(equivalence(i, false))))
    sat.push(await time(() => z3.check(equivalence(i, true))))
  }
  const base = [T.eq(T.bvVar('z', 64), T.mul(x, T.bv(3, 64))), T.ult(y, T.bvVar('z', 64))]
  const plainWithBase: number[] = []
  for (let i = 0; i < reps; i++) {
    plainWithBase.push(await time(() => z3.check([...base, ...equivalence(i, false)])))
  }
  const session = z3.openSession()
  await session.assertBase(base)
  const inSession: number[] = []
  for (let i = 0; i < reps; i++) {
    inSession.push(await time(() => session.check(equivalence(i, false))))
  }
  console.log(
    `logic ${logic || 'default'}: init ${init.toFixed(0)} ms, first check ${first.toFixed(0)} ms, warm unsat median ${median(unsat).toFixed(1)} ms, warm sat median ${median(sat).toFixed(1)} ms, with a base: plain ${median(plainWithBase).toFixed(1)} ms vs session (push/pop) ${median(inSession).toFixed(1)} ms`
  )
  await z3.dispose()
}

const pool = new Z3Pool({ size: 1 })
const start = await time(() => pool.warmUp())
const viaPool: number[] = []
for (let i = 0; i < reps; i++) viaPool.push(await time(() => pool.check(equivalence(i, false))))
console.log(
  `pool: worker start (tsx bootstrap + init) ${start.toFixed(0)} ms (z3 init inside ${pool.initTimes[0]?.toFixed(0)} ms), warm unsat median ${median(viaPool).toFixed(1)} ms`
)
await pool.dispose()
