/**
 * @fileoverview Symbolic memory of one program: per region, a log of byte writes guarded by the
 * path condition of the writing block; a read is an explicit if-then-else chain over the log
 * ending in the shared initial byte (no SMT arrays). Places are [offset] or [key, offset].
 */
import type { BoolTerm, BvTerm } from './term'
import { add, and, bv, concat, eq, extract, FALSE, ite, TRUE } from './terms'

/** One byte written: guard, place, value. */
interface ByteWrite {
  readonly cond: BoolTerm
  readonly place: readonly BvTerm[]
  readonly value: BvTerm
}

function samePlace(a: readonly BvTerm[], b: readonly BvTerm[]): BoolTerm {
  if (a.length !== b.length) return FALSE
  return and(...a.map((p, i) => eq(p, b[i] as BvTerm)))
}

/** The place of byte `i` of an access at `place` (the last element is the offset). */
export function bytePlace(place: readonly BvTerm[], i: number): BvTerm[] {
  const off = place[place.length - 1] as BvTerm
  return [...place.slice(0, -1), i === 0 ? off : add(off, bv(i, off.width))]
}

/** Write logs of every region of one program. */
export class SymMemory {
  private readonly logs = new Map<string, ByteWrite[]>()

  /** `initial(rid, place)` gives a byte's value before the program writes it. */
  constructor(private readonly initial: (rid: string, place: readonly BvTerm[]) => BvTerm) {}

  /** Stores the `size`-byte little-endian `value` at `place` of region `rid` when `cond` holds. */
  write(rid: string, cond: BoolTerm, place: readonly BvTerm[], size: number, value: BvTerm): void {
    if (cond === FALSE) return
    let log = this.logs.get(rid)
    if (log === undefined) {
      log = []
      this.logs.set(rid, log)
    }
    for (let i = 0; i < size; i++) {
      log.push({ cond, place: bytePlace(place, i), value: extract(value, i * 8 + 7, i * 8) })
    }
  }

  /** One byte of region `rid` at `place` as it is now. */
  readByte(rid: string, place: readonly BvTerm[]): BvTerm {
    const log = this.logs.get(rid) ?? []
    const hits: { guard: BoolTerm; value: BvTerm }[] = []
    let base: BvTerm | undefined
    for (let i = log.length - 1; i >= 0; i--) {
      const w = log[i] as ByteWrite
      const same = samePlace(w.place, place)
      if (same === FALSE) continue
      const guard = and(w.cond, same)
      if (guard === TRUE) {
        base = w.value
        break
      }
      hits.push({ guard, value: w.value })
    }
    let out = base ?? this.initial(rid, place)
    for (let i = hits.length - 1; i >= 0; i--) {
      const h = hits[i] as { guard: BoolTerm; value: BvTerm }
      out = ite(h.guard, h.value, out)
    }
    return out
  }

  /** `size` bytes of region `rid` at `place`, little-endian, as one bit-vector. */
  read(rid: string, place: readonly BvTerm[], size: number): BvTerm {
    let out = this.readByte(rid, bytePlace(place, 0))
    for (let i = 1; i < size; i++) out = concat(this.readByte(rid, bytePlace(place, i)), out)
    return out
  }

  /** The distinct byte places written in region `rid` (for output comparison). */
  writtenPlaces(rid: string): (readonly BvTerm[])[] {
    const seen = new Set<string>()
    const out: (readonly BvTerm[])[] = []
    for (const w of this.logs.get(rid) ?? []) {
      const key = w.place.map((p) => p.id).join(',')
      if (!seen.has(key)) {
        seen.add(key)
        out.push(w.place)
      }
    }
    return out
  }

  /** A copy with the same logs (later writes to either do not affect the other). */
  clone(): SymMemory {
    const c = new SymMemory(this.initial)
    for (const [rid, log] of this.logs) c.logs.set(rid, [...log])
    return c
  }

  /** Current log lengths, to ask later which places were written since. */
  mark(): Map<string, number> {
    return new Map([...this.logs].map(([rid, log]) => [rid, log.length]))
  }

  /** Distinct places of region `rid` written after `mark`. */
  placesSince(mark: ReadonlyMap<string, number>, rid: string): (readonly BvTerm[])[] {
    const log = this.logs.get(rid) ?? []
    const seen = new Set<string>()
    const out: (readonly BvTerm[])[] = []
    for (const w of log.slice(mark.get(rid) ?? 0)) {
      const key = w.place.map((p) => p.id).join(',')
      if (!seen.has(key)) {
        seen.add(key)
        out.push(w.place)
      }
    }
    return out
  }

  /** Regions that have writes. */
  regions(): string[] {
    return [...this.logs.keys()]
  }
}
