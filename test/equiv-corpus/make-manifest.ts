/**
 * @fileoverview Builds test/fixtures/equiv/pairs.json from the pair list (pair-list.json) and
 * the hand-written optimized programs: checks each pair's window form, runs the differential on
 * thousands of inputs (interpreter, and kernel when root), records safety-analysis and verifier
 * verdicts, and searches single-field mutations of the rewritten slots for near misses with a
 * witness. Run with `npx tsx test/equiv-corpus/make-manifest.ts [--inputs N] [--kernel-inputs N]`.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import { disasmSlots } from '../../src-daemon/core/isa/disasm'
import { EQUIV_DIR, safetyRejection, type CorpusProgram } from './corpus-program'
import { differentialRandom } from './differential'
import { describeResult, inputToJson } from './input-json'
import { generateInputs } from './inputs'
import { kernelDifferential, kernelRejection } from './kernel-diff'
import {
  loadPair,
  mutate,
  windowMismatch,
  type Mutation,
  type NearMiss,
  type PairEntry
} from './pairs'

type PairSpec = Pick<
  PairEntry,
  'id' | 'bench' | 'file' | 'rewrite' | 'kinds' | 'window' | 'replacement'
>

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name)
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN
  return Number.isFinite(v) ? v : fallback
}

const INPUTS = flag('--inputs', 3000)
const KERNEL_INPUTS = flag('--kernel-inputs', 200)
const SIZE_BITS = [0x10, 0x08, 0x00, 0x18] as const

/** Candidate single-field mutations of one slot, with their kind. */
function candidates(p: CorpusProgram, slot: number): { m: Mutation; kind: NearMiss['kind'] }[] {
  const s = p.slots[slot]!
  const cls = s.code & 7
  const out: { m: Mutation; kind: NearMiss['kind'] }[] = []
  const add = (field: Mutation['field'], value: number, kind: NearMiss['kind']): void => {
    if (value !== s[field]) out.push({ m: { slot, field, value }, kind })
  }
  const isMem = cls === 1 || cls === 2 || cls === 3
  const usesImm = (cls === 4 || cls === 7 || cls === 5 || cls === 6) && (s.code & 8) === 0
  if (cls === 2 || (usesImm && s.code !== 0x85 && s.code !== 0x95 && s.code !== 0x05)) {
    add('imm', s.imm + 1, 'imm')
    add('imm', s.imm === 0 ? 256 : s.imm * 2, 'imm')
  }
  if (isMem && (s.code & 0xe0) !== 0x20 && (s.code & 0xe0) !== 0x40) {
    add('off', s.off + 1, 'off')
    add('off', s.off - 2, 'off')
    if ((s.code & 0xe0) !== 0xc0)
      for (const b of SIZE_BITS) add('code', (s.code & ~0x18) | b, 'width')
  }
  if (s.code === 0xdb) add('code', 0x7b, 'opcode')
  if ((s.code & 0xf0) === 0xa0 && (cls === 5 || cls === 6))
    add('code', (s.code & 0x0f) | 0xb0, 'opcode')
  if (s.dst < 10 && s.code !== 0x05 && s.code !== 0x85 && s.code !== 0x95)
    add('dst', s.dst === 0 ? 1 : s.dst - 1, 'reg')
  if ((s.code & 8) !== 0 || cls === 3) add('src', s.src === 10 ? 10 : s.src + 1, 'reg')
  if (s.code === 0x48 || s.code === 0x28) add('imm', s.imm + 1, 'imm')
  return out
}

function text(p: CorpusProgram, slot: number): string {
  const r = disasmSlots(p.slots, 'llvm')
  if (!r.ok) return '?'
  let line = 0
  for (let i = 0; i < slot; i++) {
    if (p.slots[i]!.code === 0x18) i++
    line++
  }
  return (r.value[line] ?? '?').replace(/\s*<[^<>]*>$/, '')
}

