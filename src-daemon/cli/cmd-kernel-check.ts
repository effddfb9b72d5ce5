/**
 * @fileoverview `summit kernel-check FILE [--section S]`: loads a program into the kernel
 * verifier, test-runs it once and times it with BPF_PROG_TEST_RUN. Exit 0 accepted, 1 verifier
 * rejection (the log tail is printed), 2 bad input or BPF unavailable.
 */
import { k2MapFdsToIndices } from '../core/formats/k2'
import { PROGRAM_TYPES } from '../core/formats'
import { programTypeOption } from '../engine/program/program-model'
import { EXIT, type Command } from './command'
import { flagInt, flagString, parseArgs, UsageError } from './args'
import {
  loadInput,
  selectPrograms,
  type LoadedInput,
  type LoadedProgram
} from '../engine/program/load'
import { CliError } from './errors'
import { hex } from './format-result'
import { parseInputSpec } from './input-spec'
import type { Insn } from '../core/isa/insn'
import type { MapDef, RunInput } from '../core/interp/types'
import { isPacketProgType, ProgType } from '../engine/kernel/bpf-constants'
import { k2KernelRun } from '../engine/kernel/k2-run-type'
import { linkProgram } from '../engine/kernel/link-object'
import { KernelOracle } from '../engine/kernel/oracle'
import type {
  LoadedProgram as KernelProgram,
  MapHandle,
  MapInitEntry,
  MapSpec,
  TestRunOutput
} from '../engine/kernel/oracle-types'

/** What the kernel loads: slots with map references by index, maps, initial contents, type. */
export interface KernelPlan {
  readonly insns: readonly Insn[]
  readonly maps: readonly MapSpec[]
  readonly mapDefs: readonly MapDef[]
  readonly mapEntries: readonly (readonly MapInitEntry[] | undefined)[]
  readonly progType: number
  readonly progTypeName: string
  readonly license: string
  /** K2 raw_tracepoint runs: the flat buffer is the context. */
  readonly inputIsCtx: boolean
}

function typeName(t: number): string {
  return [...PROGRAM_TYPES].find(([, v]) => v === t)?.[0] ?? `type ${t}`
}

/** How the kernel loads `program` of `input`; `typeOverride` is a program type name. */
export function kernelPlan(
  input: LoadedInput,
  program: LoadedProgram,
  typeOverride: string | undefined
): KernelPlan {
  const named = programTypeOption(typeOverride)
  const override = named === undefined ? undefined : PROGRAM_TYPES.get(named)
  const specOf = (m: MapDef): MapSpec => ({
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries
  })
  if (input.k2 !== undefined) {
    const k2 = input.k2
    const bare = k2.maps.find(
      (m) => (m.type === 12 || m.type === 13) && m.innerMapIndex === undefined
    )
    if (bare !== undefined)
      throw new CliError({
        code: 'K2_MAP_IN_MAP_TEMPLATE',
        message: `map ${bare.name} is a map-in-map; the kernel needs its inner map template: add "inner_map_idx = N" (N: the .maps line of the template) to its line`,
        file: input.file
      })
    const run = k2KernelRun(k2.desc.pgmInputType, k2.slots)
    const progType = override ?? run.progType
    const mapDefs = k2.maps.map((m) => ({
      name: m.name,
      type: m.type,
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries
    }))
    return {
      insns: k2MapFdsToIndices(
        k2.slots,
        k2.maps.map((m) => m.fd)
      ),
      maps: mapDefs.map(specOf),
      mapDefs,
      mapEntries: [],
      progType,
      progTypeName: typeName(progType),
      license: 'GPL',
      inputIsCtx: !isPacketProgType(progType)
    }
  }
  if (input.object !== undefined) {
    const linked = linkProgram(input.object, program.name)
    if (!linked.ok)
      throw new CliError({ ...linked.error, file: input.file, section: program.section })
    const l = linked.value
    const progType = override ?? l.progType
    if (progType === 0)
      throw new CliError({
        code: 'KERNEL_UNKNOWN_TYPE',
        message: `cannot tell the program type from section '${program.section}'; give --type`,
        file: input.file,
        section: program.section
      })
    return {
      insns: l.insns,
      maps: l.maps,
      mapDefs: l.maps.map((m, i) => ({ name: `map${i}`, ...m })),
      mapEntries: l.mapEntries,
      progType,
      progTypeName: typeName(progType),
      license: l.license,
      inputIsCtx: !isPacketProgType(progType)
    }
  }
  if (override === undefined)
    throw new CliError({
      code: 'KERNEL_UNKNOWN_TYPE',
      message: 'raw bytecode and assembly carry no program type; give --type (e.g. --type xdp)',
      file: input.file
    })
  return {
    insns: program.slots,
    maps: [],
    mapDefs: [],
    mapEntries: [],
    progType: override,
    progTypeName: typeName(override),
    license: 'GPL',
    inputIsCtx: !isPacketProgType(override)
  }
}

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

