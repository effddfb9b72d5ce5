/**
 * @fileoverview Storage of one map with kernel semantics: array-like maps (values in place,
 * lookups in range never miss) and hash-like maps (open addressing with numeric hashing of key
 * bytes, LRU eviction, LPM tries with longest-prefix lookups). Values live in the machine heap so lookups return real pointers.
 * Reset is proportional to what the last run touched.
 */
import * as layout from './layout'
import type { MapDef } from './types'

// Module copies of imports (imports are getter calls under tsx/vite-node).
const { BPF_EXIST, BPF_NOEXIST } = layout
const MapType = { ...layout.MapType }
const Errno = { ...layout.Errno }

/** Result code of a map operation that the model cannot represent (capacity cap reached). */
export const MAP_CAPACITY_EXCEEDED = -0x7fff

/** How a map type stores entries. */
export const MapShape = { array: 0, hash: 1, other: 2 } as const

/** FNV-1a hash of `len` bytes of `bytes` from `at`. */
export function hashBytes(bytes: Uint8Array, at: number, len: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < len; i++) h = Math.imul(h ^ bytes[at + i]!, 0x01000193)
  return h | 0
}

/** Below this many bytes a loop beats a typed-array builtin call (which the JIT does not inline). */
const SMALL_COPY = 48

/** Zeroes `n` bytes of `a` from `at`. */
function zeroBytes(a: Uint8Array, at: number, n: number): void {
  if (n > SMALL_COPY) a.fill(0, at, at + n)
  else for (let i = 0; i < n; i++) a[at + i] = 0
}

/** Copies `n` bytes from `src[si]` to `dst[di]`. */
function copyBytes(dst: Uint8Array, di: number, src: Uint8Array, si: number, n: number): void {
  if (n <= SMALL_COPY) for (let i = 0; i < n; i++) dst[di + i] = src[si + i]!
  else if (si === 0 && n === src.length) dst.set(src, di)
  else dst.set(src.subarray(si, si + n), di)
}

function isArrayLike(type: number): boolean {
  return (
    type === MapType.ARRAY ||
    type === MapType.PERCPU_ARRAY ||
    type === MapType.PROG_ARRAY ||
    type === MapType.PERF_EVENT_ARRAY ||
    type === MapType.DEVMAP ||
    type === MapType.CPUMAP ||
    type === MapType.XSKMAP ||
    type === MapType.ARRAY_OF_MAPS
  )
}

function isHashLike(type: number): boolean {
  return (
    type === MapType.HASH ||
    type === MapType.PERCPU_HASH ||
    type === MapType.LRU_HASH ||
    type === MapType.LRU_PERCPU_HASH ||
    type === MapType.DEVMAP_HASH ||
    type === MapType.LPM_TRIE ||
    type === MapType.HASH_OF_MAPS
  )
}

/**
 * A map's state right after a test's initial entries were loaded into it while empty: restoring
 * it is a few copies, where loading hashes, probes and copies entry by entry.
 */
export interface MapImage {
  /** Hash-like: slots in use are 0..slots-1; array-like: number of indices loaded. */
  readonly slots: number
  /** Array-like: the loaded indices, in load order. */
  readonly indices: Int32Array
  /** Values of the loaded slots (hash: slots 0..slots-1; array: per loaded index). */
  readonly values: Uint8Array
  readonly keys: Uint8Array
  readonly hashes: Int32Array
  readonly positions: Int32Array
  readonly stamps: Float64Array
  readonly clock: number
  /**
   * Array-like maps with a small value area: the whole area and its index flags, restored by two
   * copies with no reset before them.
   */
  readonly area: Uint8Array | undefined
  readonly areaUsed: Uint8Array | undefined
}

/** Largest value area (bytes) an array image holds whole. */
const AREA_IMAGE_LIMIT = 4096

