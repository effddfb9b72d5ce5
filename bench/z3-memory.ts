/**
 * @fileoverview Memory of one in-process Z3 instance across many queries: RSS every N queries, with
 * or without forced GC. Usage: node --expose-gc --import tsx bench/z3-memory.ts [--queries N]
 * [--gc-every K] (K = 0: never call gc()) [--report-every R] [--small]. --small asks only a tiny
 * 64-bit identity per query (about a millisecond), so 100,000 queries fit in minutes; the
 * per-query overhead, not the query's difficulty, is what could leak.
 */

import * as T from '../src-daemon/core/smt/terms'
import { Z3Instance } from '../src-daemon/engine/z3/z3-instance'
import { TermGen, prng } from '../test/smt/random-terms'

const args = process.argv.slice(2)
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : dflt
}
const queries = opt('--queries', 2000)
const gcEvery = opt('--gc-every', 100)
const reportEvery = opt('--report-every', 250)
const small = args.includes('--small')
const gc = (globalThis as { gc?: () => void }).gc
if (gcEvery > 0 && gc === undefined) throw new Error('run with --expose-gc or --gc-every 0')

const mb = (n: number): number => Math.round(n / 2 ** 20)
const rss = (): number => mb(process.memoryUsage().rss)
const rss0 = rss()
const z3 = await Z3Instance.create()
const rssInit = rss()
const g = new TermGen(prng(3), false)
const x = T.bvVar('x', 64)
const y = T.bvVar('y', 64)
const rows: string[] = [`queries  rss_mb  heap_mb  ms_per_query`]
let last = performance.now()
for (let i = 1; i <= queries; i++) {
  const mark = T.markTerms()
  // Alternate a pinned random query with a 64-bit equivalence (a small K2-style proof).
  if (small) {
    const k = T.bv(i, 64)
    await z3.check([T.ne(T.add(T.bvXor(x, k), y), T.add(y, T.bvXor(k, x)))])
  } else if (i % 2 === 0) {
    const t = g.bv(g.pick([8, 16, 32]), 3)
    const env = g.env()
    const pins = T.freeVars([t.term]).map((v) =>
      T.eq(
        v,
        v.sort === 'bool'
          ? T.boolConst(env.get(v.name) === true)
          : T.bv(env.get(v.name) as bigint, v.width)
      )
    )
    await z3.check([T.ne(t.term, T.bv(T.evalTerm(t.term, env) as bigint, t.term.width)), ...pins])
  } else {
    const k = T.bv(i, 64)
    const lhs = T.bvXor(T.add(T.shl(T.add(x, k), T.bv(1, 64)), y), T.bvAnd(y, k))
    const rhs = T.bvXor(T.add(T.add(T.add(x, x), T.add(k, k)), y), T.bvAnd(k, y))
    await z3.check([T.ne(lhs, rhs)])
  }
  T.releaseTerms(mark)
  if (gcEvery > 0 && i % gcEvery === 0) gc?.()
  if (i % reportEvery === 0) {
    const now = performance.now()
    rows.push(
      `${String(i).padStart(7)}  ${String(rss()).padStart(6)}  ${String(mb(process.memoryUsage().heapUsed)).padStart(7)}  ${((now - last) / reportEvery).toFixed(1).padStart(12)}`
    )
    last = now
    process.stderr.write(`${rows[rows.length - 1]}\n`)
  }
}
process.stdout.write(
  `z3 memory: rss before init ${rss0} MB, after init ${rssInit} MB, init ${z3.initMs.toFixed(0)} ms, gc every ${gcEvery || 'never'}\n${rows.join('\n')}\n`
)
await z3.dispose()
process.exit(0)
