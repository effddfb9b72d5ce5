/**
 * @fileoverview Symbolic memory of one program: per region, a log of byte writes guarded by the
 * path condition of the writing block; a read is an explicit if-then-else chain over the log
 * ending in the shared initial byte (no SMT arrays). Places are [offset] or [key, offset].
 * Each log is indexed by constant offset, so that a read at a constant offset visits only the
 * writes that can alias it (same constant offset, or an offset that is not a constant): the
 * others' place conditions fold to false, and skipping them builds the same term. The byte read
 * at each place is remembered with the log length it covers; a later read there extends it with
 * the newer writes only (the chain is folded oldest first, so the result is the same term).
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

/** One region's writes in order, indexed by offset. */
interface RegionLog {
  readonly writes: ByteWrite[]
  /** Indices into `writes` of the writes at each constant offset (by the offset term's id). */
  readonly byOffset: Map<number, number[]>
  /** Indices into `writes` of the writes whose offset is not a constant. */
  readonly wild: number[]
  /** Last byte read at each place (by its terms' ids), with the number of writes it covers. */
  readonly reads: Map<string, { readonly covers: number; readonly value: BvTerm }>
}

function offsetOf(place: readonly BvTerm[]): BvTerm {
  return place[place.length - 1] as BvTerm
}

function emptyLog(): RegionLog {
  return { writes: [], byOffset: new Map(), wild: [], reads: new Map() }
}

function cloneLog(l: RegionLog): RegionLog {
  const byOffset = new Map<number, number[]>()
  for (const [k, v] of l.byOffset) byOffset.set(k, [...v])
  return { writes: [...l.writes], byOffset, wild: [...l.wild], reads: new Map(l.reads) }
}

/**
 * Indices of the writes of `log` that may be at `place`, newest first: all of them when the
 * offset is not a constant, else those at the same constant offset and those at offsets that are
 * not constants (a write at another constant offset is never at `place`).
 */
function* candidates(log: RegionLog, place: readonly BvTerm[]): Generator<number> {
  const off = offsetOf(place)
  if (off.op !== 'bvconst') {
    for (let i = log.writes.length - 1; i >= 0; i--) yield i
    return
  }
  const a = log.byOffset.get(off.id) ?? []
  const b = log.wild
  let i = a.length - 1
  let j = b.length - 1
  while (i >= 0 || j >= 0) {
    if (j < 0 || (i >= 0 && (a[i] as number) > (b[j] as number))) yield a[i--] as number
    else yield b[j--] as number
  }
}

/** Write logs of every region of one program. */
export class SymMemory {
  private readonly logs = new Map<string, RegionLog>()

  /** `initial(rid, place)` gives a byte's value before the program writes it. */
  constructor(private readonly initial: (rid: string, place: readonly BvTerm[]) => BvTerm) {}

  /** Stores the `size`-byte little-endian `value` at `place` of region `rid` when `cond` holds. */
  write(rid: string, cond: BoolTerm, place: readonly BvTerm[], size: number, value: BvTerm): void {
    if (cond === FALSE) return
    let log = this.logs.get(rid)
    if (log === undefined) {
      log = emptyLog()
      this.logs.set(rid, log)
    }
    for (let i = 0; i < size; i++) {
      const at = bytePlace(place, i)
      const off = offsetOf(at)
      const index = log.writes.length
      log.writes.push({ cond, place: at, value: extract(value, i * 8 + 7, i * 8) })
      if (off.op !== 'bvconst') log.wild.push(index)
      else {
        const list = log.byOffset.get(off.id)
        if (list === undefined) log.byOffset.set(off.id, [index])
        else list.push(index)
      }
    }
  }

  /** One byte of region `rid` at `place` as it is now. */
  readByte(rid: string, place: readonly BvTerm[]): BvTerm {
    const log = this.logs.get(rid)
    if (log === undefined) return this.initial(rid, place)
    const key = place.map((p) => p.id).join(',')
    const known = log.reads.get(key)
    const covers = known?.covers ?? 0
    const hits: { guard: BoolTerm; value: BvTerm }[] = []
    let base: BvTerm | undefined
    for (const i of candidates(log, place)) {
      if (i < covers) break
      const w = log.writes[i] as ByteWrite
      const same = samePlace(w.place, place)
      if (same === FALSE) continue
      const guard = and(w.cond, same)
      if (guard === TRUE) {
        base = w.value
        break
      }
      hits.push({ guard, value: w.value })
    }
    let out = base ?? known?.value ?? this.initial(rid, place)
    for (let i = hits.length - 1; i >= 0; i--) {
      const h = hits[i] as { guard: BoolTerm; value: BvTerm }
      out = ite(h.guard, h.value, out)
    }
    log.reads.set(key, { covers: log.writes.length, value: out })
    return out
  }

  /**
   * Whether some write may have reached `place` of region `rid`; where none can, a read gives
   * the initial byte, the same term in every program over the same inputs.
   */
  mayHaveWritten(rid: string, place: readonly BvTerm[]): boolean {
    const log = this.logs.get(rid)
    if (log === undefined) return false
    const off = offsetOf(place)
    return off.op !== 'bvconst' || log.wild.length > 0 || log.byOffset.has(off.id)
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
    for (const w of this.logs.get(rid)?.writes ?? []) {
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
    for (const [rid, log] of this.logs) c.logs.set(rid, cloneLog(log))
    return c
  }

  /** A copy of region `rid` alone as it is now (later writes to either do not affect the other). */
  snapshot(rid: string): SymMemory {
    const c = new SymMemory(this.initial)
    const log = this.logs.get(rid)
    if (log !== undefined) c.logs.set(rid, cloneLog(log))
    return c
  }

  /** Current log lengths, to ask later which places were written since. */
  mark(): Map<string, number> {
    return new Map([...this.logs].map(([rid, log]) => [rid, log.writes.length]))
  }

  /** Distinct places of region `rid` written after `mark`. */
  placesSince(mark: ReadonlyMap<string, number>, rid: string): (readonly BvTerm[])[] {
    const log = this.logs.get(rid)?.writes ?? []
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
