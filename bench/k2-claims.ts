/**
 * @fileoverview Checks K2's published equivalence claims: for each of the 11 benchmark programs,
 * the original and K2's output run on thousands of generated inputs in the interpreter and, when
 * BPF is available (root), on hundreds in the kernel (BPF_PROG_TEST_RUN); both also go through
 * the safety analysis and the kernel verifier. Prints a verdict table; `--write` stores the
 * verdicts in test/fixtures/equiv/k2-claims.json (keeping hand-written `why` notes).
 *
 * Usage: npx tsx bench/k2-claims.ts [--inputs N] [--kernel-inputs N] [--seed N] [--write]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { KernelOracle } from '../src-daemon/engine/kernel/oracle'
import { BENCH_NAMES, EQUIV_DIR } from '../test/equiv-corpus/corpus-program'
import { checkClaim, type ClaimRecord } from '../test/equiv-corpus/k2-claims'
import { describeInput, inputFromJson } from '../test/equiv-corpus/input-json'
import { requireShared } from './support/shared-data'

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name)
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN
  return Number.isFinite(v) ? v : fallback
}

requireShared('bench/k2/', 'k2-claims')
const inputs = flag('--inputs', 5000)
const kernelInputs = flag('--kernel-inputs', 300)
const seed = flag('--seed', 1)
const write = process.argv.includes('--write')
const file = `${EQUIV_DIR}k2-claims.json`

const oracle = new KernelOracle()
const avail = process.getuid?.() === 0 ? await oracle.availability() : undefined
const useKernel = avail?.available === true && kernelInputs > 0
if (!useKernel)
  console.log(
    `kernel: not used (${avail && !avail.available ? avail.reason : 'not root or disabled'})`
  )

const previous = new Map<string, ClaimRecord>()
if (existsSync(file))
  for (const r of JSON.parse(readFileSync(file, 'utf8')) as ClaimRecord[]) previous.set(r.name, r)

const records: ClaimRecord[] = []
console.log(
  `inputs ${inputs} per program (+ map-recycled follow-ups), kernel ${useKernel ? kernelInputs : 0}, seed ${seed}`
)
console.log(
  'program              saved  verdict  interp-runs  kernel-runs  kernel   safety(orig/k2)  verifier(orig/k2)'
)
for (const name of BENCH_NAMES) {
  const t = Date.now()
  const c = await checkClaim(name, { inputs, kernelInputs, seed, ...(useKernel ? { oracle } : {}) })
  const why = previous.get(name)?.why
  records.push({
    ...c.record,
    ...(why !== undefined && c.record.verdict === 'refuted' ? { why } : {})
  })
  const ok = (s: string | undefined): string => (s === undefined ? 'ok' : 'REJECT')
  console.log(
    [
      name.padEnd(20),
      String(c.nops).padStart(5),
      c.record.verdict.padEnd(8),
      String(c.interpRuns).padStart(11),
      String(c.kernelRuns ?? '-').padStart(11),
      (c.kernel ?? '-').slice(0, 8).padEnd(8),
      `${ok(c.safety.original)}/${ok(c.safety.k2)}`.padEnd(16),
      c.verifier ? `${ok(c.verifier.original)}/${ok(c.verifier.k2)}` : '-',
      `${Date.now() - t} ms`
    ].join(' ')
  )
  for (const [who, why2] of Object.entries({ ...c.safety, ...c.verifier }))
    console.log(`    ${who}: ${why2}`)
  if (c.kernel?.startsWith('differs') || c.kernel?.startsWith('error'))
    console.log(`    kernel: ${c.kernel}`)
  if (c.record.witness) {
    console.log(`    witness: ${describeInput(inputFromJson(c.record.witness))}`)
    console.log(`    original: ${c.record.witnessResults?.original ?? ''}`)
    console.log(`    k2:       ${c.record.witnessResults?.k2 ?? ''}`)
  }
}
await oracle.dispose()
if (write) {
  writeFileSync(file, JSON.stringify(records, null, 2) + '\n')
  console.log(`wrote ${file}`)
}