/** One map's entries; values at `heap[base + slot * valueSize]`. */
export class MapStore {
  readonly shape: number
  readonly lru: boolean
  /**
   * LPM trie: keys are a u32 prefix length and data bytes; entries are stored under their
   * canonical key (data bits past the prefix cleared) and a lookup finds the longest prefix.
   */
  readonly lpm: boolean
  private readonly scratch: Uint8Array
  /** Number of modelled slots (≤ maxEntries). */
  readonly capacity: number
  readonly keySize: number
  readonly valueSize: number
  readonly maxEntries: number
  /** Array-like: index populated (prog array, devmap, ...); hash-like: slot in use. */
  readonly used: Uint8Array
  /** Slots (array: indices) touched since reset, for fast reset and comparison. */
  readonly dirty: Int32Array
  dirtyCount = 0
  readonly isDirty: Uint8Array
  /** Set when a pointer to the whole value area escaped (lddw map_value): everything is dirty. */
  allDirty = false
  /** Hash-like: number of entries. */
  count = 0
  readonly keys: Uint8Array
  readonly slotHash: Int32Array
  readonly slotPos: Int32Array
  readonly table: Int32Array
  private readonly tableMask: number
  private readonly free: Int32Array
  private freeTop = 0
  private nextFresh = 0
  readonly stamp: Float64Array
  private clock = 0
  /** Set by any change of the entries since reset (update, delete, eviction). */
  changed = false

  constructor(
    readonly def: MapDef,
    readonly heap: Uint8Array,
    /** Heap offset of slot 0's value. */
    readonly base: number,
    cap: number
  ) {
    this.shape = isArrayLike(def.type)
      ? MapShape.array
      : isHashLike(def.type)
        ? MapShape.hash
        : MapShape.other
    this.lru = def.type === MapType.LRU_HASH || def.type === MapType.LRU_PERCPU_HASH
    this.lpm = def.type === MapType.LPM_TRIE
    this.scratch = new Uint8Array(this.lpm ? def.keySize : 0)
    this.keySize = def.keySize
    this.valueSize = def.valueSize
    this.maxEntries = def.maxEntries
    this.capacity = this.shape === MapShape.other ? 0 : Math.max(0, Math.min(def.maxEntries, cap))
    const c = this.capacity
    this.used = new Uint8Array(c)
    this.dirty = new Int32Array(c)
    this.isDirty = new Uint8Array(c)
    const hashed = this.shape === MapShape.hash
    this.keys = new Uint8Array(hashed ? c * def.keySize : 0)
    this.slotHash = new Int32Array(hashed ? c : 0)
    this.slotPos = new Int32Array(hashed ? c : 0)
    let t = 4
    while (hashed && t < c * 2) t *= 2
    this.table = new Int32Array(hashed ? t : 0)
    this.tableMask = t - 1
    this.free = new Int32Array(hashed ? c : 0)
    this.stamp = new Float64Array(this.lru ? c : 0)
  }

  /** Bytes of the value area in the heap. */
  get valueBytes(): number {
    return this.capacity * this.valueSize
  }

  /** Marks slot `i` as touched. */
  touch(i: number): void {
    if (this.isDirty[i] === 0) {
      this.isDirty[i] = 1
      this.dirty[this.dirtyCount++] = i
    }
  }

  /** Empties the map (array values back to zero), in time proportional to what was touched. */
  reset(): void {
    const vs = this.valueSize
    if (this.allDirty) {
      this.heap.fill(0, this.base, this.base + this.valueBytes)
      this.used.fill(0)
      this.isDirty.fill(0)
      this.dirtyCount = 0
      this.allDirty = false
    }
    for (let k = 0; k < this.dirtyCount; k++) {
      const i = this.dirty[k]!
      this.isDirty[i] = 0
      if (this.shape === MapShape.array) zeroBytes(this.heap, this.base + i * vs, vs)
      this.used[i] = 0
    }
    this.dirtyCount = 0
    this.changed = false
    if (this.shape === MapShape.hash && this.nextFresh > 0) {
      for (let i = 0; i < this.nextFresh; i++) {
        if (this.used[i] === 1) this.table[this.slotPos[i]!] = 0
        this.used[i] = 0
      }
      this.count = 0
      this.freeTop = 0
      this.nextFresh = 0
      this.clock = 0
    }
  }

  /** Slot holding the key at `heap[keyAt]`, or -1. */
  find(keyAt: number): number {
    if (this.shape === MapShape.array) {
      const idx =
        this.heap[keyAt]! |
        (this.heap[keyAt + 1]! << 8) |
        (this.heap[keyAt + 2]! << 16) |
        (this.heap[keyAt + 3]! << 24)
      return idx >>> 0 < this.capacity
        ? idx
        : idx >>> 0 < this.maxEntries
          ? MAP_CAPACITY_EXCEEDED
          : -1
    }
    if (this.shape !== MapShape.hash) return -1
    const h = hashBytes(this.heap, keyAt, this.keySize)
    return this.findHashed(this.heap, keyAt, h)
  }