/** What `kernel-check` found. */
export interface KernelCheckReport {
  readonly file: string
  readonly section: string
  readonly progType: string
  readonly accepted: boolean
  readonly verifiedInsns?: number
  readonly xlatedBytes?: number
  readonly jitedBytes?: number
  readonly log?: string
  readonly retval?: number
  readonly packetOut?: Uint8Array
  /** Average ns per run over `repeat` runs (packet types only). */
  readonly durationNs?: number
  readonly repeat?: number
  /** Why the program was not run or timed. */
  readonly note?: string
}

async function runChecks(
  oracle: KernelOracle,
  plan: KernelPlan,
  input: RunInput,
  repeat: number,
  base: { file: string; section: string }
): Promise<KernelCheckReport> {
  const handles: MapHandle[] = []
  const programs: KernelProgram[] = []
  const head = { ...base, progType: plan.progTypeName }
  try {
    for (const spec of plan.maps) {
      const m = await oracle.createMap(spec)
      if (!m.ok) throw new CliError({ ...m.error, file: base.file, section: base.section })
      handles.push(m.value)
    }
    const fills = plan.maps.map((_, i) => [
      ...(plan.mapEntries[i] ?? []),
      ...(input.maps?.[i] ?? [])
    ])
    for (const [i, entries] of fills.entries())
      for (const e of entries) {
        const u = await oracle.updateMap(handles[i]!, e.key, e.value)
        if (!u.ok) throw new CliError({ ...u.error, file: base.file, section: base.section })
      }
    const loaded = await oracle.load(plan.insns, handles, {
      progType: plan.progType,
      license: plan.license
    })
    if (!loaded.ok) {
      if (loaded.error.code !== 'KERNEL_VERIFIER_REJECTED')
        throw new CliError({ ...loaded.error, file: base.file, section: base.section })
      return { ...head, accepted: false, log: loaded.error.log ?? loaded.error.message }
    }
    const prog = loaded.value
    programs.push(prog)
    const accepted = {
      ...head,
      accepted: true,
      verifiedInsns: prog.verifiedInsns,
      xlatedBytes: prog.xlatedBytes,
      jitedBytes: prog.jitedBytes
    }
    const packetType = isPacketProgType(plan.progType)
    if (!packetType && plan.progType !== ProgType.rawTracepoint)
      return { ...accepted, note: `${plan.progTypeName} programs have no test run` }
    const ctxBytes = input.ctx instanceof Uint8Array ? input.ctx : undefined
    const data = packetType ? (input.packet ?? defaultPacket()) : undefined
    const ctx = packetType ? ctxBytes : (ctxBytes ?? input.packet ?? new Uint8Array(96))
    const run = await oracle.testRun(prog, plan.progType, {
      ...(data !== undefined ? { data } : {}),
      ...(ctx !== undefined ? { ctx } : {})
    })
    if (!run.ok) throw new CliError({ ...run.error, file: base.file, section: base.section })
    const once: TestRunOutput = run.value
    const withRun = {
      ...accepted,
      retval: once.retval,
      ...(once.data !== undefined ? { packetOut: once.data } : {})
    }
    if (!packetType)
      return { ...withRun, note: 'raw_tracepoint test runs are not timed (no repeat)' }
    const timed = await oracle.testRun(prog, plan.progType, {
      ...(data !== undefined ? { data } : {}),
      ...(ctx !== undefined ? { ctx } : {}),
      repeat
    })
    if (!timed.ok) throw new CliError({ ...timed.error, file: base.file, section: base.section })
    return { ...withRun, durationNs: timed.value.duration, repeat }
  } finally {
    for (const h of [...programs, ...handles]) await oracle.close(h)
  }
}

