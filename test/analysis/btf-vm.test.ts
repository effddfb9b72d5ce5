/**
 * @fileoverview fentry, fexit, fmod_ret and LSM programs written in C (compiled here with clang)
 * checked by Debian 12's Linux 6.1 in a QEMU VM (`kernel-check --kernel`: libbpf in the VM sets
 * each attach target from the VM kernel's BTF) and by the safety analysis with that kernel's own
 * BTF (read from the VM) and `--target-kernel 6.1`. Every program must relate as measured
 * (`btf-vm-programs.ts`): both accept, both refuse, or the analysis refuses what the kernel
 * accepts; never the other way. One VM boot for all of them; the agreement matrix is printed.
 * Skipped with the reason printed without clang, libbpf headers, QEMU or the 6.1 image.
 */
import { execFile, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { parseKernelVersion } from '../../src-daemon/core/analysis/kernel-target'
import { chooseProfile } from '../../src-daemon/core/search/safety'
import { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import { oracleKernelBtf } from '../../src-daemon/engine/kernel/vm-btf'
import { useKernelBtf, useRunningKernelBtf } from '../../src-daemon/engine/program/kernel-btf'
import { loadInput } from '../../src-daemon/engine/program/load'
import { runnable } from '../../src-daemon/engine/program/program-model'
import { hasTool, printSkip, testKernelImage } from '../support/environment'
import { EXPECTED, GPL_SOURCE, NON_GPL_SOURCE, type Relation } from './btf-vm-programs'

const run = promisify(execFile)
const WHAT = 'BTF-typed programs against Linux 6.1 in a VM'
const TARGET = parseKernelVersion('6.1')

/** One program's two verdicts (`why`: the refusal reasons). */
interface Verdicts {
  readonly kernel: 'accept' | 'reject'
  readonly analysis: 'accept' | 'reject'
  readonly why: string
}

/** Each program of `source` as a source of its own: the shared prelude, the program, the license. */
function splitPrograms(source: string): Map<string, string> {
  const first = source.indexOf('SEC("')
  const license = source.indexOf('char LICENSE[]')
  const prelude = source.slice(0, first)
  const out = new Map<string, string>()
  for (const block of source.slice(first, license).split(/\n(?=SEC\(")/)) {
    const name = /\bint (?:BPF_PROG\()?(\w+)/.exec(block)?.[1]
    if (name === undefined) throw new Error(`no program name in ${block}`)
    out.set(name, `${prelude}${block}\n${source.slice(license)}`)
  }
  return out
}

/**
 * Compiles every program into an object of its own (debug info stripped when llvm-strip is
 * there, BTF kept): requests reach the VM over an emulated serial port at a few tens of KB/s, so
 * small objects keep the test short. Undefined (reason printed) when a tool is missing.
 */
async function build(): Promise<string | undefined> {
  if (!hasTool('clang', WHAT)) return undefined
  if (!hasTool('qemu-system-x86_64', WHAT, 'qemu-system-x86')) return undefined
  if (!existsSync('/usr/include/bpf/bpf_tracing.h')) {
    printSkip(WHAT, 'libbpf headers are not installed (Debian package libbpf-dev)')
    return undefined
  }
  const strip = spawnSync('sh', ['-c', 'command -v llvm-strip']).status === 0
  const dir = mkdtempSync(join(tmpdir(), 'summit-btf-vm-'))
  const jobs = [...splitPrograms(GPL_SOURCE), ...splitPrograms(NON_GPL_SOURCE)]
  const compile = async ([name, source]: [string, string]): Promise<void> => {
    const c = join(dir, `${name}.c`)
    const o = join(dir, `${name}.o`)
    writeFileSync(c, source)
    await run('clang', [
      '-O2',
      '-g',
      '-target',
      'bpf',
      '-I/usr/include/x86_64-linux-gnu',
      '-c',
      c,
      '-o',
      o
    ])
    if (strip) await run('llvm-strip', ['-g', o])
  }
  // Two at a time: the machine's cores are shared.
  for (let i = 0; i < jobs.length; i += 2) await Promise.all(jobs.slice(i, i + 2).map(compile))
  return dir
}

/** The analysis verdict on `name` (its attach target resolved against the BTF in use). */
function analysisVerdict(file: string, name: string): { ok: boolean; why: string } {
  if (!TARGET.ok) throw new Error('6.1 does not parse')
  const input = loadInput(file)
  const p = input.programs.find((q) => q.name === name)
  if (p === undefined) throw new Error(`${name} not in ${file}`)
  // Summit types no sleepable sections (`fentry.s/`): the analysis is asked as with `--type`.
  const sleepable = /^(fentry|fexit|fmod_ret|lsm)\.s\//.exec(p.section)?.[1]
  const r = runnable(
    input,
    p,
    sleepable === undefined ? undefined : sleepable === 'lsm' ? 'lsm' : 'tracing'
  )
  const c = chooseProfile(r.slots, r.progType, r.model, r.attachType, TARGET.value, r.btf)
  return c.ok ? { ok: true, why: '' } : { ok: false, why: c.error.error.message }
}

/** The line of a verifier log that says why (the one before its statistics). */
function lastWords(log: string): string {
  const lines = log.trim().split('\n')
  const i = lines.findIndex((l) => l.startsWith('processed '))
  return (i > 0 ? lines[i - 1] : lines[lines.length - 1]) ?? ''
}

/** Every program's verdicts, from one VM boot; undefined (reason printed) when it cannot run. */
async function measure(dir: string, image: string): Promise<Map<string, Verdicts> | undefined> {
  const oracle = new KernelOracle({ kernelImage: image })
  try {
    const a = await oracle.availability()
    if (!a.available) {
      printSkip(WHAT, a.reason)
      return undefined
    }
    const btf = await oracleKernelBtf(oracle, image)
    if (!btf.ok) throw new Error(btf.error.message)
    const used = useKernelBtf(btf.value.btf, btf.value.release)
    if (!used.ok) throw new Error(used.error.message)
    const out = new Map<string, Verdicts>()
    for (const name of Object.keys(EXPECTED)) {
      const file = join(dir, `${name}.o`)
      const mine = analysisVerdict(file, name)
      const k = await oracle.openObject(readFileSync(file), { load: [name] })
      if (k.ok) await oracle.closeObject(k.value)
      else if (k.error.code === 'KERNEL_HELPER' || k.error.code === 'KERNEL_UNAVAILABLE')
        throw new Error(`${name}: ${k.error.message}`)
      const kernelWhy = k.ok ? '' : lastWords(k.error.log ?? k.error.message)
      out.set(name, {
        kernel: k.ok ? 'accept' : 'reject',
        analysis: mine.ok ? 'accept' : 'reject',
        why: [mine.why, kernelWhy].filter((w) => w !== '').join(' | kernel: ')
      })
    }
    return out
  } finally {
    useRunningKernelBtf()
    await oracle.dispose()
  }
}

/** The measured relation of two verdicts ('analysis only' is the unsound one). */
function relation(v: Verdicts): Relation | 'analysis only' {
  if (v.kernel === v.analysis) return v.kernel === 'accept' ? 'both accept' : 'both refuse'
  return v.analysis === 'reject' ? 'analysis stricter' : 'analysis only'
}

/** The agreement matrix and each program's relation, as printed. */
function matrix(verdicts: Map<string, Verdicts>): string {
  const count = (k: string, a: string): number =>
    [...verdicts.values()].filter((v) => v.kernel === k && v.analysis === a).length
  const lines = [
    `${WHAT}: kernel × analysis over ${verdicts.size} programs`,
    `  kernel accept: analysis accept ${count('accept', 'accept')}, refuse ${count('accept', 'reject')}`,
    `  kernel reject: analysis accept ${count('reject', 'accept')}, refuse ${count('reject', 'reject')}`
  ]
  for (const [name, v] of verdicts) lines.push(`  ${name}: ${relation(v)} ${v.why}`)
  return lines.join('\n')
}

const dir = await build()
const image = dir === undefined ? undefined : testKernelImage(WHAT)
const started = Date.now()
const verdicts = dir !== undefined && image !== undefined ? await measure(dir, image) : undefined
if (verdicts !== undefined) console.log(`${matrix(verdicts)}\n  (${Date.now() - started} ms)`)
afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe.skipIf(verdicts === undefined)(WHAT, () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name}: ${expected}`, () => {
      const v = verdicts?.get(name) as Verdicts
      expect(relation(v), v.why).not.toBe('analysis only')
      expect(relation(v), v.why).toBe(expected)
    })
  }
})
