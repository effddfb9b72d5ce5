/**
 * @fileoverview Big programs end to end: `npm run bench -- big FILE [--time SEC] [--chains N]
 * [--inner MAP=TYPE:KEY:VALUE:ENTRIES] [--out DIR]`. Times the safety analysis of the original,
 * a windowed search, the whole-program proof of the best result and its export (written in the
 * input's own format to DIR), and prints each figure. K2's triples do not describe the inner
 * map of a map-in-map; `--inner` gives it (Katran's `lru_mapping` holds LRU hashes of 40-byte
 * flow keys and 16-byte values, as its `fallback_cache`).
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { basename } from 'node:path'
import { loadInput, selectPrograms } from '../src-daemon/engine/program/load'
import { runnable, type RunnableProgram } from '../src-daemon/engine/program/program-model'
import { describeRefusal } from '../src-daemon/core/analysis/describe'
import type { MapDef } from '../src-daemon/core/interp/types'
import { bytesFromSlots } from '../src-daemon/core/isa/insn'
import { chooseProfile } from '../src-daemon/core/search/safety'
import { runSearch } from '../src-daemon/engine/search/engine'
import { finalCheck, prepareJob } from '../src-daemon/engine/search/prepare'
import { Z3Instance } from '../src-daemon/engine/z3/z3-instance'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

/** The program with the inner maps `--inner` describes. */
function withInner(r: RunnableProgram, spec: string | undefined): RunnableProgram {
  if (spec === undefined) return r
  const m = /^([^=]+)=(\d+):(\d+):(\d+):(\d+)$/.exec(spec)
  if (m === null) throw new Error('--inner expects MAP=TYPE:KEY:VALUE:ENTRIES')
  const inner: MapDef = {
    type: Number(m[2]),
    keySize: Number(m[3]),
    valueSize: Number(m[4]),
    maxEntries: Number(m[5])
  }
  const maps = r.maps.map((x) => (x.name === m[1] ? { ...x, inner } : x))
  if (!maps.some((x) => x.inner !== undefined)) throw new Error(`--inner: no map named ${m[1]}`)
  return { ...r, maps, model: { ...r.model, maps } }
}

const file = process.argv[2]
if (file === undefined || file.startsWith('--')) {
  console.error(
    'usage: npm run bench -- big FILE [--time SEC] [--chains N] [--inner ...] [--out DIR]'
  )
  process.exit(2)
}
const input = loadInput(file)
const r = withInner(runnable(input, selectPrograms(input, undefined)[0]!), arg('inner'))
const seconds = (t0: number): string => ((performance.now() - t0) / 1000).toFixed(1)
console.log(`${basename(file)}: ${r.slots.length} slots, ${r.maps.length} maps, type ${r.progType}`)

let t0 = performance.now()
const choice = chooseProfile(r.slots, r.progType, r.model, r.attachType, undefined, r.btf)
if (!choice.ok) {
  const e = choice.error
  console.log(
    `analysis refuses the original (${seconds(t0)} s): ${describeRefusal(r.slots, e.error, e.state)}`
  )
  process.exit(1)
}
console.log(`analysis accepts the original as ${choice.value.progType}: ${seconds(t0)} s`)

const job = prepareJob(r, { seed: 1, iterations: 0 }, {})
if (!job.ok) throw new Error(job.error.message)
t0 = performance.now()
let lastReport = 0
const out = await runSearch(job.value, {
  chains: Number(arg('chains') ?? availableParallelism()),
  timeSeconds: Number(arg('time') ?? 120),
  progressMs: 5000,
  onProgress: (p) => {
    if (performance.now() - lastReport < 10_000) return
    lastReport = performance.now()
    const checks = p.chains.reduce((a, c) => a + c.safety.checks, 0)
    process.stderr.write(
      `  ${seconds(t0)} s: ${p.iterations} candidates, best ${Math.min(...p.chains.map((c) => c.bestSlots))} slots, ${checks} safety checks, ${p.proverCalls} proofs\n`
    )
  }
})
const p = out.progress
console.log(
  `search: ${seconds(t0)} s, ${p.iterations} candidates, ${r.slots.length} -> ${out.bestSlots} slots, ` +
    `${p.proverCalls} proofs, safety checks ${p.chains.reduce((a, c) => a + c.safety.checks, 0)}`
)
for (const f of out.failures) console.log(`  warning: ${f}`)

if (out.bestSlots < r.slots.length) {
  const z3 = await Z3Instance.create()
  try {
    t0 = performance.now()
    const fc = await finalCheck(job.value, out.best, z3, 600_000)
    const why = fc.proof.kind === 'unknown' ? ` (${fc.proof.reason})` : ''
    console.log(
      `whole-program proof: ${fc.proof.kind}${why}, analysis ${fc.accepted ? 'accepts' : 'refuses'}: ${seconds(t0)} s`
    )
    const dir = arg('out')
    if (dir !== undefined && fc.sound) {
      t0 = performance.now()
      mkdirSync(dir, { recursive: true })
      const name = basename(file)
      writeFileSync(`${dir}/${name}`, bytesFromSlots(out.best))
      for (const ext of ['maps', 'desc']) {
        const src = file.replace(/\.insns$/, `.${ext}`)
        copyFileSync(src, `${dir}/${name.replace(/\.insns$/, `.${ext}`)}`)
      }
      console.log(`exported to ${dir}/${name}: ${seconds(t0)} s`)
    }
  } finally {
    await z3.dispose()
  }
}
