/** @fileoverview Reads map definitions: BTF-defined maps in `.maps` and legacy `struct bpf_map_def` in `maps`. */

import type { Diagnostic, Result } from '../util/result'
import { fail, ok } from '../util/result'
import { LeReader } from './bytes'
import type { BpfMap, MapSlot } from './bpf-object'
import type { Btf, BtfType } from './btf'
import { BTF_KIND, skipModifiers, typeSize } from './btf'
import type { ElfFile, ElfSection } from './elf-types'
import { STT } from './elf-types'
import { sectionBytes } from './elf-read'

type MapFields = { -readonly [K in keyof BpfMap]: BpfMap[K] }

function badMap(
  name: string,
  message: string,
  file?: string,
  section = '.maps'
): { ok: false; error: Diagnostic } {
  const d: { code: string; message: string; section: string; file?: string } = {
    code: 'MAP_BAD_DEFINITION',
    message: `map ${name}: ${message}`,
    section
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
    pinning: 0,
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
      f === 'value_size' ||
      f === 'pinning'
    ) {
      const v = uintField(btf, member.type)
      if (v === undefined) return badMap(name, `field ${f} is not __uint(...)`, file)
      if (f === 'type') m.type = v
      else if (f === 'max_entries') m.maxEntries = v
      else if (f === 'map_flags') m.flags = v
      else if (f === 'key_size') m.keySize = v
      else if (f === 'pinning') m.pinning = v
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
    // Other fields (numa_node, map_extra) do not change the model.
  }
  return ok(m)
}

/** Byte offset of the `values` member in a map definition struct, if it has one. */
function valuesOffset(struct: BtfType): number | undefined {
  const m = struct.members.find((x) => x.name === 'values')
  return m === undefined ? undefined : m.offset / 8
}

/**
 * Entries of a `values = { [i] = &x }` initialiser: `.rel.maps` relocations that fall in the
 * definition's `values` array, each naming an inner map or a program by its symbol.
 */
function initialSlots(
  elf: ElfFile,
  mapsSection: ElfSection,
  start: number,
  end: number
): MapSlot[] {
  const table = elf.relocations.find((t) => t.targetIndex === mapsSection.index)
  const out: MapSlot[] = []
  for (const e of table?.entries ?? []) {
    if (e.offset < start || e.offset >= end || (e.offset - start) % 8 !== 0) continue
    const sym = elf.symbols[e.symbol]
    if (sym === undefined || sym.name === '') continue
    out.push({
      index: (e.offset - start) / 8,
      kind: sym.type === STT.FUNC ? 'program' : 'map',
      name: sym.name
    })
  }
  return out.sort((a, b) => a.index - b.index)
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
    const at = valuesOffset(struct)
    const initial =
      at === undefined
        ? []
        : initialSlots(
            elf,
            mapsSection,
            place.offset + at,
            place.offset + (sym?.size ?? entry.size)
          )
    out.push(initial.length > 0 ? { ...m.value, initial } : m.value)
  }
  return ok(out)
}

/** Size of iproute2's `struct bpf_elf_map` (type, key, value, max, flags, id, pinning, inner id and index). */
const ELF_MAP_SIZE = 36
/** The fields every legacy definition has (type, key size, value size, max entries). */
const ELF_MAP_MIN_SIZE = 16

/**
 * Reads a legacy `maps` section as iproute2 does: one definition per global symbol there, all of
 * the section size divided by their number (a multiple of 4 between 16 and 36 bytes); fields
 * missing from shorter definitions are 0. The layout is iproute2's `struct bpf_elf_map` (libbpf's
 * old `struct bpf_map_def` shares its first five fields).
 */
export function readLegacyMaps(elf: ElfFile, section: ElfSection, file?: string): Result<BpfMap[]> {
  const syms = elf.symbols
    .filter((s) => s.shndx === section.index && s.type !== STT.SECTION && s.name !== '')
    .sort((a, b) => a.value - b.value)
  if (syms.length === 0) return ok([])
  const bad = (message: string): Result<never> =>
    fail({ code: 'MAP_BAD_DEFINITION', message, section: section.name, ...(file ? { file } : {}) })
  const defSize = section.size / syms.length
  if (!Number.isInteger(defSize) || defSize % 4 !== 0)
    return bad(
      `${section.size} bytes do not divide into ${syms.length} definitions of 4-byte fields`
    )
  if (defSize < ELF_MAP_MIN_SIZE || defSize > ELF_MAP_SIZE)
    return bad(`definitions of ${defSize} bytes are outside iproute2's 16 to 36`)
  const r = new LeReader(sectionBytes(elf, section))
  const out: BpfMap[] = []
  for (const s of syms) {
    if (s.value % defSize !== 0 || !r.has(s.value, defSize))
      return badMap(
        s.name,
        `legacy definition at ${s.value} is not one of ${defSize}-byte entries`,
        file,
        section.name
      )
    const field = (k: number): number => (k * 4 < defSize ? r.u32(s.value + k * 4) : 0)
    const ids =
      defSize > 20
        ? { id: field(5), innerId: field(7), innerIndex: defSize > 32 ? r.i32(s.value + 32) : 0 }
        : undefined
    out.push({
      name: s.name,
      type: field(0),
      keySize: field(1),
      valueSize: field(2),
      maxEntries: field(3),
      flags: field(4),
      pinning: field(6),
      ...(ids !== undefined ? { ids } : {}),
      source: 'legacy',
      sectionIndex: section.index,
      offset: s.value
    })
  }
  return ok(out)
}

const MAP_IN_MAP = new Set([12, 13])
const PROG_ARRAY = 3

/**
 * iproute2's links between legacy maps and programs: a map-in-map's inner template is the map
 * whose id is its inner_id, and it starts holding every map with that id at the map's inner_idx
 * (unless -1); a program in section `id/key` starts at index `key` of the program array whose id
 * is `id`.
 */
export function linkLegacyMaps(
  maps: readonly BpfMap[],
  programs: readonly { readonly name: string; readonly section: string }[],
  file?: string
): Result<BpfMap[]> {
  const byId = (id: number): BpfMap | undefined =>
    id === 0 ? undefined : maps.find((m) => m.ids?.id === id)
  const out: BpfMap[] = []
  for (const m of maps) {
    if (m.ids === undefined) {
      out.push(m)
      continue
    }
    const initial: MapSlot[] = [...(m.initial ?? [])]
    let inner = m.inner
    if (MAP_IN_MAP.has(m.type) && m.ids.innerId !== 0) {
      const template = byId(m.ids.innerId)
      if (template === undefined)
        return badMap(m.name, `inner map id ${m.ids.innerId} names no map`, file, 'maps')
      inner = template
      for (const x of maps)
        if (x.ids?.id === m.ids.innerId && x.ids.innerId === 0 && x.ids.innerIndex !== -1)
          initial.push({ index: x.ids.innerIndex, kind: 'map', name: x.name })
    }
    if (m.type === PROG_ARRAY && m.ids.id !== 0)
      for (const p of programs) {
        const n = /^(\d+)\/(\d+)$/.exec(p.section)
        if (n !== null && Number(n[1]) === m.ids.id)
          initial.push({ index: Number(n[2]), kind: 'program', name: p.name })
      }
    out.push({
      ...m,
      ...(inner !== undefined ? { inner } : {}),
      ...(initial.length > 0 ? { initial: initial.sort((a, b) => a.index - b.index) } : {})
    })
  }
  return ok(out)
}
