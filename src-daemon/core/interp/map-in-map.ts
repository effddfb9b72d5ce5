/**
 * @fileoverview Maps of maps in the interpreter: each array or hash of maps gets a pool of inner
 * maps (its `inner` definition), placed after the program's own maps; an entry's value is the
 * number of an inner map of its pool, and a lookup gives that map's handle.
 */
import type { MapDef } from './types'

/** Inner maps the interpreter keeps per map-in-map. */
export const INNER_POOL = 4

/** Map types that hold maps. */
export function isMapInMap(type: number): boolean {
  return type === 12 || type === 13
}

/**
 * The program's maps followed by the inner map pools, and for each program map the index of the
 * first map of its pool (-1 for maps without one).
 */
export function withInnerPools(maps: readonly MapDef[]): {
  readonly all: readonly MapDef[]
  readonly pool: readonly number[]
} {
  const all: MapDef[] = [...maps]
  const pool = maps.map((m) => {
    if (!isMapInMap(m.type) || m.inner === undefined) return -1
    const first = all.length
    for (let j = 0; j < INNER_POOL; j++)
      all.push({ ...m.inner, name: `${m.name ?? 'inner'}[${j}]` })
    return first
  })
  return { all, pool }
}