  private findHashed(src: Uint8Array, keyAt: number, h: number): number {
    const ks = this.keySize
    let pos = h & this.tableMask
    for (;;) {
      const e = this.table[pos]!
      if (e === 0) return -1
      const slot = e - 1
      if (this.slotHash[slot] === h) {
        let same = true
        const kb = slot * ks
        for (let i = 0; i < ks; i++) {
          if (this.keys[kb + i] !== src[keyAt + i]) {
            same = false
            break
          }
        }
        if (same) return slot
      }
      pos = (pos + 1) & this.tableMask
    }
  }

  /** Prefix length bits the key data holds (LPM trie). */
  private get dataBits(): number {
    return (this.keySize - 4) * 8
  }

  /** The LPM key at `src[at]` in canonical form (in the scratch buffer), or undefined when invalid. */
  private canonical(src: Uint8Array, at: number): Uint8Array | undefined {
    const k = this.scratch
    for (let i = 0; i < k.length; i++) k[i] = src[at + i]!
    const p = (k[0]! | (k[1]! << 8) | (k[2]! << 16) | (k[3]! << 24)) >>> 0
    if (p > this.dataBits) return undefined
    for (let b = p; b < this.dataBits; b++) k[4 + (b >> 3)]! &= ~(0x80 >> (b & 7))
    return k
  }

  /**
   * LPM lookup: the slot of the entry with the longest prefix (at most the key's prefix length)
   * whose bits match the key's data, or -1.
   */
  private lookupLpm(keyAt: number): number {
    const h = this.heap
    const ks = this.keySize
    const limit =
      (h[keyAt]! | (h[keyAt + 1]! << 8) | (h[keyAt + 2]! << 16) | (h[keyAt + 3]! << 24)) >>> 0
    let best = -1
    let bestLen = -1
    for (let slot = 0; slot < this.nextFresh; slot++) {
      if (this.used[slot] !== 1) continue
      const kb = slot * ks
      const K = this.keys
      const p = (K[kb]! | (K[kb + 1]! << 8) | (K[kb + 2]! << 16) | (K[kb + 3]! << 24)) >>> 0
      if (p > limit || p <= bestLen) continue
      let match = true
      for (let b = 0; b < p && match; b++) {
        const bit = 0x80 >> (b & 7)
        if ((K[kb + 4 + (b >> 3)]! & bit) !== (h[keyAt + 4 + (b >> 3)]! & bit)) match = false
      }
      if (match) {
        best = slot
        bestLen = p
      }
    }
    return best
  }

  /** Lookup as bpf_map_lookup_elem: slot or -1 (or MAP_CAPACITY_EXCEEDED); refreshes LRU order. */
  lookup(keyAt: number): number {
    if (this.lpm) return this.lookupLpm(keyAt)
    const slot = this.find(keyAt)
    if (slot < 0) return slot
    if (this.shape === MapShape.array) {
      this.touch(slot)
      return slot
    }
    if (this.lru) this.stamp[slot] = ++this.clock
    return slot
  }

  /**
   * Update as bpf_map_update_elem from a program: copies the value at `heap[valueAt]`;
   * returns 0 or a negative errno.
   */
  update(keyAt: number, valueAt: number, flags: number, flagsHi: number): number {
    this.changed = true
    if (flagsHi !== 0 || flags >>> 0 > BPF_EXIST) return -Errno.EINVAL
    const vs = this.valueSize
    if (this.shape === MapShape.array) {
      const idx = this.find(keyAt)
      if (idx === MAP_CAPACITY_EXCEEDED) return idx
      if (idx < 0) return -Errno.E2BIG
      if (flags === BPF_NOEXIST) return -Errno.EEXIST
      this.touch(idx)
      this.heap.copyWithin(this.base + idx * vs, valueAt, valueAt + vs)
      return 0
    }
    if (this.shape !== MapShape.hash) return -Errno.EINVAL
    let src = this.heap
    let at = keyAt
    if (this.lpm) {
      const k = this.canonical(this.heap, keyAt)
      if (k === undefined) return -Errno.EINVAL
      src = k
      at = 0
    }
    const h = hashBytes(src, at, this.keySize)
    let slot = this.findHashed(src, at, h)
    if (slot >= 0 && flags === BPF_NOEXIST) return -Errno.EEXIST
    if (slot < 0 && flags === BPF_EXIST) return -Errno.ENOENT
    if (slot < 0) {
      if (this.count >= this.maxEntries) {
        if (!this.lru) return -Errno.E2BIG
        this.evictOldest()
      }
      slot = this.insert(src, at, h)
      if (slot < 0) return MAP_CAPACITY_EXCEEDED
    }
    this.heap.copyWithin(this.base + slot * vs, valueAt, valueAt + vs)
    if (this.lru) this.stamp[slot] = ++this.clock
    return 0
  }

