/** @fileoverview `summit run FILE [--section S] --input SPEC [--json]`: interprets a program on one input. */
import { EXIT, type Command } from './command'
import { flagInt, flagString, parseArgs, UsageError } from './args'
import { loadInput, selectPrograms, type LoadedInput } from '../engine/program/load'
import { linkProgram } from '../engine/kernel/link-object'
import { programTypeOption, runnable, type RunnableProgram } from '../engine/program/program-model'
import { CliError } from './errors'
import { hex, jsonReplacer } from './format-result'
import { parseInputSpec } from './input-spec'
import { createMachine } from '../core/interp/api'
import { compileProgram } from '../core/interp/compile'
import type { CtxKind, MapDef, MapEntryInput, RunInput, RunResult } from '../core/interp/types'

/** One changed map entry: `before`/`after` undefined when the entry was absent. */
export interface MapChange {
  readonly map: number
  readonly name: string
  readonly key: Uint8Array
  readonly before?: Uint8Array
  readonly after?: Uint8Array
}

/** What `summit run` reports. */
export interface RunReport {
  readonly file: string
  readonly section: string
  readonly program: string
  readonly ctxKind: CtxKind
  readonly result: RunResult
  /** Map entries the run added, changed or deleted. */
  readonly mapChanges: readonly MapChange[]
  /** Whether the packet differs from the input packet. */
  readonly packetChanged: boolean
}

/** Loads the single program selected by `--section`, as program type `type` when given. */
export function singleProgram(
  file: string,
  section: string | undefined,
  type?: string
): RunnableProgram {
  const input = loadInput(file)
  const progs = selectPrograms(input, section)
  if (progs.length > 1)
    throw new CliError({
      code: 'SECTION_AMBIGUOUS',
      message: `several programs (${progs.map((p) => p.section + '/' + p.name).join(', ')}); choose one with --section`,
      file
    })
  const prog = runnable(input, progs[0]!, type)
  return { ...prog, maps: namedMaps(input, prog) }
}

/** ELF maps by their object names (and global data maps by section name, e.g. `.bss`). */
function namedMaps(input: LoadedInput, prog: RunnableProgram): MapDef[] {
  if (input.object === undefined) return [...prog.maps]
  const linked = linkProgram(input.object, prog.name)
  const objectMaps = input.object.maps
  const sections = linked.ok ? linked.value.dataSections : []
  return prog.maps.map((m, i) => ({
    ...m,
    name: objectMaps[i]?.name ?? sections[i - objectMaps.length] ?? m.name ?? `map${i}`
  }))
}

/** Lets `packet=` stand for the buffer of contexts that have no packet (flat, tracepoint, plain). */
function adaptInput(kind: CtxKind, input: RunInput): RunInput {
  if (input.packet === undefined) return input
  if ((kind === 'flat' || kind === 'tracepoint') && input.ctx === undefined) {
    const { packet, ...rest } = input
    return { ...rest, ctx: packet }
  }
  if (kind === 'plain' && input.mem === undefined) {
    const { packet, ...rest } = input
    return { ...rest, mem: packet }
  }
  return input
}

function key(bytes: Uint8Array): string {
  return hex(bytes)
}

/** Entries that differ between the initial and final map contents. */
function diffMaps(before: readonly (readonly MapEntryInput[])[], result: RunResult): MapChange[] {
  if (result.kind !== 'exit') return []
  const changes: MapChange[] = []
  result.maps.forEach((m, i) => {
    const old = new Map((before[i] ?? []).map((e) => [key(e.key), e.value]))
    const seen = new Set<string>()
    for (const e of m.entries) {
      const k = key(e.key)
      seen.add(k)
      const prev = old.get(k)
      if (prev === undefined || hex(prev) !== hex(e.value))
        changes.push({
          map: i,
          name: m.name,
          key: e.key,
          ...(prev !== undefined ? { before: prev } : {}),
          after: e.value
        })
    }
    for (const [k, v] of old)
      if (!seen.has(k))
        changes.push({
          map: i,
          name: m.name,
          key: (before[i] ?? []).find((e) => key(e.key) === k)!.key,
          before: v
        })
  })
  return changes
}

