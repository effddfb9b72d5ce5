/**
 * @fileoverview Symbolic maps of one program with the kernel's semantics: array-like maps hold
 * every in-range key (lookups never miss), hash-like maps have an unknown initial key set (shared
 * presence inputs), updates honour ANY/NOEXIST/EXIST and report E2BIG when the map has no room
 * (a shared per-map "full" input), deletes report ENOENT. Values live in the memory region
 * `map<i>`, placed by [key, offset].
 */
import type { MapDef } from '../interp/types'
import type { BoolTerm, BvTerm } from './term'
import type { SharedInputs } from './enc-inputs'
import type { SymMemory } from './enc-memory'
import {
  add,
  and,
  bv,
  eq,
  extract,
  FALSE,
  ite,
  not,
  or,
  sle,
  sub,
  TRUE,
  ult,
  zeroExt
} from './terms'

/** Map types whose keys are u32 indexes that are always present below max_entries. */
const ARRAY_LIKE = new Set([2, 6, 3, 4, 12, 14, 16, 17])
/** Array-like maps whose slots may be empty (programs, perf events, maps, devices, CPUs). */
const SLOTS_MAY_BE_EMPTY = new Set([3, 4, 12, 14, 16, 17])
/** Map types the lookup helper may return values of. */
const HASH_LIKE = new Set([1, 5, 9, 10, 13, 25])

/**
 * The program's maps followed by one map per map-in-map standing for all the maps it holds: its
 * keys are the inner map's key with a 32-bit identity of the inner map above it (which inner map
 * an entry of the outer map names is an input, the same for equal keys). `inner[i]` is the index
 * of map i's stand-in (-1 for other maps).
 */
export function withInnerMaps(defs: readonly MapDef[]): {
  readonly all: readonly MapDef[]
  readonly inner: readonly number[]
} {
  const all: MapDef[] = [...defs]
  const inner = defs.map((d) => {
    if ((d.type !== 12 && d.type !== 13) || d.inner === undefined) return -1
    all.push({ ...d.inner, keySize: d.inner.keySize + 4, name: `${d.name ?? 'outer'}[*]` })
    return all.length - 1
  })
  return { all, inner }
}

/** Kernel error numbers as 64-bit results. */
export const ERR = {
  ENOENT: -2n,
  E2BIG: -7n,
  EEXIST: -17n,
  EINVAL: -22n
} as const

/**
 * One change of presence: a key inserted or deleted, or (`evicted`) any set of keys removed by an
 * LRU map's eviction, given as a predicate on keys.
 */
type PresenceOp =
  | {
      readonly cond: BoolTerm
      readonly key: BvTerm
      readonly present: boolean
      /** How the number of entries changes (64 bits: 1 for a new key, -1 for a delete). */
      readonly delta: BvTerm
    }
  | { readonly cond: BoolTerm; readonly evicted: (key: BvTerm) => BoolTerm }

/** Outcome of an update or delete: the 64-bit result and the condition under which it succeeded. */
export interface MapOpResult {
  readonly r0: BvTerm
  readonly success: BoolTerm
}

/** Presence logs of one program's maps. */
export class SymMaps {
  private readonly ops: PresenceOp[][]

  /** The program's maps, then stand-ins for the maps its maps of maps hold (see withInnerMaps). */
  private readonly defs: readonly MapDef[]
  /** Index of the first stand-in (their keys carry an inner map identity above the key). */
  private readonly firstStandIn: number

  constructor(
    private readonly programMaps: readonly MapDef[],
    private readonly inputs: SharedInputs,
    private readonly mem: SymMemory
  ) {
    this.defs = withInnerMaps(programMaps).all
    this.firstStandIn = programMaps.length
    this.ops = this.defs.map(() => [])
  }

  /** True for maps whose in-range keys always exist. */
  isArrayLike(map: number): boolean {
    return ARRAY_LIKE.has(this.def(map).type)
  }

  /** True for hash-like maps (unknown key set, updates insert). */
  isHashLike(map: number): boolean {
    return HASH_LIKE.has(this.def(map).type)
  }

  /** The map's definition. */
  def(map: number): MapDef {
    const d = this.defs[map]
    if (d === undefined) throw new RangeError(`map index ${map} out of range`)
    return d
  }

  /** Whether `key` is in map `map` now. */
  present(map: number, key: BvTerm): BoolTerm {
    const d = this.def(map)
    if (this.isArrayLike(map) && !SLOTS_MAY_BE_EMPTY.has(d.type)) {
      return ult(zeroExt(extract(key, 31, 0), 32), bv(d.maxEntries, 64))
    }
    const log = this.ops[map] as PresenceOp[]
    let out: BoolTerm = this.inputs.present(`map${map}`, [key])
    if (this.isArrayLike(map))
      out = and(out, ult(zeroExt(extract(key, 31, 0), 32), bv(d.maxEntries, 64)))
    for (const op of log) {
      if ('evicted' in op) {
        const gone = and(op.cond, op.evicted(key))
        if (gone !== FALSE) out = ite(gone, FALSE, out)
        continue
      }
      const hit = and(op.cond, eq(op.key, key))
      if (hit !== FALSE) out = ite(hit, op.present ? TRUE : FALSE, out)
    }
    return out
  }

