/**
 * @fileoverview Search benchmark over the 11 K2 programs: Summit's best slot count within a time
 * budget per program next to K2's published and natively measured results, time to reach K2's
 * count (from the first chain ready, as the time budget counts; the start-up of workers and Z3
 * before it is its own column), candidates/s per core, prover calls and cache hit rate, and the cost of the hot parts
 * (interpreter per candidate, proposals, prover). `npm run bench -- search [--time SEC]
 * [--programs a,b] [--chains N] [--cost sizeNoSlower|count|latency] [--k2-windows] [--out DIR]
 * [--no-pool]`. Uses K2's error settings (no averaging) and Summit's automatic windows;
 * --k2-windows uses K2's hand-picked ones instead. The chains run in a pool of warm workers
 * started once (as the daemon keeps them); --no-pool starts new workers for every program.
 * --out writes each best program as DIR/<name>.insns beside copies of its .maps and .desc, so
 * `summit verify` and `summit kernel-check` can re-check every result.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { loadInput, selectPrograms } from '../src-daemon/engine/program/load'
import { runnable } from '../src-daemon/engine/program/program-model'
import { bytesFromSlots } from '../src-daemon/core/isa/insn'
import { Candidate } from '../src-daemon/core/search/candidate'
import { InterpEvaluator } from '../src-daemon/core/search/evaluator'
import { Proposer } from '../src-daemon/core/search/proposals'
import { Rng } from '../src-daemon/core/search/rng'
import { generateTestInputs } from '../src-daemon/core/search/test-inputs'
import { runSearch } from '../src-daemon/engine/search/engine'
import { SearchPool } from '../src-daemon/engine/search/pool'
import { prepareJob } from '../src-daemon/engine/search/prepare'
import { requireShared } from './support/shared-data'

const DIR = requireShared('bench/k2/', 'search')

interface ManifestEntry {
  name: string
  slots: number
  k2_published: number
  k2_native: { best: number; time_to_best_s: number }
  k2_args: { win_s_list: string; win_e_list: string }
}

/** K2's hand-picked windows of a program (inclusive slot ranges). */
function k2Windows(p: ManifestEntry): [number, number][] {
  const s = p.k2_args.win_s_list.split(',').map(Number)
  const e = p.k2_args.win_e_list.split(',').map(Number)
  return s.map((x, i): [number, number] => [x, e[i] ?? x])
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

const manifest = JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8')) as {
  programs: ManifestEntry[]
}
const timeSeconds = Number(arg('time') ?? 60)
const chains = Number(arg('chains') ?? availableParallelism())
const wanted = arg('programs')?.split(',')
const autoWindows = !process.argv.includes('--k2-windows')
const outDir = arg('out')
const pool = process.argv.includes('--no-pool') ? undefined : new SearchPool()
const poolStart = performance.now()
if (pool !== undefined && chains > 1) await pool.prestart(chains)
const poolMs = performance.now() - poolStart
// K2's counts are slot counts: --cost count searches for slots alone, as K2 does.
const perfModel = (arg('cost') ?? 'sizeNoSlower') as 'sizeNoSlower' | 'count' | 'latency'
if (outDir !== undefined) mkdirSync(outDir, { recursive: true })
let reachedAll = 0
let sumToK2 = 0
let sumToK2Wall = 0
const programs = manifest.programs.filter((p) => wanted === undefined || wanted.includes(p.name))

/** Microseconds per call of `f`, over about `ms` milliseconds. */
function timeIt(f: () => void, ms = 200): number {
  let n = 0
  const t0 = performance.now()
  while (performance.now() - t0 < ms) {
    f()
    n++
  }
  return ((performance.now() - t0) * 1000) / n
}

