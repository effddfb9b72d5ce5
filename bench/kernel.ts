/**
 * @fileoverview Kernel benchmark over the 11 K2 programs: each is optimized with `summit
 * optimize`'s default budget (or taken from `--from DIR`, e.g. `npm run bench -- search --out
 * DIR`), then checked against its original in the kernel as `summit kernel-check --against` does:
 * verifier acceptance of the best, differential mismatches, instructions reached, latency original
 * vs optimized with 95% sign-test intervals, and how many are measurably slower.
 * `npm run bench -- kernel [--from DIR] [--out DIR] [--time SEC | --iterations N] [--chains N]
 * [--programs a,b] [--rounds N] [--repeats N,N] [--json]`
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { optimizeCommand } from '../src-daemon/cli/cmd-optimize'
import { checkTarget, compareSide } from '../src-daemon/engine/kernel/kernel-plan'
import { loadInput, selectPrograms } from '../src-daemon/engine/program/load'
import { kernelCompare, type CompareReport } from '../src-daemon/engine/kernel/kernel-compare'
import { KernelOracle } from '../src-daemon/engine/kernel/oracle'

const DIR = fileURLToPath(new URL('../../shared/bench/k2/', import.meta.url))

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

if (process.argv.includes('--help')) {
  process.stdout.write(
    'npm run bench -- kernel [--from DIR] [--out DIR] [--time SEC | --iterations N] [--chains N] [--programs a,b] [--rounds N] [--repeats N,N] [--json]\n'
  )
  process.exit(0)
}
if (!existsSync(`${DIR}manifest.json`)) {
  process.stderr.write(`kernel bench: ${DIR} is missing (the shared K2 benchmark)\n`)
  process.exit(2)
}
const manifest = JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8')) as {
  programs: { name: string; slots: number }[]
}
const wanted = arg('programs')?.split(',')
const from = arg('from')
const outDir = arg('out') ?? mkdtempSync(join(tmpdir(), 'summit-kernel-bench-'))
mkdirSync(outDir, { recursive: true })
const rounds = Number(arg('rounds') ?? 20)
const repeats = arg('repeats')?.split(',').map(Number)
const budget = [
  ...(arg('time') !== undefined ? ['--time', arg('time')!] : []),
  ...(arg('iterations') !== undefined ? ['--iterations', arg('iterations')!] : []),
  ...(arg('chains') !== undefined ? ['--chains', arg('chains')!] : [])
]

/** Optimizes one program with `summit optimize` (its default budget unless given) into outDir. */
async function optimize(name: string): Promise<{ file: string; seconds: number }> {
  const out = join(outDir, `${name}.insns`)
  for (const ext of ['maps', 'desc'])
    copyFileSync(`${DIR}${name}.${ext}`, join(outDir, `${name}.${ext}`))
  let text = ''
  const code = await optimizeCommand.run(
    [`${DIR}${name}.insns`, '--out', out, '--json', ...budget],
    {
      out: (t) => void (text += t),
      err: () => undefined
    }
  )
  if (code !== 0) throw new Error(`${name}: optimize exited ${code}`)
  const doc = JSON.parse(text) as { stats: { seconds: number } }
  return { file: out, seconds: doc.stats.seconds }
}

const oracle = new KernelOracle()
const availability = await oracle.availability()
if (!availability.available) {
  process.stderr.write(`kernel bench: BPF is unavailable here: ${availability.reason}\n`)
  process.exit(2)
}
const results: {
  name: string
  slots: [number, number]
  seconds?: number
  report: CompareReport
}[] = []
try {
  for (const p of manifest.programs.filter(
    (q) => wanted === undefined || wanted.includes(q.name)
  )) {
    let best: string
    let seconds: number | undefined
    if (from !== undefined) best = join(from, `${p.name}.insns`)
    else ({ file: best, seconds } = await optimize(p.name))
    const inA = loadInput(`${DIR}${p.name}.insns`)
    const inB = loadInput(best)
    const pa = selectPrograms(inA, undefined)[0]!
    const pb = selectPrograms(inB, undefined)[0]!
    const report = await kernelCompare(
      oracle,
      compareSide(inA, pa, checkTarget(inA, pa, undefined)),
      compareSide(inB, pb, checkTarget(inB, pb, undefined)),
      { rounds, ...(repeats !== undefined ? { repeats } : {}) }
    )
    if (!report.ok) throw new Error(`${p.name}: ${report.error.code} ${report.error.message}`)
    // Slots that do something: `goto +0` fillers (K2's NOPs) do not count.
    const live = (slots: readonly { code: number; off: number }[]): number =>
      slots.filter((s) => s.code !== 0x05 || s.off !== 0).length
    results.push({
      name: p.name,
      slots: [live(pa.slots), live(pb.slots)],
      ...(seconds !== undefined ? { seconds } : {}),
      report: report.value
    })
    process.stderr.write(`${p.name} done\n`)
  }
} finally {
  await oracle.dispose()
}

if (process.argv.includes('--json')) {
  process.stdout.write(JSON.stringify(results, null, 2) + '\n')
  process.exit(0)
}
const f1 = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(1))
const rows: string[][] = [
  [
    'program',
    'type',
    'slots',
    'verifier',
    'xlated B',
    'jited B',
    'inputs',
    'reach',
    'mismatch',
    'orig ns',
    'best ns',
    'diff ns [95% CI]',
    'latency'
  ]
]
for (const r of results) {
  const a = r.report.original
  const b = r.report.rewritten
  const l = r.report.latency
  const last = l?.perRepeat[l.perRepeat.length - 1]
  const ran = r.report.inputs.filter((i) => i.outcome !== 'refused')
  const reach = ran.filter(
    (i) => i.reachesChange.original.length + i.reachesChange.rewritten.length > 0
  )
  rows.push([
    r.name,
    a.progType,
    `${r.slots[0]}→${r.slots[1]}`,
    `${a.accepted ? 'ok' : 'REJ'}/${b.accepted ? 'ok' : 'REJ'}`,
    `${a.xlatedBytes ?? '-'}→${b.xlatedBytes ?? '-'}`,
    `${a.jitedBytes ?? '-'}→${b.jitedBytes ?? '-'}`,
    `${ran.length}/${r.report.inputs.length}`,
    String(reach.length),
    String(r.report.mismatches.length),
    f1(last?.original.median),
    f1(last?.rewritten.median),
    last === undefined
      ? (r.report.latencyNote ?? r.report.notRun ?? '-')
      : `${last.difference >= 0 ? '+' : ''}${last.difference.toFixed(1)} [${f1(last.interval?.low)}, ${f1(last.interval?.high)}]`,
    l?.verdict ?? '-'
  ])
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '))
const accepted = results.filter((r) => r.report.rewritten.accepted).length
const mismatches = results.reduce((n, r) => n + r.report.mismatches.length, 0)
const slower = results.filter((r) => r.report.latency?.verdict === 'slower').length
const faster = results.filter((r) => r.report.latency?.verdict === 'faster').length
console.log(
  `best accepted by the verifier: ${accepted}/${results.length}; differential mismatches: ${mismatches}; measurably slower: ${slower}, faster: ${faster} (${rounds} rounds, repeats ${(repeats ?? [1000, 10000]).join(',')}; ns per run at the largest repeat count, mean over the timed inputs; raw_tracepoint programs timed with BPF_ENABLE_STATS)`
)
console.log(`optimized programs: ${from ?? outDir}`)
