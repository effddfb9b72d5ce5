/**
 * @fileoverview `summit kernel-check FILE [--section S] [--type T]`: loads a program into the
 * kernel verifier (ELF objects as libbpf loads them), test-runs it once and times it; with
 * `--against ORIGINAL` it checks FILE against ORIGINAL: both verdicts and sizes, a differential
 * run on the same inputs, the instructions each input executes, and latency with a confidence
 * interval. Exit 0 accepted (and no mismatch), 1 verifier rejection or mismatch, 2 bad input or
 * BPF unavailable.
 */
import { readFileSync } from 'node:fs'
import type { RunInput } from '../core/interp/types'
import { isPacketProgType, ProgType } from '../engine/kernel/bpf-constants'
import { kernelCompare, type InputChoice } from '../engine/kernel/kernel-compare'
import { kernelInput, runKindOf, type KernelInput } from '../engine/kernel/kernel-inputs'
import {
  acceptedVerdict,
  loadSubject,
  rejectedVerdict,
  type LoadedSubject
} from '../engine/kernel/kernel-subject'
import { KernelOracle } from '../engine/kernel/oracle'
import { flagInt, flagString, parseArgs, UsageError, type ParsedArgs } from './args'
import { EXIT, type CliIo, type Command } from './command'
import { CliError } from './errors'
import { jsonReplacer } from './format-result'
import { parseInputSpec } from './input-spec'
import { formatCompare, formatSingle, type KernelCheckReport } from './kernel-check-report'
import { checkTarget, compareSide, type CheckTarget } from '../engine/kernel/kernel-plan'
import { typeOverride } from './kernel-type'
import {
  loadInput,
  selectPrograms,
  type LoadedInput,
  type LoadedProgram
} from '../engine/program/load'

/** A 64-byte Ethernet/IPv4/UDP frame 10.0.0.1:1234 → 10.0.0.2:80 (the default test packet). */
export function defaultPacket(): Uint8Array {
  const p = new Uint8Array(64)
  const v = new DataView(p.buffer)
  p.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], 0)
  v.setUint16(12, 0x0800)
  p[14] = 0x45
  v.setUint16(16, 50)
  p[22] = 64
  p[23] = 17
  v.setUint32(26, 0x0a000001)
  v.setUint32(30, 0x0a000002)
  v.setUint16(34, 1234)
  v.setUint16(36, 80)
  v.setUint16(38, 30)
  return p
}

/** The one program `--section` selects (several: SECTION_AMBIGUOUS). */
function oneProgram(input: LoadedInput, section: string | undefined): LoadedProgram {
  const progs = selectPrograms(input, section)
  if (progs.length > 1)
    throw new CliError({
      code: 'SECTION_AMBIGUOUS',
      message: `several programs (${progs.map((p) => p.section + '/' + p.name).join(', ')}); choose one with --section`,
      file: input.file
    })
  return progs[0]!
}

/** Stores `--input`'s map entries (by model index) into the loaded maps. */
async function fillFromSpec(
  oracle: KernelOracle,
  target: CheckTarget,
  loaded: LoadedSubject,
  input: RunInput
): Promise<void> {
  for (const [i, entries] of (input.maps ?? []).entries()) {
    const map = loaded.mapNamed(target.mapNames[i] ?? '')
    if (map === undefined) continue
    for (const e of entries ?? []) {
      const u = await oracle.updateMap(map.handle, e.key, e.value)
      if (!u.ok) throw new CliError({ ...u.error, file: target.file, section: target.section })
    }
  }
}

async function checkOne(
  oracle: KernelOracle,
  target: CheckTarget,
  input: RunInput,
  repeat: number
): Promise<KernelCheckReport> {
  const where = { file: target.file, section: target.section }
  const loaded = await loadSubject(oracle, target.subject)
  if (!loaded.ok) {
    if (loaded.error.code !== 'KERNEL_VERIFIER_REJECTED')
      throw new CliError({ ...loaded.error, ...where })
    return { ...where, ...rejectedVerdict(target.subject, target.progType, loaded.error) }
  }
  const l = loaded.value
  try {
    const accepted = { ...where, ...acceptedVerdict(l) }
    const packetType = isPacketProgType(l.progType)
    if (!packetType && l.progType !== ProgType.rawTracepoint)
      return { ...accepted, note: `${accepted.progType} programs have no test run` }
    await fillFromSpec(oracle, target, l, input)
    const ctxBytes = input.ctx instanceof Uint8Array ? input.ctx : undefined
    const data = packetType ? (input.packet ?? defaultPacket()) : undefined
    const ctx = packetType ? ctxBytes : (ctxBytes ?? input.packet ?? new Uint8Array(96))
    const runInput = {
      ...(data !== undefined ? { data } : {}),
      ...(ctx !== undefined ? { ctx } : {})
    }
    const run = await oracle.testRun(l.program, l.progType, runInput)
    if (!run.ok) throw new CliError({ ...run.error, ...where })
    const withRun = {
      ...accepted,
      retval: run.value.retval,
      ...(run.value.data !== undefined ? { packetOut: run.value.data } : {})
    }
    if (!packetType)
      return { ...withRun, note: 'raw_tracepoint test runs are not timed (no repeat)' }
    const timed = await oracle.testRun(l.program, l.progType, { ...runInput, repeat })
    if (!timed.ok) throw new CliError({ ...timed.error, ...where })
    return { ...withRun, durationNs: timed.value.duration, repeat }
  } finally {
    await l.close()
  }
}