/** Interprets `prog` on `input`; reports the result and the map changes. */
export function interpret(
  prog: RunnableProgram,
  file: string,
  raw: RunInput,
  budget: number
): RunReport {
  const kind = prog.model.ctx
  const input = adaptInput(kind, raw)
  const size = (b: Uint8Array | undefined): number => b?.length ?? 0
  const ctxBytes = input.ctx instanceof Uint8Array ? input.ctx : undefined
  const machine = createMachine(compileProgram(prog.slots, prog.maps, kind), {
    budget,
    maxPacket: Math.max(4096, size(input.packet)),
    maxMem: Math.max(4096, size(input.mem), size(ctxBytes)),
    maxMapEntries: Math.max(4096, ...prog.maps.map((m) => Math.min(m.maxEntries, 1 << 16)))
  })
  machine.setup(input)
  const before = machine.maps.map((m) => m.entries())
  const result = machine.run(input)
  const packetChanged =
    result.kind === 'exit' && input.packet !== undefined && hex(result.packet) !== hex(input.packet)
  return {
    file,
    section: prog.section,
    program: prog.name,
    ctxKind: kind,
    result,
    mapChanges: diffMaps(before, result),
    packetChanged
  }
}

/** Human-readable report. */
export function formatRunReport(r: RunReport): string {
  const lines = [`${r.file} ${r.section} (${r.ctxKind} context)`]
  const res = r.result
  if (res.kind === 'fault') {
    lines.push(`fault at insn ${res.pc}: ${res.reason} (after ${res.steps} instructions)`)
    return lines.join('\n') + '\n'
  }
  const via = res.via === 'tail_call' ? 'tail call' : 'exit'
  lines.push(`${via} after ${res.steps} instructions`)
  lines.push(`r0 = ${res.r0} (0x${res.r0.toString(16)})`)
  if (res.packet.length > 0 || r.packetChanged)
    lines.push(
      `packet (${res.packet.length} bytes${r.packetChanged ? ', changed' : ', unchanged'}): ${hex(res.packet)}`
    )
  if (r.ctxKind === 'skb' || r.ctxKind === 'socket' || r.ctxKind === 'flat')
    lines.push(`context: ${hex(res.ctx)}`)
  if (r.mapChanges.length === 0) lines.push('maps: unchanged')
  for (const c of r.mapChanges) {
    const was = c.before === undefined ? '(absent)' : hex(c.before)
    const now = c.after === undefined ? '(deleted)' : hex(c.after)
    lines.push(`map ${c.map} (${c.name}) key ${hex(c.key)}: ${was} -> ${now}`)
  }
  for (const e of res.outputs) lines.push(`effect: ${JSON.stringify(e, jsonReplacer)}`)
  return lines.join('\n') + '\n'
}

/** `summit run`. */
export const runCommand: Command = {
  name: 'run',
  usage: 'run FILE [--section S] [--type T] --input SPEC [--budget N] [--json]',
  summary:
    'interprets a program on one input (packet=HEX, ctx=HEX, mem=HEX, r1=N, map:M=K:V, random=N,..., or @file.json) and prints r0, packet and map effects',
  run: async (argv, io) => {
    const args = parseArgs(argv, { valued: ['section', 'type', 'input', 'budget'] })
    const [file, ...extra] = args.positionals
    if (file === undefined || extra.length > 0) throw new UsageError('expects one program FILE')
    const spec = flagString(args, 'input')
    if (spec === undefined)
      throw new UsageError('--input SPEC is required (e.g. --input packet=00ff...)')
    const prog = singleProgram(
      file,
      flagString(args, 'section'),
      programTypeOption(flagString(args, 'type'))
    )
    const input = parseInputSpec(spec, prog.maps)
    const report = interpret(prog, file, input, flagInt(args, 'budget', 1_000_000))
    if (args.flags.has('json')) io.out(JSON.stringify(report, jsonReplacer, 2) + '\n')
    else io.out(formatRunReport(report))
    return report.result.kind === 'fault' ? EXIT.negative : EXIT.ok
  }
}
