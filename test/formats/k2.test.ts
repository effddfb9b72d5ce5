/** @fileoverview K2 triple tests: all benchmark programs and K2 outputs round-trip. */

import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  parseK2Desc,
  parseK2Insns,
  k2InnerMap,
  parseK2Maps,
  parseK2Program,
  writeK2Desc,
  writeK2Insns,
  writeK2Maps
} from '../../src-daemon/core/formats'
import { k2BenchDir, k2OutputsDir } from '../support/environment'

const benchDir = k2BenchDir() ?? ''
const outDir = k2OutputsDir() ?? ''
const HAVE_K2 = benchDir !== '' && outDir !== ''
const names = (HAVE_K2 ? readdirSync(benchDir) : [])
  .filter((f) => f.endsWith('.insns'))
  .map((f) => f.slice(0, -'.insns'.length))
const bytes = (p: string): Uint8Array => new Uint8Array(readFileSync(p))

describe.skipIf(!HAVE_K2)('K2 triples of bench/k2', () => {
  it('has the 11 benchmark programs', () => {
    expect(names.length).toBe(11)
  })

  it.each(names)('%s round-trips byte-exactly (.insns) and by value (.maps, .desc)', (name) => {
    const insns = bytes(join(benchDir, `${name}.insns`))
    const mapsText = readFileSync(join(benchDir, `${name}.maps`), 'utf8')
    const descText = readFileSync(join(benchDir, `${name}.desc`), 'utf8')
    const p = parseK2Program(insns, mapsText, descText, name)
    if (!p.ok) throw new Error(`${p.error.code}: ${p.error.message}`)
    expect(p.value.slots.length).toBe(insns.length / 8)
    expect(Buffer.from(writeK2Insns(p.value.slots)).equals(Buffer.from(insns))).toBe(true)
    // Maps: one per non-empty line, fds as written; canonical text re-parses to the same value.
    const lines = mapsText.split('\n').filter((l) => l.trim() !== '')
    expect(p.value.maps.length).toBe(lines.length)
    expect(p.value.maps.map((m) => m.fd)).toEqual(lines.map((_, i) => i))
    expect(parseK2Maps(writeK2Maps(p.value.maps))).toEqual({ ok: true, value: p.value.maps })
    // Files that were already canonical (closing brace, newline) come back byte-exactly.
    if (mapsText.split('\n').every((l) => l === '' || l.endsWith('}')))
      expect(writeK2Maps(p.value.maps)).toBe(mapsText)
    expect(parseK2Desc(writeK2Desc(p.value.desc))).toEqual({ ok: true, value: p.value.desc })
    expect([0, 1, 2, 3]).toContain(p.value.desc.pgmInputType)
    expect(p.value.desc.maxPktSz).toBeGreaterThan(0)
  })

  it.each(names)('K2 output %s.insns round-trips byte-exactly and keeps the slot count', (name) => {
    const out = bytes(join(outDir, `${name}.insns`))
    const slots = parseK2Insns(out)
    if (!slots.ok) throw new Error(slots.error.message)
    expect(Buffer.from(writeK2Insns(slots.value)).equals(Buffer.from(out))).toBe(true)
    expect(out.length).toBe(bytes(join(benchDir, `${name}.insns`)).length)
  })

  it('reads specific values', () => {
    const m = parseK2Maps(readFileSync(join(benchDir, 'xdp_fw.maps'), 'utf8'))
    expect(m.ok && m.value).toEqual([
      { name: 'flow_ctx_table', type: 1, keySize: 16, valueSize: 4, maxEntries: 1024, fd: 0 },
      { name: 'tx_port', type: 14, keySize: 4, valueSize: 4, maxEntries: 10, fd: 1 }
    ])
    const d = parseK2Desc(readFileSync(join(benchDir, 'xdp1.desc'), 'utf8'))
    expect(d.ok && d.value).toEqual({ pgmInputType: 2, maxPktSz: 88 })
  })
})

describe('K2 parse errors', () => {
  it('reports bad inputs with codes and lines', () => {
    const i = parseK2Insns(new Uint8Array(12), 'a.insns')
    expect(i.ok ? undefined : i.error).toMatchObject({ code: 'K2_BAD_INSNS', file: 'a.insns' })
    const m = parseK2Maps(
      'a { type = 1, key_size = 4, value_size = 4, max_entries = 1 }\nbroken line\n'
    )
    expect(m.ok ? undefined : m.error).toMatchObject({ code: 'K2_BAD_MAPS', line: 2 })
    const m2 = parseK2Maps('a { type = x, key_size = 4, value_size = 4, max_entries = 1 }')
    expect(m2.ok ? undefined : m2.error.code).toBe('K2_BAD_MAPS')
    const d = parseK2Desc('{ pgm_input_type = 1, }\n')
    expect(d.ok ? undefined : d.error.code).toBe('K2_BAD_DESC')
  })

  it('tolerates a missing brace, trailing commas and a missing fd', () => {
    const m = parseK2Maps('m { type = 2, key_size = 4, value_size = 8, max_entries = 1,')
    expect(m.ok && m.value).toEqual([
      { name: 'm', type: 2, keySize: 4, valueSize: 8, maxEntries: 1, fd: 0 }
    ])
  })
})

describe('K2 map-in-map maps', () => {
  const text =
    'lru_mapping { type = 12, key_size = 4, value_size = 4, max_entries = 2, fd = 0, inner_map_idx = 1 }\n' +
    'lru_template { type = 9, key_size = 16, value_size = 8, max_entries = 1000, fd = 1 }\n'

  it('name their inner map template by line (inner_map_idx) and write it back', () => {
    const m = parseK2Maps(text, 'lb.maps')
    if (!m.ok) throw new Error(m.error.message)
    expect(m.value[0]).toMatchObject({ type: 12, innerMapIndex: 1 })
    expect(k2InnerMap(m.value, m.value[0]!)).toMatchObject({ name: 'lru_template', keySize: 16 })
    expect(m.value[1]!.innerMapIndex).toBeUndefined()
    expect(writeK2Maps(m.value)).toBe(text)
  })

  it('refuse an inner_map_idx that names no other map or sits on a plain map', () => {
    const self = parseK2Maps(text.replace('inner_map_idx = 1', 'inner_map_idx = 0'), 'lb.maps')
    expect(self.ok ? undefined : self.error).toMatchObject({ code: 'K2_BAD_MAPS', line: 1 })
    const plain = parseK2Maps(
      'a { type = 2, key_size = 4, value_size = 4, max_entries = 1, inner_map_idx = 0 }'
    )
    expect(plain.ok ? undefined : plain.error.message).toContain('only for map-in-map types')
  })
})