  /** Delete as bpf_map_delete_elem: 0 or a negative errno. */
  delete(keyAt: number): number {
    this.changed = true
    if (this.shape !== MapShape.hash) return -Errno.EINVAL
    const k = this.lpm ? this.canonical(this.heap, keyAt) : undefined
    if (this.lpm && k === undefined) return -Errno.EINVAL
    const slot =
      k === undefined ? this.find(keyAt) : this.findHashed(k, 0, hashBytes(k, 0, this.keySize))
    if (slot < 0) return -Errno.ENOENT
    this.remove(slot)
    return 0
  }

  /** Removes the entry of `key` (hash-like maps; nothing when absent): an LRU eviction. */
  evict(key: Uint8Array): void {
    this.changed = true
    if (this.shape !== MapShape.hash || key.length !== this.keySize) return
    const slot = this.findHashed(key, 0, hashBytes(key, 0, this.keySize))
    if (slot >= 0) this.remove(slot)
  }

  /** Inserts a new key (bytes at `src[keyAt]`, hash `h`) into a free slot; -1 when at capacity. */
  insert(src: Uint8Array, keyAt: number, h: number): number {
    let slot: number
    if (this.freeTop > 0) slot = this.free[--this.freeTop]!
    else if (this.nextFresh < this.capacity) slot = this.nextFresh++
    else return -1
    const ks = this.keySize
    const kb = slot * ks
    for (let i = 0; i < ks; i++) this.keys[kb + i] = src[keyAt + i]!
    this.slotHash[slot] = h
    let pos = h & this.tableMask
    while (this.table[pos] !== 0) pos = (pos + 1) & this.tableMask
    this.table[pos] = slot + 1
    this.slotPos[slot] = pos
    this.used[slot] = 1
    this.count++
    return slot
  }

  private remove(slot: number): void {
    // Backward-shift deletion keeps linear probing free of tombstones.
    const mask = this.tableMask
    let hole = this.slotPos[slot]!
    this.table[hole] = 0
    let pos = (hole + 1) & mask
    for (;;) {
      const e = this.table[pos]!
      if (e === 0) break
      const home = this.slotHash[e - 1]! & mask
      const distHole = (pos - hole) & mask
      const distHome = (pos - home) & mask
      if (distHome >= distHole) {
        this.table[hole] = e
        this.slotPos[e - 1] = hole
        this.table[pos] = 0
        hole = pos
      }
      pos = (pos + 1) & mask
    }
    this.used[slot] = 0
    this.count--
    this.free[this.freeTop++] = slot
  }

  private evictOldest(): void {
    let best = -1
    let bestStamp = Infinity
    for (let i = 0; i < this.nextFresh; i++) {
      if (this.used[i] === 1 && this.stamp[i]! < bestStamp) {
        bestStamp = this.stamp[i]!
        best = i
      }
    }
    if (best >= 0) this.remove(best)
  }

