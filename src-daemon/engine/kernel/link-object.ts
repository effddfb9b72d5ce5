/** @fileoverview Turns one program of a parsed BPF object into what the kernel oracle loads. */
import type { BpfMap, BpfObject, BpfProgram } from '../../core/formats/bpf-object'
import { linkProgram as linkFunctions } from '../../core/formats/link'
import type { Insn } from '../../core/isa/insn'
import { fail, ok, type Result } from '../../core/util/result'
import { MAP_RDONLY_PROG } from '../../core/analysis/types'
import { MapType } from './bpf-constants'
import type { KernelError } from './kernel-error'
import { PSEUDO_MAP_VALUE } from './map-fd-patching'
import type { MapInitEntry, MapSpec } from './oracle-types'

/** A self-contained program: map references are ld_imm64 src=1/2 with imm = index in `maps`. */
export interface LinkedProgram {
  /** Entry program followed by the subprograms it reaches. */
  readonly insns: Insn[]
  /** The object's maps, then one single-entry array map per global data section used. */
  readonly maps: MapSpec[]
  /** Initial contents by map index (global data sections start with their bytes). */
  readonly mapEntries: (MapInitEntry[] | undefined)[]
  /** Names of the global data sections behind the maps that follow the object's maps. */
  readonly dataSections: string[]
  /** The object functions placed in `insns`, in order, with their first slot there. */
  readonly functions: { readonly program: BpfProgram; readonly firstSlot: number }[]
  /** Program type guessed from the section name (0 if unknown). */
  readonly progType: number
  /** License from the object (default GPL). */
  readonly license: string
}

/** The kernel's form of a map definition: flags, name and the inner template of map-in-map types. */
export function mapSpecOf(m: BpfMap): MapSpec {
  return {
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags,
    name: m.name,
    ...(m.inner !== undefined ? { inner: mapSpecOf(m.inner) } : {})
  }
}

/**
 * Links program `name` of `obj` the way libbpf does (see the core linker): only the subprograms
 * it reaches are appended, map relocations become map indices, and global data relocations
 * become map-value references (src=2, offset in the second slot) to one single-entry array map
 * per data section, numbered after the object's maps in order of first use.
 */
export function linkProgram(obj: BpfObject, name: string): Result<LinkedProgram, KernelError> {
  const entry = obj.programs.find((p) => p.name === name && !p.isSubprogram)
  if (!entry) return fail({ code: 'KERNEL_BAD_INPUT', message: `no program named ${name}` })
  const core = linkFunctions(obj, entry)
  if (!core.ok)
    return fail({
      code: 'KERNEL_BAD_INPUT',
      message: core.error.message,
      ...(core.error.index !== undefined ? { index: core.error.index } : {})
    })
  const maps: MapSpec[] = obj.maps.map(mapSpecOf)
  const mapEntries: (MapInitEntry[] | undefined)[] = maps.map(() => undefined)
  const dataMapIndex = new Map<string, number>()
  const insns: Insn[] = core.value.slots.map((s) => ({ ...s }))
  const functions = core.value.functions.map((f) => ({
    program: f.program,
    firstSlot: f.firstSlot
  }))
  for (const f of functions) {
    for (const rel of f.program.relocations) {
      const at = f.firstSlot + rel.slot
      const t = rel.target
      if (t.kind === 'map' || t.kind === 'call') continue
      if (t.kind !== 'data')
        return fail({
          code: 'KERNEL_BAD_INPUT',
          message: `unsupported relocation (${t.kind})`,
          index: at
        })
      let index = dataMapIndex.get(t.section)
      if (index === undefined) {
        const section = obj.globalData.find((g) => g.sectionIndex === t.sectionIndex)
        if (!section)
          return fail({ code: 'KERNEL_BAD_INPUT', message: `no data section ${t.section}` })
        index = maps.length
        dataMapIndex.set(t.section, index)
        // libbpf's rules: programs may not write `.rodata`, which is frozen once filled.
        maps.push({
          type: MapType.array,
          keySize: 4,
          valueSize: section.size,
          maxEntries: 1,
          name: section.name,
          ...(section.readonly ? { flags: MAP_RDONLY_PROG, freeze: true } : {})
        })
        mapEntries.push([{ key: new Uint8Array(4), value: section.bytes }])
      }
      insns[at] = { ...insns[at]!, src: PSEUDO_MAP_VALUE, imm: index }
    }
  }
  return ok({
    insns,
    maps,
    mapEntries,
    dataSections: [...dataMapIndex.keys()],
    functions,
    progType: entry.progType.progType,
    license: obj.license ?? 'GPL'
  })
}
