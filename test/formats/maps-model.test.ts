/** @fileoverview Map definitions in the model: flags, pinning, map-in-map inner maps and what loaders store at creation. */

import { describe, expect, it } from 'vitest'
import { linkLegacyMaps, readBpfObject, type BpfObject } from '../../src-daemon/core/formats'
import { fixture } from './helpers'

function read(name: string): BpfObject {
  const r = readBpfObject(fixture(name), { file: name })
  if (!r.ok) throw new Error(`${r.error.code} ${r.error.message}`)
  return r.value
}

describe('BTF maps (maps_model.o)', () => {
  const byName = new Map(read('maps_model.o').maps.map((m) => [m.name, m]))

  it('keeps pinning and flags', () => {
    expect(byName.get('shared_flows')).toMatchObject({ type: 1, flags: 1, pinning: 1 })
    expect(byName.get('even')!.pinning).toBe(0)
  })

  it('reads `values` initialisers of a map-in-map and of a program array', () => {
    expect(byName.get('by_parity')!.initial).toEqual([
      { index: 0, kind: 'map', name: 'even' },
      { index: 1, kind: 'map', name: 'odd' }
    ])
    expect(byName.get('by_parity')!.inner).toMatchObject({ type: 2, keySize: 4, valueSize: 8 })
    expect(byName.get('legs')!.initial).toEqual([{ index: 2, kind: 'program', name: 'leg' }])
    expect(byName.get('even')!.initial).toBeUndefined()
  })
})

describe('legacy iproute2 maps', () => {
  it('link a map-in-map to its inner map by id and place maps by inner_idx (legacy_inner.o)', () => {
    const maps = new Map(read('legacy_inner.o').maps.map((m) => [m.name, m]))
    expect(maps.get('per_queue')!.ids).toEqual({ id: 7, innerId: 0, innerIndex: 1 })
    expect(maps.get('spare')!.ids).toEqual({ id: 8, innerId: 0, innerIndex: -1 })
    const queues = maps.get('queues')!
    expect(queues.inner).toMatchObject({ name: 'per_queue', type: 2, valueSize: 8, maxEntries: 16 })
    expect(queues.initial).toEqual([{ index: 1, kind: 'map', name: 'per_queue' }])
  })

  it('fill a program array from numbered sections and read pinning (tc_iproute2.o)', () => {
    const obj = readBpfObject(new Uint8Array(fixture('../../fixtures/obj/tc_iproute2.o')), {
      file: 'tc_iproute2.o'
    })
    if (!obj.ok) throw new Error(obj.error.message)
    const maps = new Map(obj.value.maps.map((m) => [m.name, m]))
    expect(maps.get('jumps')).toMatchObject({
      type: 3,
      ids: { id: 1, innerId: 0, innerIndex: 0 },
      initial: [{ index: 0, kind: 'program', name: 'mark_leg' }]
    })
    expect(maps.get('seen')).toMatchObject({ pinning: 2, source: 'legacy' })
    expect(obj.value.programs.map((p) => [p.section, p.name, p.progType.name])).toEqual([
      ['1/0', 'mark_leg', 'unknown'],
      ['ingress_redirect', 'redirect_ingress', 'unknown'],
      ['filter', 'filter_short', 'unknown']
    ])
  })

  it('refuse an inner_id that names no map, and definitions iproute2 would refuse', () => {
    const obj = read('legacy_inner.o')
    const bad = obj.maps.map((m) =>
      m.name === 'queues' ? { ...m, ids: { id: 0, innerId: 99, innerIndex: 0 } } : m
    )
    const r = linkLegacyMaps(bad, obj.programs, 'x.o')
    expect(r.ok ? undefined : r.error).toMatchObject({
      code: 'MAP_BAD_DEFINITION',
      section: 'maps',
      file: 'x.o'
    })
    expect(r.ok ? '' : r.error.message).toBe('map queues: inner map id 99 names no map')
    // Cut the maps section by 4 bytes: 104 bytes do not divide into 3 definitions.
    const bytes = fixture('legacy_inner.o').slice()
    const maps = obj.sections.find((s) => s.name === 'maps')!
    const view = new DataView(bytes.buffer)
    const header = obj.elf.shoff + maps.index * 64
    view.setUint32(header + 32, maps.size - 4, true)
    const cut = readBpfObject(bytes)
    expect(cut.ok ? undefined : cut.error).toMatchObject({
      code: 'MAP_BAD_DEFINITION',
      section: 'maps'
    })
  })
})
