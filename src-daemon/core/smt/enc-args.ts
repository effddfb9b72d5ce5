/**
 * @fileoverview Helper arguments in the encoder: map handles, memory pointers and the bytes
 * they point at, and negated errno results (shared by every helper encoding).
 */
import type { BvTerm } from './term'
import type { ExecContext } from './enc-context'
import type { Ptr, SymVal } from './enc-state'
import { Unsupported } from './enc-state'
import { add, bv } from './terms'

/** The map index a helper's map argument names (Unsupported naming `what` otherwise). */
export function mapOf(v: SymVal, what: string): number {
  const m = innerMapOf(v, what)
  if (m.identity !== undefined)
    throw new Unsupported(`${what}: a map taken from a map-in-map is not modelled here`)
  return m.map
}

/**
 * The map a map helper's argument names: a map of the program, or a map taken from a map-in-map
 * (its stand-in map and the inner map's identity, which prefixes its keys).
 */
export function innerMapOf(v: SymVal, what: string): { map: number; identity?: BvTerm } {
  const rid = v.ptr?.rid
  if (rid === undefined || !rid.startsWith('mapref'))
    throw new Unsupported(`${what}: map argument is not a known map`)
  const map = Number(rid.slice('mapref'.length))
  return v.ptr?.key === undefined ? { map } : { map, identity: v.ptr.key }
}

/** A memory argument: a tracked stack, packet, map-value or record pointer. */
export function memPtr(v: SymVal, what: string): Ptr {
  const p = v.ptr
  if (p === undefined || p.rid.startsWith('mapref') || p.rid === 'ctx')
    throw new Unsupported(
      `${what}: memory argument is not a tracked stack, packet or map-value pointer`
    )
  return p
}

/** The place of byte `i` past pointer `p` ([key, offset] for map values). */
export function placeAt(p: Ptr, i: number): BvTerm[] {
  const at = i === 0 ? p.off : add(p.off, bv(i, 64))
  return p.key !== undefined ? [p.key, at] : [at]
}

/** The `size` bytes at `p`, little-endian. */
export function readArg(cx: ExecContext, p: Ptr, size: number): BvTerm {
  return cx.mem.read(p.rid, placeAt(p, 0), size)
}

/** A helper's negative errno result, -`e` as a 64-bit value. */
export function errno(e: number): BvTerm {
  return bv(BigInt.asUintN(64, -BigInt(e)), 64)
}
