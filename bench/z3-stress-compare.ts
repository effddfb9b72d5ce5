/**
 * @fileoverview Runs the Z3 stress child (test/z3/stress-run.ts) several times with and without the
 * finalization fix and tabulates crashes and wrong answers.
 * Usage: npx tsx bench/z3-stress-compare.ts [runs] [queries]
 */

import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const runs = Number(process.argv[2] ?? 4)
const queries = Number(process.argv[3] ?? 600)
const script = fileURLToPath(new URL('../test/z3/stress-run.ts', import.meta.url))
const root = fileURLToPath(new URL('..', import.meta.url))

for (const flags of [['--no-fix'], []]) {
  const outcomes: string[] = []
  for (let i = 0; i < runs; i++) {
    const args = [
      '--expose-gc',
      '--import',
      'tsx',
      script,
      '--queries',
      String(queries),
      '--seed',
      String(i + 1),
      ...flags
    ]
    const r = spawnSync(process.execPath, args, {
      cwd: root,
      encoding: 'utf8',
      timeout: Number(process.env['STRESS_RUN_TIMEOUT_MS'] ?? 300_000)
    })
    const line = r.stdout.trim().split('\n').pop() ?? ''
    const crashed = !line.startsWith('{')
    const abort = /Aborted\([^)]*\)|RuntimeError: [^\n]*/.exec(r.stderr)?.[0] ?? ''
    outcomes.push(crashed ? `CRASH(exit ${r.status ?? r.signal}) ${abort}` : line)
    process.stdout.write(`${flags.join(' ') || '--fix'} run ${i + 1}: ${outcomes[i]}\n`)
  }
}