  /** Adds an initial entry from a test input (key and value bytes); false when it does not fit. */
  load(key: Uint8Array, value: Uint8Array): boolean {
    const vs = this.valueSize
    if (key.length !== this.keySize || value.length !== vs) return false
    let slot: number
    if (this.shape === MapShape.hash) {
      const k = this.lpm ? this.canonical(key, 0) : key
      if (k === undefined) return false
      const h = hashBytes(k, 0, this.keySize)
      slot = this.findHashed(k, 0, h)
      if (slot < 0) slot = this.insert(k, 0, h)
      if (slot < 0) return false
      if (this.lru) this.stamp[slot] = ++this.clock
    } else if (this.shape === MapShape.array) {
      slot = (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0
      if (slot >= this.capacity) return false
      this.touch(slot)
      this.used[slot] = 1
    } else return false
    this.heap.set(value, this.base + slot * vs)
    return true
  }

  /**
   * The state after loads into the empty map (call right after reset and the loads), or
   * undefined where a restore could not reproduce it.
   */
  captureImage(): MapImage | undefined {
    const vs = this.valueSize
    const hashed = this.shape === MapShape.hash
    if (this.shape === MapShape.other || (hashed && this.count !== this.nextFresh)) return undefined
    const n = hashed ? this.nextFresh : this.dirtyCount
    const indices = hashed ? new Int32Array(0) : this.dirty.slice(0, n)
    const values = new Uint8Array(n * vs)
    for (let k = 0; k < n; k++) {
      const slot = hashed ? k : indices[k]!
      values.set(this.heap.subarray(this.base + slot * vs, this.base + (slot + 1) * vs), k * vs)
    }
    const whole = !hashed && this.valueBytes <= AREA_IMAGE_LIMIT
    return {
      area: whole ? this.heap.slice(this.base, this.base + this.valueBytes) : undefined,
      areaUsed: whole ? this.used.slice() : undefined,
      slots: n,
      indices,
      values,
      keys: hashed ? this.keys.slice(0, n * this.keySize) : new Uint8Array(0),
      hashes: hashed ? this.slotHash.slice(0, n) : new Int32Array(0),
      positions: hashed ? this.slotPos.slice(0, n) : new Int32Array(0),
      stamps: this.lru ? this.stamp.slice(0, n) : new Float64Array(0),
      clock: this.clock
    }
  }

  /**
   * Puts the map, whatever it holds, into the state of an image with a whole area (`img.area`):
   * two copies, and the loaded indices marked touched as the loads marked them.
   */
  restoreArea(img: MapImage): void {
    for (let k = 0; k < this.dirtyCount; k++) this.isDirty[this.dirty[k]!] = 0
    this.dirtyCount = 0
    this.changed = false
    this.allDirty = false
    this.heap.set(img.area!, this.base)
    this.used.set(img.areaUsed!)
    const idx = img.indices
    for (let k = 0; k < img.slots; k++) this.touch(idx[k]!)
  }

  /** Puts the empty map (just reset) into the state `img` captured; never allocates. */
  restoreImage(img: MapImage): void {
    const n = img.slots
    if (n === 0) return
    const vs = this.valueSize
    if (this.shape !== MapShape.hash) {
      for (let k = 0; k < n; k++) {
        const i = img.indices[k]!
        this.touch(i)
        this.used[i] = 1
        copyBytes(this.heap, this.base + i * vs, img.values, k * vs, vs)
      }
      return
    }
    copyBytes(this.keys, 0, img.keys, 0, img.keys.length)
    copyBytes(this.heap, this.base, img.values, 0, img.values.length)
    for (let k = 0; k < n; k++) {
      const pos = img.positions[k]!
      this.used[k] = 1
      this.slotHash[k] = img.hashes[k]!
      this.slotPos[k] = pos
      this.table[pos] = k + 1
      if (this.lru) this.stamp[k] = img.stamps[k]!
    }
    this.count = n
    this.nextFresh = n
    this.freeTop = 0
    this.clock = img.clock
  }

  /** Entries in use: array-like maps list every index; hash maps their keys (slow path). */
  entries(): { key: Uint8Array; value: Uint8Array }[] {
    const out: { key: Uint8Array; value: Uint8Array }[] = []
    const vs = this.valueSize
    const value = (slot: number): Uint8Array =>
      this.heap.slice(this.base + slot * vs, this.base + (slot + 1) * vs)
    if (this.shape === MapShape.array) {
      for (let i = 0; i < this.capacity; i++) {
        const key = new Uint8Array(this.keySize)
        new DataView(key.buffer).setUint32(0, i, true)
        out.push({ key, value: value(i) })
      }
    } else if (this.shape === MapShape.hash) {
      for (let i = 0; i < this.nextFresh; i++) {
        if (this.used[i] === 1)
          out.push({
            key: this.keys.slice(i * this.keySize, (i + 1) * this.keySize),
            value: value(i)
          })
      }
    }
    return out
  }

  /** Upper bound of hash slot indices in use (slots ≥ this are unused). */
  get slotLimit(): number {
    return this.shape === MapShape.hash ? this.nextFresh : this.capacity
  }
}
