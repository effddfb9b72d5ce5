/**
 * @fileoverview Z3 stress with forced GC during checks, in a child process (needs --expose-gc).
 * Query count: Z3_STRESS_QUERIES (default 300, ~20-40 s here); e.g. Z3_STRESS_QUERIES=5000 for a
 * long run. Without the finalization fix (`--no-fix` in test/z3/stress-run.ts) such runs crash
 * with Z3 heap corruption; see bench/z3-stress-compare.ts.
 */

import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'

const queries = Number(process.env['Z3_STRESS_QUERIES'] ?? 300)

test(`${queries} checks with GC during each check: no crash, no wrong answer, all frees deferred and flushed`, () => {
  const script = fileURLToPath(new URL('./stress-run.ts', import.meta.url))
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', script, '--queries', String(queries), '--seed', '7'],
    { cwd: root, encoding: 'utf8', timeout: 600_000 }
  )
  expect(r.stderr).not.toMatch(/Aborted|RuntimeError/)
  expect(r.status).toBe(0)
  const report = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as {
    mode: string
    queries: number
    sat: number
    unsat: number
    wrong: number
    errors: number
    finalizers: { deferred: number; flushed: number; duringCheck: number }
  }
  expect(report.mode).toBe('defer')
  expect(report.queries).toBe(queries)
  expect(report.wrong).toBe(0)
  expect(report.errors).toBe(0)
  expect(report.sat + report.unsat).toBe(queries)
  expect(report.finalizers.deferred).toBeGreaterThan(0)
  expect(report.finalizers.flushed).toBe(report.finalizers.deferred)
}, 660_000)
