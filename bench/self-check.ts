/**
 * @fileoverview `npm run bench -- self-check PATH... [--timeout MS] [--rounds N] [--only NAME]`:
 * proves every program of every object (ELF `.o`, K2 `.insns` with its `.maps`/`.desc`) equal to
 * itself and reports the answer and the proof time (median of the rounds), then the programs
 * without an `equal` grouped by reason. A self-check answers `unknown` exactly where a program
 * uses something outside the prover's model, so this lists what real programs still need.
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Z3Instance } from '../src-daemon/engine/z3/z3-instance'
import { checkEquivalence } from '../src-daemon/core/smt/equiv'
import { loadInput, selectPrograms } from '../src-daemon/engine/program/load'
import { runnable } from '../src-daemon/engine/program/program-model'

interface Row {
  readonly program: string
  readonly answer: string
  readonly reason: string
  readonly ms: number
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i < 0 ? undefined : process.argv[i + 1]
}

/** Object files below `path` (a file or a directory, recursively). */
function objects(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path]
  const out: string[] = []
  for (const name of readdirSync(path).sort()) {
    const p = join(path, name)
    if (statSync(p).isDirectory()) out.push(...objects(p))
    else if (name.endsWith('.o') || name.endsWith('.insns')) out.push(p)
  }
  return out
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? NaN
}

const timeoutMs = Number(arg('--timeout') ?? 120_000)
const rounds = Number(arg('--rounds') ?? 1)
const only = arg('--only')
const skip = new Set(['--timeout', '--rounds', '--only'])
const paths = process.argv
  .slice(2)
  .filter((a, i, all) => !a.startsWith('--') && !skip.has(all[i - 1] ?? ''))
if (paths.length === 0) {
  process.stderr.write('usage: self-check PATH... [--timeout MS] [--rounds N] [--only NAME]\n')
  process.exit(2)
}

const z3 = await Z3Instance.create()
const rows: Row[] = []
for (const file of paths.flatMap(objects)) {
  let progs
  try {
    const input = loadInput(file)
    progs = selectPrograms(input, undefined).map((p) => ({
      name: p.name === p.section ? p.section : `${p.section}/${p.name}`,
      run: runnable(input, p)
    }))
  } catch (e) {
    rows.push({ program: file, answer: 'load', reason: (e as Error).message, ms: 0 })
    continue
  }
  for (const p of progs) {
    const program = `${file}:${p.name}`
    if (only !== undefined && !program.includes(only)) continue
    const times: number[] = []
    let answer = ''
    let reason = ''
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now()
      const res = await checkEquivalence(p.run.slots, p.run.slots, p.run.model, z3, { timeoutMs })
      times.push(performance.now() - t0)
      answer = res.kind
      reason = res.kind === 'unknown' || res.kind === 'error' ? res.reason : ''
    }
    const row = { program, answer, reason, ms: median(times) }
    rows.push(row)
    process.stdout.write(
      `${answer.padEnd(8)} ${row.ms.toFixed(0).padStart(7)} ms  ${program}${reason ? `  (${reason})` : ''}\n`
    )
  }
}
await z3.dispose()

const equal = rows.filter((r) => r.answer === 'equal')
process.stdout.write(`\n${equal.length} of ${rows.length} programs proven equal to themselves\n`)
const byReason = new Map<string, string[]>()
for (const r of rows.filter((x) => x.answer !== 'equal')) {
  // Group by the reason without slot numbers and instruction text.
  const key = `${r.answer}: ${r.reason.replace(/slot \d+ \([^)]*\): /, '')}`
  byReason.set(key, [...(byReason.get(key) ?? []), r.program])
}
for (const [reason, list] of [...byReason].sort((a, b) => b[1].length - a[1].length))
  process.stdout.write(
    `${String(list.length).padStart(4)}  ${reason}\n        ${list.slice(0, 4).join('\n        ')}${list.length > 4 ? '\n        ...' : ''}\n`
  )
