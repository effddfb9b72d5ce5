/** @fileoverview Turns one program of a parsed BPF object into what the kernel oracle loads. */
import type { BpfMap, BpfObject, BpfProgram } from '../../core/formats/bpf-object'
import type { Insn } from '../../core/isa/insn'
import { fail, ok, type Result } from '../../core/util/result'
import { MapType } from './bpf-constants'
import type { KernelError } from './kernel-error'
import { PSEUDO_MAP_FD, PSEUDO_MAP_VALUE } from './map-fd-patching'
import type { MapInitEntry, MapSpec } from './oracle-types'

/** A self-contained program: map references are ld_imm64 src=1/2 with imm = index in `maps`. */
export interface LinkedProgram {
  /** Entry program followed by the object's `.text` subprograms (when it calls any). */
  readonly insns: Insn[]
  /** The object's maps, then one single-entry array map per global data section used. */
  readonly maps: MapSpec[]
  /** Initial contents by map index (global data sections start with their bytes). */
  readonly mapEntries: (MapInitEntry[] | undefined)[]
  /** Names of the global data sections behind the maps that follow the object's maps. */
  readonly dataSections: string[]
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

const LD_IMM64 = 0x18
const CALL = 0x85

/**
 * Links program `name` of `obj` the way a loader would: map relocations become map indices,
 * global data relocations become map-value references (src=2, offset in the second slot), and
 * bpf-to-bpf calls into `.text` are resolved after appending the `.text` functions.
 */
export function linkProgram(obj: BpfObject, name: string): Result<LinkedProgram, KernelError> {
  const entry = obj.programs.find((p) => p.name === name && !p.isSubprogram)
  if (!entry) return fail({ code: 'KERNEL_BAD_INPUT', message: `no program named ${name}` })
  const maps: MapSpec[] = obj.maps.map(mapSpecOf)
  const mapEntries: (MapInitEntry[] | undefined)[] = maps.map(() => undefined)
  const dataMapIndex = new Map<string, number>()
  const subprograms = obj.programs
    .filter((p) => p.isSubprogram)
    .sort((a, b) => a.firstSlot - b.firstSlot)
  const needsText = entry.relocations.some((r) => r.target.kind === 'call')
  const parts: BpfProgram[] = needsText ? [entry, ...subprograms] : [entry]
  const insns: Insn[] = []
  const textBase = entry.slotCount
  for (const part of parts) {
    const base = insns.length
    insns.push(...part.slots.map((s) => ({ ...s })))
    for (const rel of part.relocations) {
      const at = base + rel.slot
      const ins = insns[at]
      if (!ins)
        return fail({
          code: 'KERNEL_BAD_INPUT',
          message: 'relocation outside the program',
          index: at
        })
      const t = rel.target
      if (t.kind === 'map' && ins.code === LD_IMM64) {
        ins.src = PSEUDO_MAP_FD
        ins.imm = t.mapIndex
      } else if (t.kind === 'data' && ins.code === LD_IMM64) {
        let index = dataMapIndex.get(t.section)
        if (index === undefined) {
          const section = obj.globalData.find((g) => g.sectionIndex === t.sectionIndex)
          if (!section)
            return fail({ code: 'KERNEL_BAD_INPUT', message: `no data section ${t.section}` })
          index = maps.length
          dataMapIndex.set(t.section, index)
          maps.push({
            type: MapType.array,
            keySize: 4,
            valueSize: section.size,
            maxEntries: 1,
            name: section.name
          })
          mapEntries.push([{ key: new Uint8Array(4), value: section.bytes }])
        }
        const second = insns[at + 1]
        if (!second)
          return fail({ code: 'KERNEL_BAD_INPUT', message: 'truncated ld_imm64', index: at })
        ins.src = PSEUDO_MAP_VALUE
        ins.imm = index
        second.imm = t.offset
      } else if (t.kind === 'call' && ins.code === CALL) {
        const target = subprograms.find((p) => p.sectionIndex === t.sectionIndex)
        if (!target || !needsText) {
          return fail({
            code: 'KERNEL_BAD_INPUT',
            message: `call into ${t.section} is not supported`,
            index: at
          })
        }
        // .text functions are appended in section order, so a .text slot maps to textBase + slot.
        ins.imm = textBase + (t.slot - subprograms[0]!.firstSlot) - (at + 1)
      } else {
        return fail({
          code: 'KERNEL_BAD_INPUT',
          message: `unsupported relocation (${t.kind})`,
          index: at
        })
      }
    }
  }
  return ok({
    insns,
    maps,
    mapEntries,
    dataSections: [...dataMapIndex.keys()],
    progType: entry.progType.progType,
    license: obj.license ?? 'GPL'
  })
}