const rows: string[][] = [
  [
    'program',
    'orig',
    'K2 pub',
    'K2 nat',
    'K2 t(s)',
    'Summit',
    't→K2(s)',
    'start-up(s)',
    'cand/s/core',
    'proofs',
    'hit%',
    'interp µs/cand',
    'propose µs',
    'prove ms/call'
  ]
]
for (const p of programs) {
  const input = loadInput(`${DIR}${p.name}.insns`)
  const r = runnable(input, selectPrograms(input, undefined)[0]!)
  // K2's settings for this experiment: st_avg = 0 (no averaging) and its hand-picked windows.
  const job = prepareJob(
    r,
    { seed: 1, iterations: 0, errorAverage: false, perfModel },
    autoWindows ? {} : { windows: k2Windows(p) }
  )
  if (!job.ok) {
    rows.push([p.name, String(p.slots), String(p.k2_published), '', '', `error: ${job.error.code}`])
    continue
  }
  // Hot parts, measured apart from the search.
  const ev = new InterpEvaluator(
    r.slots,
    r.model,
    generateTestInputs(r.model, { count: job.value.testCount, seed: job.value.testSeed }),
    job.value.options
  )
  const orig = Candidate.fromSlots(r.slots)
  const interpUs = timeIt(() => ev.error(orig, Infinity))
  const proposer = new Proposer(orig, job.value.options)
  const work = orig.clone()
  const rng = new Rng(1)
  const proposeUs = timeIt(() => {
    if (proposer.propose(work, rng) >= 0) proposer.undo(work)
  })
  const out = await runSearch(job.value, {
    chains,
    timeSeconds,
    ...(pool !== undefined ? { pool } : {})
  })
  const pr = out.progress
  const reach = out.improvements.find((m) => m.slots <= p.k2_published)
  if (reach !== undefined || out.bestSlots <= p.k2_published) {
    reachedAll++
    sumToK2 += reach !== undefined ? reach.searchMs / 1000 : 0
    sumToK2Wall += reach !== undefined ? reach.ms / 1000 : 0
  }
  if (outDir !== undefined) {
    writeFileSync(`${outDir}/${p.name}.insns`, bytesFromSlots(out.best))
    for (const ext of ['maps', 'desc'])
      copyFileSync(`${DIR}${p.name}.${ext}`, `${outDir}/${p.name}.${ext}`)
  }
  const proverMs = pr.chains.reduce((a, c) => a + c.prover.ms, 0)
  const calls = pr.proverCalls
  const lookups = calls + pr.proofCacheHits
  rows.push([
    p.name,
    String(p.slots),
    String(p.k2_published),
    String(p.k2_native.best),
    p.k2_native.time_to_best_s.toFixed(1),
    String(out.bestSlots),
    reach !== undefined ? (reach.searchMs / 1000).toFixed(1) : '-',
    reach !== undefined ? ((reach.ms - reach.searchMs) / 1000).toFixed(1) : '-',
    Math.round(pr.candidatesPerSecond / Math.max(1, pr.chains.length)).toString(),
    String(calls),
    lookups > 0 ? ((100 * pr.proofCacheHits) / lookups).toFixed(0) : '-',
    interpUs.toFixed(0),
    proposeUs.toFixed(2),
    calls > 0 ? (proverMs / calls).toFixed(0) : '-'
  ])
  if (out.failures.length > 0) process.stderr.write(`${p.name}: ${out.failures.join('; ')}\n`)
  process.stderr.write(`${p.name} done\n`)
}
await pool?.dispose()
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i]!)).join('  '))
console.log(
  `time budget ${timeSeconds}s per program, ${chains} chain(s), cost ${perfModel}, ${autoWindows ? 'automatic windows' : "K2's windows"}`
)
console.log(
  `at or below K2's published count: ${reachedAll}/${programs.length}; summed time to reach it: ${sumToK2.toFixed(1)} s from the first chain ready, ${(sumToK2Wall + poolMs / 1000).toFixed(1)} s with worker and Z3 start-up${pool !== undefined ? ` (of which ${(poolMs / 1000).toFixed(1)} s starting the pool of warm workers, once)` : ''} (K2 native: ${programs.reduce((a, p) => a + p.k2_native.time_to_best_s, 0).toFixed(1)} s)`
)
