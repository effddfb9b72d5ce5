/**
 * @fileoverview `npm run bench -- agreement DIR [--mutants N] [--seed S] [--type T] [--json]`:
 * the safety analysis against this kernel's verifier on every program of every ELF object under
 * DIR (recursively), and with `--mutants N` on N seeded mutants of each program. Prints the
 * agreement matrix overall and per program type, then every disagreement with both reasons
 * (analysis accepts / kernel refuses first: those are soundness bugs). Needs root (BPF); exits 2
 * when BPF is unavailable, 1 when the analysis accepted something the kernel refused.
 */
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { insnText } from '../src-daemon/core/analysis/describe'
import { makeMutants } from '../src-daemon/core/analysis/mutants'
import type { Insn } from '../src-daemon/core/isa/insn'
import { attachTypeOfSection, KERNEL_PROG_TYPES } from '../src-daemon/core/analysis/program-kind'
import { loadInput } from '../src-daemon/engine/program/load'
import {
  agreementMatrix,
  compareWithKernel,
  type Agreement,
  type AgreementMatrix,
  type AgreementProgram
} from '../src-daemon/engine/analysis/agreement'
import { linkProgram } from '../src-daemon/engine/kernel/link-object'
import { kernelBtfBinding } from '../src-daemon/engine/program/kernel-btf'
import { KernelOracle } from '../src-daemon/engine/kernel/oracle'

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

function intFlag(name: string, dflt: number): number {
  const v = flag(name)
  if (v === undefined) return dflt
  if (!/^\d+$/.test(v)) throw new Error(`--${name} expects a non-negative integer`)
  return Number(v)
}

function objectsUnder(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...objectsUnder(p))
    else if (name.endsWith('.o')) out.push(p)
  }
  return out
}

/** Every program of the objects under `dir` as both checkers see it (unreadable ones reported). */
function programsOf(dir: string, onlyType: string | undefined): AgreementProgram[] {
  const out: AgreementProgram[] = []
  for (const file of objectsUnder(dir)) {
    let input
    try {
      input = loadInput(file)
    } catch (e) {
      console.error(`skip ${relative(dir, file)}: ${(e as Error).message}`)
      continue
    }
    const obj = input.object
    if (obj === undefined) continue
    for (const p of input.programs) {
      if (p.isSubprogram || !Object.hasOwn(KERNEL_PROG_TYPES, p.progType)) continue
      if (onlyType !== undefined && p.progType !== onlyType) continue
      const linked = linkProgram(obj, p.name)
      const name = `${relative(dir, file)}:${p.section}/${p.name}`
      if (!linked.ok) {
        console.error(`skip ${name}: ${linked.error.message}`)
        continue
      }
      const attachType = attachTypeOfSection(p.section)
      const btf =
        p.progType === 'tracing' || p.progType === 'lsm'
          ? kernelBtfBinding(p.section, linked.value.license)
          : undefined
      out.push({
        ...(btf !== undefined ? { btf } : {}),
        name,
        slots: linked.value.insns,
        maps: linked.value.maps,
        progType: p.progType as AgreementProgram['progType'],
        ...(attachType !== undefined ? { attachType } : {}),
        license: linked.value.license
      })
    }
  }
  return out
}

/** The slots a mutant changed, as `slot: old -> new` in llvm-objdump text. */
function changes(base: readonly Insn[], mutant: readonly Insn[]): string[] {
  const out: string[] = []
  for (let i = 0; i < base.length; i++) {
    const a = base[i]!
    const b = mutant[i]!
    if (
      a.code === b.code &&
      a.dst === b.dst &&
      a.src === b.src &&
      a.off === b.off &&
      a.imm === b.imm
    )
      continue
    out.push(`${i}: ${insnText(base, i) || '?'} -> ${insnText(mutant, i) || '?'}`)
  }
  return out
}

function formatMatrix(title: string, m: AgreementMatrix): string {
  const w = (n: number): string => String(n).padStart(7)
  const total = m.bothAccept + m.analysisOnly + m.kernelOnly + m.bothReject
  return [
    `${title}: ${total} compared${m.unknown > 0 ? `, ${m.unknown} the kernel could not load` : ''}`,
    `                    kernel accept  kernel reject`,
    `  analysis accept  ${w(m.bothAccept)}        ${w(m.analysisOnly)}`,
    `  analysis reject  ${w(m.kernelOnly)}        ${w(m.bothReject)}`
  ].join('\n')
}

async function main(): Promise<number> {
  const dir = process.argv[2]
  if (dir === undefined || dir.startsWith('--')) {
    console.error(
      'usage: npm run bench -- agreement DIR [--mutants N] [--seed S] [--type T] [--json]'
    )
    return 2
  }
  const mutants = intFlag('mutants', 0)
  const seed = intFlag('seed', 1)
  const oracle = new KernelOracle()
  try {
    const a = await oracle.availability()
    if (!a.available) {
      console.error(`agreement: BPF unavailable: ${a.reason}`)
      return 2
    }
    const programs = programsOf(dir, flag('type'))
    const results: Agreement[] = []
    const t0 = performance.now()
    for (const [i, p] of programs.entries()) {
      results.push(await compareWithKernel(oracle, p))
      for (const mu of mutants > 0 ? makeMutants(p.slots, seed + i * 7919, mutants) : []) {
        const name = `${p.name} mutant: ${changes(p.slots, mu.slots).join('; ')}`
        results.push(await compareWithKernel(oracle, { ...p, name, slots: mu.slots }))
      }
      if ((i + 1) % 50 === 0) process.stderr.write(`  ${i + 1}/${programs.length} programs\n`)
    }
    const secs = ((performance.now() - t0) / 1000).toFixed(1)
    if (process.argv.includes('--json')) {
      console.log(JSON.stringify({ matrix: agreementMatrix(results), results }, null, 1))
    } else {
      console.log(formatMatrix(`all programs (${secs} s)`, agreementMatrix(results)))
      const types = [...new Set(results.map((r) => r.progType))].sort()
      for (const t of types)
        console.log(
          formatMatrix(`\n${t}`, agreementMatrix(results.filter((r) => r.progType === t)))
        )
      const unsound = results.filter((r) => r.analysis.accepted && r.kernel?.accepted === false)
      const imprecise = results.filter((r) => !r.analysis.accepted && r.kernel?.accepted === true)
      console.log(`\nanalysis accepts, kernel refuses (soundness bugs): ${unsound.length}`)
      for (const r of unsound) console.log(`  ${r.name}\n    kernel: ${r.kernel?.reason ?? ''}`)
      console.log(`\nanalysis refuses, kernel accepts (imprecision): ${imprecise.length}`)
      for (const r of imprecise)
        console.log(`  ${r.name}\n    analysis: ${r.analysis.reason ?? ''}`)
      const errors = results.filter((r) => r.kernel === undefined)
      if (errors.length > 0) {
        console.log(`\nnot loadable here: ${errors.length}`)
        for (const r of errors) console.log(`  ${r.name}: ${r.kernelError ?? ''}`)
      }
    }
    return results.some((r) => r.analysis.accepted && r.kernel?.accepted === false) ? 1 : 0
  } finally {
    await oracle.dispose()
  }
}

void main().then((code) => {
  process.exitCode = code
})
