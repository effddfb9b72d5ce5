/**
 * @fileoverview `npm run bench -- verify`: prover speed on the K2 benchmark programs.
 *
 * For each program: whole-program queries (K2's output, the hand-optimized pairs and their near
 * misses from test/fixtures/equiv) and window queries (the pairs' window forms and single-slot
 * mutations inside those windows), each timed over several rounds; median and 95th percentile
 * per kind; then RSS after all queries. Options: --rounds N (default 3), --programs a,b, --why
 * (print the reason of every answer that is neither equal nor notEqual).
 */
import { Z3Instance } from '../src-daemon/engine/z3/z3-instance'
import {
  checkEquivalence,
  checkWindowEquivalence,
  type EquivResult
} from '../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../src-daemon/core/smt/enc-state'
import type { Insn } from '../src-daemon/core/isa/insn'
import { validateInsn } from '../src-daemon/core/isa/validate'
import {
  BENCH_NAMES,
  loadK2Output,
  loadOriginal,
  type CorpusProgram
} from '../test/equiv-corpus/corpus-program'
import { loadPair, mutate, readPairs } from '../test/equiv-corpus/pairs'
import { requireShared } from './support/shared-data'

interface Query {
  readonly kind: 'whole' | 'window'
  readonly run: (z3: Z3Instance) => Promise<EquivResult>
}

function modelOf(p: CorpusProgram): EncodeModel {
  return {
    ctx: p.env.model.ctxKind,
    maxPacket: p.env.model.maxPktSz,
    ctxSize: p.env.model.maxPktSz,
    maps: p.env.maps
  }
}

function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number
}

/** The queries of one benchmark program. */
function queriesFor(name: string): Query[] {
  const original = loadOriginal(name)
  const model = modelOf(original)
  const out: Query[] = []
  const whole = (b: readonly Insn[]): Query => ({
    kind: 'whole',
    run: (z3) => checkEquivalence(original.slots, b, model, z3, { timeoutMs: 60_000 })
  })
  out.push(whole(loadK2Output(name).slots))
  for (const e of readPairs().filter((p) => p.bench === name)) {
    const { optimized } = loadPair(e)
    out.push(whole(optimized.slots))
    for (const m of e.nearMisses) out.push(whole(mutate(optimized, m.mutation, m.id).slots))
    const { start, end } = e.window
    const grow = optimized.slots.length - original.slots.length
    const replacement = optimized.slots.slice(start, end + 1 + grow)
    const windowQuery = (rep: readonly Insn[]): Query => ({
      kind: 'window',
      run: (z3) =>
        checkWindowEquivalence(original.slots, start, end, rep, model, z3, { timeoutMs: 60_000 })
    })
    out.push(windowQuery(replacement))
    // Realistic failing candidates: the replacement with one immediate or offset nudged.
    replacement.forEach((s, i) => {
      if (s.code === 0x18 || (i > 0 && replacement[i - 1]?.code === 0x18)) return
      const bumped = replacement.map((x, j) => (j === i ? { ...x, imm: x.imm + 1, off: x.off } : x))
      // Instructions without an immediate get their offset nudged instead.
      const nudged =
        validateInsn(bumped, i) === undefined
          ? bumped
          : replacement.map((x, j) => (j === i ? { ...x, off: x.off + 1 } : x))
      if (validateInsn(nudged, i) === undefined) out.push(windowQuery(nudged))
    })
  }
  return out
}

/** Runs the benchmark; prints one table. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  requireShared('bench/k2/', 'verify')
  const rounds = Number(argv[argv.indexOf('--rounds') + 1] ?? 3) || 3
  const pick = argv.includes('--programs')
    ? (argv[argv.indexOf('--programs') + 1] ?? '').split(',')
    : [...BENCH_NAMES]
  const why = argv.includes('--why')
  const z3 = await Z3Instance.create()
  const rssStart = process.memoryUsage().rss
  let total = 0
  const rows: string[] = []
  try {
    // Warm the solver so the first program does not pay for WASM start-up.
    await queriesFor('xdp_exception')[0]?.run(z3)
    for (const name of pick) {
      const qs = queriesFor(name)
      const times: Record<'whole' | 'window', number[]> = { whole: [], window: [] }
      const verdicts = { equal: 0, notEqual: 0, other: 0 }
      for (let r = 0; r < rounds; r++) {
        for (const q of qs) {
          const t0 = performance.now()
          const res = await q.run(z3)
          times[q.kind].push(performance.now() - t0)
          total++
          if (r === 0 && why && (res.kind === 'unknown' || res.kind === 'error'))
            console.log(`${name} ${q.kind}: ${res.kind}: ${res.reason}`)
          if (r === 0)
            verdicts[
              res.kind === 'equal' ? 'equal' : res.kind === 'notEqual' ? 'notEqual' : 'other'
            ]++
        }
      }
      const f = (x: number): string => (Number.isNaN(x) ? '-' : x.toFixed(1))
      rows.push(
        [
          name.padEnd(20),
          String(qs.filter((q) => q.kind === 'whole').length).padStart(5),
          f(quantile(times.whole, 0.5)).padStart(9),
          f(quantile(times.whole, 0.95)).padStart(9),
          String(qs.filter((q) => q.kind === 'window').length).padStart(6),
          f(quantile(times.window, 0.5)).padStart(9),
          f(quantile(times.window, 0.95)).padStart(9),
          `${verdicts.equal}/${verdicts.notEqual}/${verdicts.other}`.padStart(10)
        ].join('  ')
      )
    }
  } finally {
    await z3.dispose()
  }
  const header = [
    'program'.padEnd(20),
    'whole',
    'med ms',
    'p95 ms',
    'window',
    'med ms',
    'p95 ms',
    'eq/ne/unk'.padStart(10)
  ]
  console.log(
    header
      .map((h, i) => (i === 0 ? h : h.padStart(i === 1 ? 5 : i === 4 ? 6 : i === 7 ? 10 : 9)))
      .join('  ')
  )
  for (const r of rows) console.log(r)
  const rss = process.memoryUsage().rss
  console.log(
    `${total} queries in ${rounds} rounds; RSS ${(rssStart / 2 ** 20).toFixed(0)} MiB before, ${(rss / 2 ** 20).toFixed(0)} MiB after`
  )
}

if (
  process.argv[1] !== undefined &&
  import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')
) {
  void main().then(() => process.exit(0))
}
