/**
 * @fileoverview Confusion matrix of the safety analysis against the kernel verifier on seeded
 * mutants of the 11 K2 benchmark programs:
 * `npx tsx bench/confusion.ts [--mutants N] [--seed S] [--run-types]` (N in total, default
 * 11,000; `--run-types` checks the flat-buffer programs as raw_tracepoint, the type
 * `k2KernelRun` test-runs them as, instead of tracepoint). Prints the 2x2 matrix overall and
 * per program and lists every analysis-accepts-but-kernel-rejects mutant (a bug of the analysis)
 * with the kernel's log tail.
 * Needs root (BPF); exits 2 when BPF is unavailable, 1 when the analysis accepted a rejected mutant.
 */
import { KernelOracle } from '../src-daemon/engine/kernel/oracle'
import { checkedProgram, confusion, formatMatrix } from '../test/differential/confusion-matrix'
import { requireShared } from './support/shared-data'

const K2_NAMES = [
  'socket-0',
  'socket-1',
  'sys_enter_open',
  'xdp1',
  'xdp_cpumap_enqueue',
  'xdp_devmap_xmit',
  'xdp_exception',
  'xdp_fw',
  'xdp_map_access',
  'xdp_pktcntr',
  'xdp_redirect_err'
]

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? process.argv[i + 1] : undefined
  if (v === undefined) return dflt
  if (!/^\d+$/.test(v)) throw new Error(`--${name} expects a non-negative integer`)
  return Number(v)
}

async function main(): Promise<number> {
  requireShared('bench/k2/', 'confusion')
  const total = flag('mutants', 11_000)
  const seed = flag('seed', 1)
  const oracle = new KernelOracle()
  try {
    const a = await oracle.availability()
    if (!a.available) {
      console.error(`confusion: BPF unavailable: ${a.reason}`)
      return 2
    }
    const types = process.argv.includes('--run-types') ? 'run' : 'attach'
    const programs = K2_NAMES.map((n) => checkedProgram(n, types))
    const perProgram = Math.ceil(total / programs.length)
    const t0 = performance.now()
    const r = await confusion(oracle, programs, perProgram, seed, (done, all) => {
      if (done % 1000 === 0) process.stderr.write(`  ${done}/${all}\n`)
    })
    const secs = ((performance.now() - t0) / 1000).toFixed(1)
    console.log(formatMatrix(`overall, seed ${seed}, ${secs} s`, r.overall))
    console.log('')
    for (const [name, m] of r.perProgram) {
      const p = programs.find((q) => q.name === name)!
      console.log(formatMatrix(`${name} (analysis ${p.analysisType})`, m))
    }
    console.log(`\nanalysis accepts, kernel rejects (analysis bugs): ${r.unsound.length}`)
    for (const d of r.unsound)
      console.log(`  ${d.program}: ${d.changes.join('; ')}\n    kernel: ${d.why}`)
    console.log(`\nexamples of analysis rejects, kernel accepts (imprecision):`)
    for (const d of r.imprecise)
      console.log(`  ${d.program}: ${d.changes.join('; ')}\n    analysis: ${d.why}`)
    if (r.kernelErrors.length > 0)
      console.log(
        `\nkernel load errors other than rejections: ${r.kernelErrors.length}, e.g. ${r.kernelErrors[0]}`
      )
    return r.unsound.length === 0 ? 0 : 1
  } finally {
    await oracle.dispose()
  }
}

void main().then((code) => {
  process.exitCode = code
})
