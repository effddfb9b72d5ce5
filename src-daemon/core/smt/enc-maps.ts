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
import { and, boolVar, bv, eq, FALSE, ite, not, or, TRUE, ult, zeroExt, extract } from './terms'

/** Map types whose keys are u32 indexes that are always present below max_entries. */
const ARRAY_LIKE = new Set([2, 6, 3, 4, 14, 16, 17])
/** Array-like maps whose slots may be empty (programs, perf events, devices, CPUs). */
const SLOTS_MAY_BE_EMPTY = new Set([3, 4, 14, 16, 17])
/** Map types the lookup helper may return values of. */
const HASH_LIKE = new Set([1, 5, 9, 10, 25])

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
  | { readonly cond: BoolTerm; readonly key: BvTerm; readonly present: boolean }
  | { readonly cond: BoolTerm; readonly evicted: (key: BvTerm) => BoolTerm }

/** Outcome of an update or delete: the 64-bit result and the condition under which it succeeded. */
export interface MapOpResult {
  readonly r0: BvTerm
  readonly success: BoolTerm
}

/** Presence logs of one program's maps. */
export class SymMaps {
  private readonly ops: PresenceOp[][]

  constructor(
    private readonly defs: readonly MapDef[],
    private readonly inputs: SharedInputs,
    private readonly mem: SymMemory
  ) {
    this.ops = defs.map(() => [])
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
      const full = boolVar(`full_map${map}`)
      const lru = d.type === 9 || d.type === 10
      const noRoom = lru ? FALSE : and(not(here), full)
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
      this.ops[map]?.push({ cond: and(cond, success), key, present: true })
    }
    this.mem.write(`map${map}`, and(cond, success), [key, bv(0, 64)], d.valueSize, value)
    return { r0, success }
  }

  /** bpf_map_delete_elem under `cond`. */
  delete(cond: BoolTerm, map: number, key: BvTerm): MapOpResult {
    if (!this.isHashLike(map)) return { r0: e(ERR.EINVAL), success: FALSE }
    const here = this.present(map, key)
    this.ops[map]?.push({ cond: and(cond, here), key, present: false })
    return { r0: ite(here, bv(0, 64), e(ERR.ENOENT)), success: here }
  }

  /** A copy over `mem` with the same presence logs. */
  clone(mem: SymMemory): SymMaps {
    const c = new SymMaps(this.defs, this.inputs, mem)
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

function e(v: bigint): BvTerm {
  return bv(BigInt.asUintN(64, v), 64)
}

/** True when some condition in `conds` may hold (syntactically not FALSE). */
export function anyMayHold(conds: readonly BoolTerm[]): boolean {
  return or(...conds) !== FALSE
}
