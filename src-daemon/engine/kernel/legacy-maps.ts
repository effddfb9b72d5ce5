/**
 * @fileoverview Map-in-map in legacy `maps` sections, as their loaders create it:
 * - iproute2 (tc, ip), `struct bpf_elf_map` {type, size_key, size_value, max_elem, flags, id,
 *   pinning, inner_id, inner_idx} (36 bytes): an outer map (array or hash of maps) is created with
 *   the map whose `id` equals its `inner_id` as the inner template, and afterwards every map with
 *   an `id`, no `inner_id` and an `inner_idx` other than 0xffffffff is stored at that index of each
 *   outer map naming its id;
 * - Linux samples' bpf_load, `struct bpf_load_map_def` {type, key_size, value_size, max_entries,
 *   map_flags, inner_map_idx, numa_node} (28 bytes): the template is the map at `inner_map_idx`.
 * Pinning is not followed: a check creates every map fresh.
 */
import type { BpfObject } from '../../core/formats/bpf-object'
import { sectionBytes } from '../../core/formats/elf-read'
import { mapSpecOf } from './link-object'
import type { MapSpec } from './oracle-types'

/** Size of iproute2's `struct bpf_elf_map` (nine u32 fields). */
const ELF_MAP_BYTES = 36
/** Size of Linux samples' `struct bpf_load_map_def` (seven u32 fields). */
const LOAD_MAP_BYTES = 28
const ARRAY_OF_MAPS = 12
const HASH_OF_MAPS = 13
const NO_INDEX = 0xffffffff

/** iproute2's extra fields of one legacy map. */
interface ElfMapIds {
  readonly id: number
  readonly innerId: number
  readonly innerIdx: number
}

/** An inner map stored into an outer map after creation: `outer[key] = inner`, by map index. */
export interface MapLink {
  readonly outer: number
  readonly key: number
  readonly inner: number
}

/** The object's maps as its legacy loader creates them: inner templates, and the links to store. */
export interface LegacyMaps {
  readonly specs: MapSpec[]
  readonly links: MapLink[]
}

function isMapInMap(type: number): boolean {
  return type === ARRAY_OF_MAPS || type === HASH_OF_MAPS
}

/** The legacy maps section and its definition size (0 when there is none). */
function legacyLayout(obj: BpfObject): { bytes: Uint8Array; size: number } {
  const legacy = obj.maps.filter((m) => m.source === 'legacy')
  const section = obj.sections.find((x) => x.index === legacy[0]?.sectionIndex)
  if (section === undefined || legacy.length === 0) return { bytes: new Uint8Array(0), size: 0 }
  return { bytes: sectionBytes(obj.elf, section), size: Math.floor(section.size / legacy.length) }
}

/** iproute2's id fields of each legacy map, when the `maps` section holds `struct bpf_elf_map`s. */
function elfMapIds(
  obj: BpfObject,
  layout: { bytes: Uint8Array; size: number }
): (ElfMapIds | undefined)[] {
  const { bytes, size } = layout
  if (size < ELF_MAP_BYTES) return obj.maps.map(() => undefined)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return obj.maps.map((m) => {
    if (m.source !== 'legacy' || m.offset + ELF_MAP_BYTES > bytes.length) return undefined
    return {
      id: view.getUint32(m.offset + 20, true),
      innerId: view.getUint32(m.offset + 28, true),
      innerIdx: view.getUint32(m.offset + 32, true)
    }
  })
}

/** The inner template index of each map-in-map of a samples-style section (`inner_map_idx`). */
function innerMapIndices(
  obj: BpfObject,
  layout: { bytes: Uint8Array; size: number }
): (number | undefined)[] {
  const { bytes, size } = layout
  if (size !== LOAD_MAP_BYTES) return obj.maps.map(() => undefined)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const legacy = obj.maps.filter((m) => m.source === 'legacy')
  return obj.maps.map((m) => {
    if (m.source !== 'legacy' || !isMapInMap(m.type) || m.offset + 24 > bytes.length)
      return undefined
    const template = legacy[view.getUint32(m.offset + 20, true)]
    return template === undefined ? undefined : obj.maps.indexOf(template)
  })
}

/**
 * The object's map specs (in `obj.maps` order) with map-in-map templates resolved as the legacy
 * loaders resolve them (a template the reader already found is kept), and the inner maps to store.
 */
export function legacyMaps(obj: BpfObject): LegacyMaps {
  const layout = legacyLayout(obj)
  const ids = elfMapIds(obj, layout)
  const samples = innerMapIndices(obj, layout)
  const byId = new Map<number, number>()
  ids.forEach((e, i) => {
    if (e !== undefined && e.id !== 0) byId.set(e.id, i)
  })
  const specs = obj.maps.map((m, i): MapSpec => {
    const spec = mapSpecOf(m)
    const template = ids[i]?.innerId ? byId.get(ids[i]!.innerId) : samples[i]
    if (spec.inner !== undefined || !isMapInMap(m.type) || template === undefined) return spec
    return { ...spec, inner: mapSpecOf(obj.maps[template]!) }
  })
  const links: MapLink[] = []
  ids.forEach((e, i) => {
    if (e === undefined || e.id === 0 || e.innerId !== 0 || e.innerIdx === NO_INDEX) return
    ids.forEach((o, j) => {
      if (o !== undefined && isMapInMap(obj.maps[j]!.type) && o.innerId === e.id)
        links.push({ outer: j, key: e.innerIdx, inner: i })
    })
  })
  return { specs, links }
}
