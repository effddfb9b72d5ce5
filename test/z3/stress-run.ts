/**
 * @fileoverview Z3 stress run (child process, needs --expose-gc): many random queries with forced
 * garbage collection during checks; every answer is verified with evalTerm. Prints one JSON line.
 * Usage: node --expose-gc --import tsx test/z3/stress-run.ts [--queries N] [--no-fix [--off]] [--seed S]
 *   [--gc-every K] (a full GC fires while every K-th check is in flight; 0 = never)
 */

import type { BoolTerm } from '../../src-daemon/core/smt/terms'
import * as T from '../../src-daemon/core/smt/terms'
import { finalizationStats } from '../../src-daemon/engine/z3/finalization-guard'
import { Z3Instance } from '../../src-daemon/engine/z3/z3-instance'
import { TermGen, prng } from '../smt/random-terms'

const args = process.argv.slice(2)
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : dflt
}
const queries = opt('--queries', 1000)
const seed = opt('--seed', 1)
const fix = !args.includes('--no-fix')
const mode = fix ? 'defer' : args.includes('--off') ? 'off' : 'observe'
const gcEvery = opt('--gc-every', 1)
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with --expose-gc')

const z3 = await Z3Instance.create({ finalizationGuard: mode })
const g = new TermGen(prng(seed), false)
const counts = { sat: 0, unsat: 0, unknown: 0, wrong: 0, errors: 0 }
const firstProblems: string[] = []
const start = performance.now()

function note(problem: string): void {
  if (firstProblems.length < 5) firstProblems.push(problem)
}

let done = 0
try {
  for (; done < queries; done++) {
    const mark = T.markTerms()
    const t = g.bv(g.pick([8, 16, 32]), 3)
    const env = g.env()
    const value = T.evalTerm(t.term, env) as bigint
    const pins: BoolTerm[] = T.freeVars([t.term]).map((v) =>
      T.eq(
        v,
        v.sort === 'bool'
          ? T.boolConst(env.get(v.name) === true)
          : T.bv(env.get(v.name) as bigint, v.width)
      )
    )
    const wantSat = done % 2 === 0
    const goal = wantSat
      ? [T.eq(t.term, T.bv(value, t.term.width))]
      : [...pins, T.ne(t.term, T.bv(value, t.term.width))]
    // The collection runs while the check is in flight, so z3's finalizers fire during it.
    if (gcEvery > 0 && done % gcEvery === 0) setTimeout(gc, g.int(3))
    const r = await z3.check(goal, { timeoutMs: 10_000 })
    if (r.kind === 'unknown') {
      counts.unknown++
      if (r.reason.startsWith('error')) counts.errors++
      note(`query ${done}: unknown ${r.reason}`)
    } else {
      counts[r.kind]++
      const ok =
        r.kind === 'sat' ? wantSat && T.evalTerm(goal[0] as BoolTerm, r.model) === true : !wantSat
      if (!ok) {
        counts.wrong++
        note(`query ${done}: wrong ${r.kind}`)
      }
    }
    T.releaseTerms(mark)
  }
} catch (e) {
  note(`query ${done}: threw ${e instanceof Error ? e.message : String(e)}`)
  counts.errors++
}
const ms = performance.now() - start
process.stdout.write(
  JSON.stringify({
    mode,
    gcEvery,
    finalizers: finalizationStats(),
    queries: done,
    ...counts,
    ms: Math.round(ms),
    rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
    firstProblems
  }) + '\n'
)
await z3.dispose()
process.exit(counts.wrong + counts.errors > 0 ? 1 : 0)