  /**
   * An LRU map's eviction under `cond`: every key for which `evicted` holds is removed (the
   * kernel may free any number of entries to make room, whichever its lists name).
   */
  evict(cond: BoolTerm, map: number, evicted: (key: BvTerm) => BoolTerm): void {
    if (cond !== FALSE) this.ops[map]?.push({ cond, evicted })
  }

  /** bpf_map_update_elem: result and presence/value effects under `cond`. */
  update(cond: BoolTerm, map: number, key: BvTerm, value: BvTerm, flags: BvTerm): MapOpResult {
    const d = this.def(map)
    const badFlags = ult(bv(2, 64), flags)
    const isNoExist = eq(flags, bv(1, 64))
    const isExist = eq(flags, bv(2, 64))
    const here = this.present(map, key)
    let r0: BvTerm
    let success: BoolTerm
    if (this.isArrayLike(map)) {
      const inRange = ult(zeroExt(extract(key, 31, 0), 32), bv(d.maxEntries, 64))
      success = and(not(badFlags), inRange, not(isNoExist))
      r0 = ite(
        badFlags,
        e(ERR.EINVAL),
        ite(not(inRange), e(ERR.E2BIG), ite(isNoExist, e(ERR.EEXIST), bv(0, 64)))
      )
    } else {
      const lru = d.type === 9 || d.type === 10
      const noRoom = lru ? FALSE : and(not(here), sle(this.room(map, key), bv(0, 64)))
      success = and(
        not(badFlags),
        not(and(isNoExist, here)),
        not(and(isExist, not(here))),
        not(noRoom)
      )
      r0 = ite(
        badFlags,
        e(ERR.EINVAL),
        ite(
          and(isNoExist, here),
          e(ERR.EEXIST),
          ite(and(isExist, not(here)), e(ERR.ENOENT), ite(noRoom, e(ERR.E2BIG), bv(0, 64)))
        )
      )
      const delta = ite(here, bv(0, 64), bv(1, 64))
      this.ops[map]?.push({ cond: and(cond, success), key, present: true, delta })
    }
    this.mem.write(`map${map}`, and(cond, success), [key, bv(0, 64)], d.valueSize, value)
    return { r0, success }
  }

  /** bpf_map_delete_elem under `cond`. */
  delete(cond: BoolTerm, map: number, key: BvTerm): MapOpResult {
    if (!this.isHashLike(map)) return { r0: e(ERR.EINVAL), success: FALSE }
    const here = this.present(map, key)
    this.ops[map]?.push({ cond: and(cond, here), key, present: false, delta: bv(-1, 64) })
    return { r0: ite(here, bv(0, 64), e(ERR.ENOENT)), success: here }
  }

  /**
   * Free entries of hash map `map` now (for a stand-in of the maps of a map-in-map, of the inner
   * map `key` belongs to): how many the map had free at the start (an input) less the keys
   * inserted since, plus the keys deleted. An insert of a new key fails with -E2BIG at zero.
   */
  private room(map: number, key: BvTerm): BvTerm {
    const identity = this.identityOf(map, key)
    // 64-bit sums: the free count at the start is any 32-bit number, and never wraps here.
    let used = bv(0, 64)
    for (const op of this.ops[map] ?? []) {
      if (!('delta' in op)) continue
      const other = this.identityOf(map, op.key)
      const same = identity === undefined || other === undefined ? TRUE : eq(identity, other)
      used = add(used, ite(and(op.cond, same), op.delta, bv(0, 64)))
    }
    return sub(zeroExt(this.inputs.chosen(roomName(map), identity ?? bv(0, 32), 32), 32), used)
  }

  /** The inner map identity in a stand-in map's key (its top 32 bits), else undefined. */
  private identityOf(map: number, key: BvTerm): BvTerm | undefined {
    if (map < this.firstStandIn) return undefined
    return extract(key, key.width - 1, key.width - 32)
  }

  /** A copy over `mem` with the same presence logs. */
  clone(mem: SymMemory): SymMaps {
    const c = new SymMaps(this.programMaps, this.inputs, mem)
    this.ops.forEach((log, i) => c.ops[i]?.push(...log))
    return c
  }

  /** Keys whose presence or value either program may have changed (deduplicated by term). */
  touchedKeys(map: number): BvTerm[] {
    const seen = new Set<number>()
    const out: BvTerm[] = []
    const addKey = (k: BvTerm): void => {
      if (!seen.has(k.id)) {
        seen.add(k.id)
        out.push(k)
      }
    }
    for (const op of this.ops[map] ?? []) if ('key' in op) addKey(op.key)
    for (const place of this.mem.writtenPlaces(`map${map}`)) addKey(place[0] as BvTerm)
    return out
  }
}

/** The name of a hash map's free entries at the start (see {@link SymMaps.room}). */
export function roomName(map: number): string {
  return `room_map${map}`
}

function e(v: bigint): BvTerm {
  return bv(BigInt.asUintN(64, v), 64)
}

/** True when some condition in `conds` may hold (syntactically not FALSE). */
export function anyMayHold(conds: readonly BoolTerm[]): boolean {
  return or(...conds) !== FALSE
}
