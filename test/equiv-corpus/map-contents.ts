/**
 * @fileoverview Seeded initial map contents for test inputs: empty maps, a few likely keys
 * (small integers, as programs index arrays and counters) or random keys, random or small values,
 * and contents recycled from an earlier run's final maps. Pure (no node:*).
 */
import type { MapDef, MapEntryInput, MapSnapshot } from '../../src-daemon/core/interp/types'
import type { Rng } from '../../src-daemon/core/search/rng'
import { buildWords, pick, randomBytes } from './packets'

/** Map types whose entries are indices 0..max_entries-1 (arrays). */
const ARRAY_TYPES: ReadonlySet<number> = new Set([2, 6])

/** Map types whose values are kernel objects (programs, devices, CPUs): left empty. */
const OBJECT_TYPES: ReadonlySet<number> = new Set([4, 12, 13, 14, 15, 16, 17, 25, 27])

/** BPF_MAP_TYPE_PROG_ARRAY: filled with indices (a present index makes a tail call succeed). */
const PROG_ARRAY = 3

/** True for array maps (every index exists; lookups of an index below max_entries hit). */
export function isArrayMap(def: MapDef): boolean {
  return ARRAY_TYPES.has(def.type)
}

/** True when values of this map type cannot be chosen freely (dev/cpu maps, ring buffers). */
export function isObjectMap(def: MapDef): boolean {
  return OBJECT_TYPES.has(def.type)
}

/** True when the kernel oracle can fill this map from bytes (not prog arrays or object maps). */
export function isKernelFillable(def: MapDef): boolean {
  return !OBJECT_TYPES.has(def.type) && def.type !== PROG_ARRAY
}

/** A key of `size` bytes: a small little-endian integer (3 in 4) or random bytes. */
function randomKey(rng: Rng, size: number, limit: number): Uint8Array {
  const key = new Uint8Array(size)
  if (rng.int(4) === 0) return randomBytes(rng, key)
  let v = rng.int(Math.max(1, Math.min(limit, 64)))
  for (let i = 0; i < size && i < 4; i++) {
    key[i] = v & 0xff
    v >>>= 8
  }
  return key
}

/** A value: random bytes or small little-endian words. */
function randomValue(rng: Rng, size: number): Uint8Array {
  return rng.int(2) === 0 ? randomBytes(rng, new Uint8Array(size)) : buildWords(rng, size)
}

function keyHex(k: Uint8Array): string {
  let s = ''
  for (const b of k) s += b.toString(16).padStart(2, '0')
  return s
}

/** Random entries for one map: 0..`maxKeys` distinct keys (arrays: indices below max_entries). */
export function randomEntries(rng: Rng, def: MapDef, maxKeys: number): MapEntryInput[] {
  if (isObjectMap(def)) return []
  const n = rng.int(maxKeys + 1)
  const seen = new Set<string>()
  const out: MapEntryInput[] = []
  for (let i = 0; i < n; i++) {
    let key: Uint8Array
    if (isArrayMap(def) || def.type === PROG_ARRAY) {
      key = new Uint8Array(def.keySize)
      const index =
        i === 0
          ? 0
          : rng.int(2) === 0
            ? rng.int(Math.min(def.maxEntries, 8))
            : rng.int(def.maxEntries)
      new DataView(key.buffer).setUint32(0, index, true)
    } else key = randomKey(rng, def.keySize, 256)
    const h = keyHex(key)
    if (seen.has(h)) continue
    seen.add(h)
    out.push({ key, value: randomValue(rng, def.valueSize) })
  }
  return out
}

/** Initial contents of every map: all empty (1 in 4) or per-map random entries. */
export function randomMapContents(rng: Rng, maps: readonly MapDef[]): MapEntryInput[][] {
  if (rng.int(4) === 0) return maps.map(() => [])
  return maps.map((def) =>
    rng.int(4) === 0 ? [] : randomEntries(rng, def, pick(rng, [1, 2, 4, 8]))
  )
}

/**
 * Initial contents built from a run's final maps: the keys the program touched (e.g. inserted
 * after a lookup missed) become present, with fresh random values, so the next run of the same
 * packet takes the lookup-hit path.
 */
export function contentsFromSnapshot(
  rng: Rng,
  maps: readonly MapDef[],
  snapshot: readonly MapSnapshot[]
): MapEntryInput[][] {
  return maps.map((def, i) => {
    if (isObjectMap(def)) return []
    const entries = snapshot[i]?.entries ?? []
    const chosen =
      isArrayMap(def) || def.type === PROG_ARRAY ? entries.filter(() => rng.int(16) === 0) : entries
    return chosen.map((e) => ({
      key: e.key.slice(),
      value: rng.int(2) === 0 ? e.value.slice() : randomValue(rng, def.valueSize)
    }))
  })
}
