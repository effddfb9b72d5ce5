/**
 * @fileoverview LPM tries in the interpreter: entries under their canonical key (prefix length and
 * the prefix's bits), lookups of the longest prefix at most the key's that matches its data; and
 * maps of maps, whose entries name inner maps of a pool kept after the program's maps.
 */
import { describe, expect, it } from 'vitest'
import { MapType, type MapDef } from '../../src-daemon/core/interp'
import { asmMaps, exited, mapRef, run } from './support'

const LPM: MapDef = { type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 8 }

/** An IPv4 LPM key: prefix length then the address in network order. */
function key(prefix: number, a: number, b: number, c: number, d: number): Uint8Array {
  return Uint8Array.from([prefix, 0, 0, 0, a, b, c, d])
}

function value(v: number): Uint8Array {
  return Uint8Array.from([v, 0, 0, 0])
}

/** Looks up the key in ctx bytes 0..7: r0 = the value, or 0xff when nothing matches. */
const LOOKUP = asmMaps(`
  ldxdw %r2, [%r1+0]
  stxdw [%r10-8], %r2
  lddw %r1, ${mapRef(0)}
  mov %r2, %r10
  add %r2, -8
  call 1
  mov %r1, %r0
  mov %r0, 0xff
  jeq %r1, 0, out
  ldxw %r0, [%r1+0]
  out:
  exit`)

function lookup(entries: [Uint8Array, number][], k: Uint8Array): bigint {
  const maps = [entries.map(([key, v]) => ({ key, value: value(v) }))]
  return exited(run(LOOKUP, { ctx: k, maps }, 'tracepoint', [LPM])).r0
}

describe('LPM trie', () => {
  const table: [Uint8Array, number][] = [
    [key(8, 10, 0, 0, 0), 1],
    [key(16, 10, 1, 0, 0), 2],
    [key(24, 10, 1, 2, 0), 3],
    [key(0, 0, 0, 0, 0), 9]
  ]
  it('finds the longest matching prefix', () => {
    expect(lookup(table, key(32, 10, 1, 2, 3))).toBe(3n)
    expect(lookup(table, key(32, 10, 1, 3, 3))).toBe(2n)
    expect(lookup(table, key(32, 10, 9, 9, 9))).toBe(1n)
    expect(lookup(table, key(32, 11, 0, 0, 0))).toBe(9n)
  })
  it("limits the match to the lookup key's prefix length", () => {
    expect(lookup(table, key(20, 10, 1, 2, 3))).toBe(2n)
    expect(lookup(table, key(7, 10, 1, 2, 3))).toBe(9n)
    expect(lookup(table.slice(0, 3), key(7, 10, 1, 2, 3))).toBe(0xffn)
  })
  it('stores entries under their canonical key: bits past the prefix do not count', () => {
    const r = exited(
      run(
        LOOKUP,
        { ctx: key(32, 10, 7, 7, 7), maps: [[{ key: key(8, 10, 99, 99, 99), value: value(4) }]] },
        'tracepoint',
        [LPM]
      )
    )
    expect(r.r0).toBe(4n)
    expect(Array.from(r.maps[0]!.entries[0]!.key)).toEqual([8, 0, 0, 0, 10, 0, 0, 0])
  })
})

describe('maps of maps', () => {
  const OUTER: MapDef = {
    type: MapType.ARRAY_OF_MAPS,
    keySize: 4,
    valueSize: 4,
    maxEntries: 4,
    inner: { type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 8 }
  }
  /** r0 = the value of key 7 in the map held at outer slot (ctx byte 0), 0xff when absent. */
  const PROG = asmMaps(`
    ldxb %r1, [%r1+0]
    stxw [%r10-4], %r1
    lddw %r1, ${mapRef(0)}
    mov %r2, %r10
    add %r2, -4
    call 1
    jeq %r0, 0, miss
    stw [%r10-8], 7
    mov %r1, %r0
    mov %r2, %r10
    add %r2, -8
    call 1
    jeq %r0, 0, miss
    ldxw %r0, [%r0+0]
    exit
    miss:
    mov %r0, 0xff
    exit`)
  const slot = (n: number, inner: number) => ({ key: value(n), value: value(inner) })
  it('looks up the inner map an outer entry names (entries may share one)', () => {
    const maps = [[slot(0, 2), slot(1, 2)], [], [], [{ key: value(7), value: value(42) }], []]
    const at = (s: number) =>
      exited(run(PROG, { ctx: Uint8Array.of(s), maps }, 'tracepoint', [OUTER])).r0
    expect(at(0)).toBe(42n)
    expect(at(1)).toBe(42n)
    expect(at(2)).toBe(0xffn)
  })
})
