/** @fileoverview `summit info FILE`: programs with section, type and instruction count; maps. */
import { EXIT, type Command } from './command'
import { parseArgs, UsageError } from './args'
import { loadInput, type LoadedInput, type LoadedMap } from '../engine/program/load'
import { mapTypeName } from '../engine/program/map-types'
import { decodeLenient } from '../core/isa/decode'

/** Number of instructions (an ld_imm64 counts once) in `slots`. */
function insnCount(slots: Parameters<typeof decodeLenient>[0]): number {
  return decodeLenient(slots).length
}

/** The JSON document `summit info --json` prints. */
export function infoJson(input: LoadedInput): unknown {
  return {
    file: input.file,
    format: input.kind,
    ...(input.license !== undefined ? { license: input.license } : {}),
    programs: input.programs.map((p) => ({
      name: p.name,
      section: p.section,
      type: p.progType,
      subprogram: p.isSubprogram,
      slots: p.slots.length,
      instructions: insnCount(p.slots)
    })),
    maps: input.maps.map(mapJson)
  }
}

function mapJson(m: LoadedMap): Record<string, unknown> {
  return {
    name: m.name,
    type: mapTypeName(m.type),
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    ...(m.flags ? { flags: m.flags } : {}),
    ...(m.pinning ? { pinning: m.pinning } : {}),
    ...(m.inner !== undefined ? { inner: mapJson(m.inner) } : {}),
    ...(m.initial !== undefined ? { initial: m.initial } : {})
  }
}

/** The extra attributes of a map, as `  flags 0x1  pinned 2  inner hash 4/8/16  holds 0=x`. */
function mapExtras(m: LoadedMap): string {
  const out: string[] = []
  if (m.flags) out.push(`flags 0x${m.flags.toString(16)}`)
  if (m.pinning) out.push(`pinning ${m.pinning}`)
  if (m.inner !== undefined)
    out.push(
      `inner ${mapTypeName(m.inner.type)} key ${m.inner.keySize} B value ${m.inner.valueSize} B max_entries ${m.inner.maxEntries}`
    )
  if (m.initial !== undefined)
    out.push(`holds ${m.initial.map((x) => `[${x.index}] ${x.kind} ${x.name}`).join(', ')}`)
  return out.map((x) => `  ${x}`).join('')
}

/** `summit info`. */
export const infoCommand: Command = {
  name: 'info',
  usage: 'info FILE [--json]',
  summary: 'lists programs (section, type, instruction count) and maps of an input',
  run: async (argv, io) => {
    const args = parseArgs(argv, { valued: [] })
    const file = args.positionals[0]
    if (file === undefined || args.positionals.length > 1) throw new UsageError('expects one FILE')
    const input = loadInput(file)
    if (args.flags.has('json')) {
      io.out(JSON.stringify(infoJson(input), null, 2) + '\n')
      return EXIT.ok
    }
    io.out(`${input.file}: ${input.kind}${input.license ? `, license ${input.license}` : ''}\n`)
    io.out(`programs (${input.programs.length}):\n`)
    for (const p of input.programs) {
      const role = p.isSubprogram ? ' (subprogram)' : ''
      io.out(
        `  ${p.section}  ${p.name}${role}  type ${p.progType}  ${insnCount(p.slots)} instructions, ${p.slots.length} slots\n`
      )
    }
    io.out(`maps (${input.maps.length}):\n`)
    for (const m of input.maps) {
      io.out(
        `  ${m.name}  ${mapTypeName(m.type)}  key ${m.keySize} B  value ${m.valueSize} B  max_entries ${m.maxEntries}${mapExtras(m)}\n`
      )
    }
    return EXIT.ok
  }
}