function logTail(log: string, lines: number): string {
  return log.trimEnd().split('\n').slice(-lines).join('\n')
}

function formatReport(r: KernelCheckReport): string {
  const out = [`${r.file} ${r.section}: `]
  if (!r.accepted) {
    out[0] += `rejected by the kernel verifier (as ${r.progType})`
    out.push('verifier log (last lines):', logTail(r.log ?? '', 20))
    return out.join('\n') + '\n'
  }
  out[0] += `accepted by the kernel verifier as ${r.progType}`
  out.push(
    `verifier: ${r.verifiedInsns} instructions processed; ${r.xlatedBytes} bytes translated, ${r.jitedBytes} bytes JITed`
  )
  if (r.retval !== undefined)
    out.push(`test run: retval = ${r.retval} (0x${r.retval.toString(16)})`)
  if (r.packetOut !== undefined) out.push(`packet after the run: ${hex(r.packetOut)}`)
  if (r.durationNs !== undefined)
    out.push(`time: ${r.durationNs} ns per run (BPF_PROG_TEST_RUN, repeat ${r.repeat})`)
  if (r.note !== undefined) out.push(`note: ${r.note}`)
  return out.join('\n') + '\n'
}

function jsonOf(r: KernelCheckReport): string {
  return JSON.stringify(r, (_k, v: unknown) => (v instanceof Uint8Array ? hex(v) : v), 2) + '\n'
}

/** `summit kernel-check`. */
export const kernelCheckCommand: Command = {
  name: 'kernel-check',
  usage: 'kernel-check FILE [--section S] [--type T] [--input SPEC] [--repeat N] [--json]',
  summary:
    'loads into the kernel verifier, test-runs and times it (needs root): exit 0 accepted, 1 rejected, 2 unavailable/error',
  run: async (argv, io) => {
    const args = parseArgs(argv, { valued: ['section', 'type', 'input', 'repeat'] })
    const [file, ...extra] = args.positionals
    if (file === undefined || extra.length > 0) throw new UsageError('expects one program FILE')
    const repeat = flagInt(args, 'repeat', 10_000)
    if (repeat < 1) throw new UsageError('--repeat must be at least 1')
    const input = loadInput(file)
    const progs = selectPrograms(input, flagString(args, 'section'))
    if (progs.length > 1)
      throw new CliError({
        code: 'SECTION_AMBIGUOUS',
        message: `several programs (${progs.map((p) => p.section + '/' + p.name).join(', ')}); choose one with --section`,
        file
      })
    const program = progs[0]!
    const plan = kernelPlan(input, program, flagString(args, 'type'))
    const spec = flagString(args, 'input')
    const runInput = spec === undefined ? {} : parseInputSpec(spec, plan.mapDefs)
    const oracle = new KernelOracle()
    try {
      const a = await oracle.availability()
      if (!a.available) {
        io.err(`summit kernel-check: BPF is unavailable here: ${a.reason}\n`)
        return EXIT.error
      }
      const report = await runChecks(oracle, plan, runInput, repeat, {
        file,
        section: program.section
      })
      io.out(args.flags.has('json') ? jsonOf(report) : formatReport(report))
      return report.accepted ? EXIT.ok : EXIT.negative
    } finally {
      await oracle.dispose()
    }
  }
}
