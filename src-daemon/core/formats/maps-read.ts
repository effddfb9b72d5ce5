/** @fileoverview Reads map definitions: BTF-defined maps in `.maps` and legacy `struct bpf_map_def` in `maps`. */

import type { Diagnostic, Result } from '../util/result'
import { fail, ok } from '../util/result'
import { LeReader } from './bytes'
import type { BpfMap } from './bpf-object'
import type { Btf, BtfType } from './btf'
import { BTF_KIND, skipModifiers, typeSize } from './btf'
import type { ElfFile, ElfSection } from './elf-types'
import { STT } from './elf-types'
import { sectionBytes } from './elf-read'

type MapFields = { -readonly [K in keyof BpfMap]: BpfMap[K] }

function badMap(name: string, message: string, file?: string): { ok: false; error: Diagnostic } {
  const d: { code: string; message: string; section: string; file?: string } = {
    code: 'MAP_BAD_DEFINITION',
    message: `map ${name}: ${message}`,
    section: '.maps'
  }
  if (file !== undefined) d.file = file
  return fail(d)
}

/** Reads `__uint(field, N)`: a pointer to an array of N ints. */
function uintField(btf: Btf, typeId: number): number | undefined {
  const ptr = skipModifiers(btf, typeId)
  if (ptr?.kind !== BTF_KIND.PTR) return undefined
  const arr = skipModifiers(btf, ptr.sizeOrType)
  return arr?.kind === BTF_KIND.ARRAY ? arr.array?.nelems : undefined
}

/** Reads `__type(field, T)`: a pointer to T; gives sizeof(T). */
function pointeeSize(btf: Btf, typeId: number): number | undefined {
  const ptr = skipModifiers(btf, typeId)
  if (ptr?.kind !== BTF_KIND.PTR) return undefined
  return typeSize(btf, ptr.sizeOrType)
}

/** Parses one map-definition struct; `depth` limits map-in-map nesting. */
function mapFromStruct(
  btf: Btf,
  struct: BtfType,
  name: string,
  place: { sectionIndex: number; offset: number },
  file: string | undefined,
  depth: number
): Result<BpfMap> {
  const m: MapFields = {
    name,
    type: 0,
    keySize: 0,
    valueSize: 0,
    maxEntries: 0,
    flags: 0,
    source: 'btf',
    sectionIndex: place.sectionIndex,
    offset: place.offset
  }
  for (const member of struct.members) {
    const f = member.name
    if (
      f === 'type' ||
      f === 'max_entries' ||
      f === 'map_flags' ||
      f === 'key_size' ||
      f === 'value_size'
    ) {
      const v = uintField(btf, member.type)
      if (v === undefined) return badMap(name, `field ${f} is not __uint(...)`, file)
      if (f === 'type') m.type = v
      else if (f === 'max_entries') m.maxEntries = v
      else if (f === 'map_flags') m.flags = v
      else if (f === 'key_size') m.keySize = v
      else m.valueSize = v
    } else if (f === 'key' || f === 'value') {
      const size = pointeeSize(btf, member.type)
      if (size === undefined)
        return badMap(name, `field ${f} is not __type(...) of a sized type`, file)
      if (f === 'key') m.keySize = size
      else m.valueSize = size
    } else if (f === 'values') {
      const arr = skipModifiers(btf, member.type)
      const elem =
        arr?.kind === BTF_KIND.ARRAY && arr.array ? skipModifiers(btf, arr.array.type) : undefined
      if (elem?.kind !== BTF_KIND.PTR) return badMap(name, 'field values is not __array(...)', file)
      const target = skipModifiers(btf, elem.sizeOrType)
      m.valueSize = 4
      // Map-in-map: values point to an inner map struct; prog arrays point to a func proto.
      if (target?.kind === BTF_KIND.STRUCT && depth < 4) {
        const inner = mapFromStruct(btf, target, `${name}.inner`, place, file, depth + 1)
        if (!inner.ok) return inner
        m.inner = inner.value
      }
    }
    // Other fields (pinning, numa_node, map_extra) do not change the model.
  }
  return ok(m)
}

/** Reads BTF-defined maps from the `.maps` DATASEC, placing each by its ELF symbol. */
export function readBtfMaps(
  elf: ElfFile,
  btf: Btf,
  mapsSection: ElfSection,
  file?: string
): Result<BpfMap[]> {
  const datasec = btf.types.find((t) => t.kind === BTF_KIND.DATASEC && t.name === '.maps')
  if (datasec === undefined) return ok([])
  const out: BpfMap[] = []
  for (const entry of datasec.members) {
    const v = btf.types[entry.type]
    if (v?.kind !== BTF_KIND.VAR)
      return badMap(`#${entry.type}`, 'DATASEC entry is not a variable', file)
    const struct = skipModifiers(btf, v.sizeOrType)
    if (struct?.kind !== BTF_KIND.STRUCT) return badMap(v.name, 'definition is not a struct', file)
    const sym = elf.symbols.find((s) => s.name === v.name && s.shndx === mapsSection.index)
    const place = { sectionIndex: mapsSection.index, offset: sym?.value ?? entry.offset }
    const m = mapFromStruct(btf, struct, v.name, place, file, 0)
    if (!m.ok) return m
    out.push(m.value)
  }
  return ok(out)
}

/** Reads legacy `struct bpf_map_def` entries (4-byte fields) from a `maps` section, one per symbol. */
export function readLegacyMaps(elf: ElfFile, section: ElfSection, file?: string): Result<BpfMap[]> {
  const syms = elf.symbols
    .filter((s) => s.shndx === section.index && s.type !== STT.SECTION && s.name !== '')
    .sort((a, b) => a.value - b.value)
  if (syms.length === 0) return ok([])
  const defSize = Math.floor(section.size / syms.length)
  const r = new LeReader(sectionBytes(elf, section))
  const out: BpfMap[] = []
  for (const s of syms) {
    if (defSize < 16 || !r.has(s.value, Math.min(defSize, 20)))
      return badMap(s.name, `legacy definition at ${s.value} is truncated (size ${defSize})`, file)
    out.push({
      name: s.name,
      type: r.u32(s.value),
      keySize: r.u32(s.value + 4),
      valueSize: r.u32(s.value + 8),
      maxEntries: r.u32(s.value + 12),
      flags: defSize >= 20 ? r.u32(s.value + 16) : 0,
      source: 'legacy',
      sectionIndex: section.index,
      offset: s.value
    })
  }
  return ok(out)
}