function findNearMisses(
  spec: PairSpec,
  original: CorpusProgram,
  optimized: CorpusProgram,
  max: number,
  inputs: number
): NearMiss[] {
  const width =
    optimized.slots.length - original.slots.length + spec.window.end - spec.window.start + 1
  const slots: number[] = []
  for (let i = spec.window.start; i < spec.window.start + width && i < optimized.slots.length; i++)
    slots.push(i)
  if (width === 0) slots.push(spec.window.start, spec.window.start - 1, spec.window.start + 1)
  const found: NearMiss[] = []
  const kindsUsed = new Set<string>()
  for (const safeOnly of [true, false]) {
    for (const slot of slots.filter((x) => x >= 0 && x < optimized.slots.length)) {
      for (const { m, kind } of candidates(optimized, slot)) {
        if (found.length >= max) return found
        if (kindsUsed.has(kind)) continue
        const mutant = mutate(optimized, m, `${spec.id}/${kind}`)
        const safety = safetyRejection(mutant) ?? 'ok'
        if (safeOnly && safety !== 'ok') continue
        const d = differentialRandom(original, mutant, inputs, 7).difference
        if (!d || d.a.kind === 'fault' || d.b.kind === 'fault') continue
        kindsUsed.add(kind)
        found.push({
          id: `${spec.id}/${kind}`,
          description: `slot ${slot} ${m.field} ${optimized.slots[slot]![m.field]} → ${m.value}: \`${text(optimized, slot)}\` → \`${text(mutant, slot)}\``,
          kind,
          mutation: m,
          witness: inputToJson(d.input),
          witnessResults: { original: describeResult(d.a), mutant: describeResult(d.b) },
          safety
        })
      }
    }
  }
  return found
}

const specs = JSON.parse(readFileSync(`${EQUIV_DIR}pair-list.json`, 'utf8')) as PairSpec[]
const oracle = new KernelOracle()
const useKernel =
  process.getuid?.() === 0 && (await oracle.availability()).available && KERNEL_INPUTS > 0
const out: PairEntry[] = []
const perBench = new Map<string, number>()
for (const spec of specs) {
  const { original, optimized } = loadPair(spec)
  const w = windowMismatch(original.slots, optimized.slots, spec.window.start, spec.window.end)
  const d = differentialRandom(original, optimized, INPUTS, 1)
  let verifier = 'not checked'
  let kernel = '-'
  if (useKernel) {
    verifier = (await kernelRejection(oracle, optimized)) ?? 'ok'
    const kd = await kernelDifferential(
      oracle,
      original,
      optimized,
      generateInputs(original.env.model, { seed: 2, count: KERNEL_INPUTS })
    )
    kernel =
      kd.error ??
      (kd.difference
        ? `DIFFERS retval ${kd.difference.a.retval}/${kd.difference.b.retval}`
        : `same on ${kd.runs}`)
  }
  const safety = safetyRejection(optimized) ?? 'ok'
  const siblings = specs.filter((x) => x.bench === spec.bench)
  const left = siblings.slice(siblings.indexOf(spec))
  const have = perBench.get(spec.bench) ?? 0
  const want = Math.max(1, Math.min(3, Math.ceil((5 - have) / left.length)))
  let nearMisses = findNearMisses(spec, original, optimized, want, 2000)
  if (nearMisses.length < want) nearMisses = findNearMisses(spec, original, optimized, want, 20000)
  perBench.set(spec.bench, have + nearMisses.length)
  console.log(
    `${spec.id.padEnd(22)} ${original.slots.length}→${optimized.slots.length} window ${w ?? 'ok'} interp ${d.difference ? 'DIFFERS' : `same on ${d.runs}`} kernel ${kernel} safety ${safety} verifier ${verifier} near misses ${nearMisses.map((n) => n.kind).join(',')}`
  )
  if (d.difference)
    console.log(`   A ${describeResult(d.difference.a)}\n   B ${describeResult(d.difference.b)}`)
  out.push({
    ...spec,
    slots: { original: original.slots.length, optimized: optimized.slots.length },
    safety,
    verifier,
    nearMisses
  })
}
await oracle.dispose()
writeFileSync(`${EQUIV_DIR}pairs.json`, JSON.stringify(out, null, 2) + '\n')
console.log(`wrote ${EQUIV_DIR}pairs.json`)