/** `--inputs`: a named set, or a file with one `--input` SPEC per line. */
function inputChoice(value: string | undefined, target: CheckTarget): InputChoice {
  if (value === undefined || value === 'all') return 'all'
  if (value === 'realistic' || value === 'generated') return value
  let text: string
  try {
    text = readFileSync(value, 'utf8')
  } catch {
    throw new UsageError(
      `--inputs: '${value}' is neither realistic, generated, all nor a readable file`
    )
  }
  const kind = runKindOf(target.progType)
  const out: KernelInput[] = []
  for (const [n, line] of text.split('\n').entries()) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue
    const spec = parseInputSpec(line, target.mapDefs)
    const bytes = spec.packet ?? (spec.ctx instanceof Uint8Array ? spec.ctx : new Uint8Array(0))
    const entries = new Map(
      (spec.maps ?? []).flatMap((e, i) =>
        e !== undefined ? [[target.mapNames[i]!, e] as const] : []
      )
    )
    out.push(kernelInput(kind, `${value}:${n + 1}`, bytes, entries))
  }
  return out
}

function positiveList(args: ParsedArgs, name: string): number[] | undefined {
  const v = flagString(args, name)
  if (v === undefined) return undefined
  const list = v.split(',').map(Number)
  if (list.some((x) => !Number.isInteger(x) || x < 1))
    throw new UsageError(`--${name} must list positive integers`)
  return list
}

async function runCompare(
  oracle: KernelOracle,
  args: ParsedArgs,
  io: CliIo,
  file: string,
  original: string,
  vmKernel: string | undefined
): Promise<number> {
  const override = typeOverride(flagString(args, 'type'))
  const section = flagString(args, 'section')
  const inA = loadInput(original)
  const inB = loadInput(file)
  const pa = oneProgram(inA, section)
  const pb = oneProgram(inB, section)
  const ta = checkTarget(inA, pa, override)
  const tb = checkTarget(inB, pb, override)
  const timing = flagString(args, 'timing')
  if (timing !== undefined && timing !== 'duration' && timing !== 'stats')
    throw new UsageError('--timing must be duration or stats')
  const repeats = positiveList(args, 'repeats')
  const report = await kernelCompare(oracle, compareSide(inA, pa, ta), compareSide(inB, pb, tb), {
    inputs: inputChoice(flagString(args, 'inputs'), tb),
    rounds: flagInt(args, 'rounds', 20),
    ...(repeats !== undefined ? { repeats } : {}),
    ...(timing !== undefined ? { timing } : {})
  })
  if (!report.ok) throw new CliError({ ...report.error, file })
  const r = report.value
  const vm = vmKernel !== undefined ? { kernel: `${vmKernel} (VM)` } : {}
  if (args.flags.has('json')) io.out(JSON.stringify({ ...r, ...vm }, jsonReplacer, 2) + '\n')
  else {
    if (vmKernel !== undefined)
      io.out(
        `kernel: Linux ${vmKernel} in a virtual machine (emulated: latency says nothing about hardware)\n`
      )
    io.out(formatCompare(r))
  }
  const bad = !r.original.accepted || !r.rewritten.accepted || r.mismatches.length > 0
  return bad ? EXIT.negative : EXIT.ok
}

/** `summit kernel-check`. */
export const kernelCheckCommand: Command = {
  name: 'kernel-check',
  usage:
    'kernel-check FILE [--section S] [--type T] [--kernel IMAGE] [--input SPEC] [--repeat N] [--against ORIGINAL [--inputs realistic|generated|all|FILE] [--rounds N] [--repeats N,N] [--timing duration|stats]] [--json]',
  summary:
    'loads into the kernel verifier, test-runs and times it, or checks it against ORIGINAL (behaviour, coverage, latency); exit 0 accepted, 1 rejected or mismatch, 2 unavailable/error',
  run: async (argv, io) => {
    const args = parseArgs(argv, {
      valued: [
        'section',
        'type',
        'input',
        'repeat',
        'against',
        'inputs',
        'rounds',
        'repeats',
        'timing',
        'kernel'
      ]
    })
    const [file, ...extra] = args.positionals
    if (file === undefined || extra.length > 0) throw new UsageError('expects one program FILE')
    const repeat = flagInt(args, 'repeat', 10_000)
    if (repeat < 1) throw new UsageError('--repeat must be at least 1')
    const against = flagString(args, 'against')
    let single: { target: CheckTarget; runInput: RunInput } | undefined
    if (against === undefined) {
      const input = loadInput(file)
      const target = checkTarget(
        input,
        oneProgram(input, flagString(args, 'section')),
        typeOverride(flagString(args, 'type'))
      )
      const spec = flagString(args, 'input')
      single = { target, runInput: spec === undefined ? {} : parseInputSpec(spec, target.mapDefs) }
    }
    const image = flagString(args, 'kernel')
    const oracle = new KernelOracle(image !== undefined ? { kernelImage: image } : {})
    try {
      const a = await oracle.availability()
      if (!a.available) {
        const where = image !== undefined ? `in a virtual machine booting ${image}` : 'here'
        io.err(`summit kernel-check: BPF is unavailable ${where}: ${a.reason}\n`)
        return EXIT.error
      }
      const vm = a.vmKernel !== undefined ? { kernel: `${a.vmKernel} (VM)` } : {}
      if (single === undefined)
        return await runCompare(oracle, args, io, file, against!, a.vmKernel)
      const report = {
        ...(await checkOne(oracle, single.target, single.runInput, repeat)),
        ...vm
      }
      io.out(
        args.flags.has('json')
          ? JSON.stringify(report, jsonReplacer, 2) + '\n'
          : formatSingle(report)
      )
      return report.accepted ? EXIT.ok : EXIT.negative
    } finally {
      await oracle.dispose()
    }
  }
}
