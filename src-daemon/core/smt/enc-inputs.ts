/**
 * @fileoverview The symbolic inputs both programs of an equivalence query share: initial bytes of
 * every memory region, initial map presence, random and time sequences. Reads at constant places
 * become named variables (the same name in both programs); reads at symbolic places get fresh
 * variables tied together by consistency constraints (equal place → equal value); answers to
 * calls of helpers outside the model by call position.
 */
import type { BoolTerm, BvTerm } from './term'
import {
  and,
  boolVar,
  bv,
  bvAnd,
  bvNot,
  bvVar,
  bvXor,
  concat,
  eq,
  extract,
  FALSE,
  iff,
  implies,
  ite,
  lshr,
  not,
  TRUE,
  ugt,
  ule,
  ult,
  zeroExt
} from './terms'

/** An initial read at a place that was not constant. */
interface SymbolicRead<T> {
  readonly place: readonly BvTerm[]
  readonly value: T
}

/** Per-region record of initial reads. */
interface RegionReads<T> {
  readonly byName: Map<string, T>
  /** Symbolic reads by the ids of their place terms (hash-consing makes equal places share). */
  readonly byPlaceIds: Map<string, T>
  readonly constPlaces: { place: readonly BvTerm[]; value: T }[]
  readonly symbolic: SymbolicRead<T>[]
}

function placeKey(place: readonly BvTerm[]): string | undefined {
  let key = ''
  for (const p of place) {
    if (p.op !== 'bvconst') return undefined
    key += `_${p.value.toString(16)}`
  }
  return key
}

/** The prefix length of an LPM key (its first four bytes, little-endian), 32 bits. */
function lpmPrefix(key: BvTerm): BvTerm {
  return extract(key, 31, 0)
}

/** The data bytes of an LPM key in network order (first byte most significant), `bits` wide. */
function lpmData(key: BvTerm, bits: number): BvTerm {
  let out = extract(key, 39, 32)
  for (let i = 1; i < bits / 8; i++) out = concat(out, extract(key, 32 + 8 * i + 7, 32 + 8 * i))
  return out
}

/** The mask of the first `prefix` bits of `bits`-bit network-order data (all ones past `bits`). */
function lpmMask(prefix: BvTerm, bits: number): BvTerm {
  const p =
    bits > 32 ? zeroExt(prefix, bits - 32) : bits === 32 ? prefix : extract(prefix, bits - 1, 0)
  const ones = bv((1n << BigInt(bits)) - 1n, bits)
  const mask = bvNot(lshr(ones, p))
  return bits >= 32 ? mask : ite(ult(prefix, bv(bits, 32)), mask, ones)
}

/** An entry key `id` whose prefix is at most `key`'s and whose prefix bits are `key`'s. */
function lpmMatches(id: BvTerm, key: BvTerm, bits: number): BoolTerm {
  const diff = bvXor(lpmData(id, bits), lpmData(key, bits))
  return and(
    ule(lpmPrefix(id), lpmPrefix(key)),
    eq(bvAnd(diff, lpmMask(lpmPrefix(id), bits)), bv(0, bits))
  )
}

/** An entry key with a prefix of at most `bits` and no data bits set past it. */
function lpmCanonical(id: BvTerm, bits: number): BoolTerm {
  return and(
    ule(lpmPrefix(id), bv(bits, 32)),
    eq(bvAnd(lpmData(id, bits), bvNot(lpmMask(lpmPrefix(id), bits))), bv(0, bits))
  )
}

/**
 * The environment's answer to one call of a helper outside the model: a raw 64-bit result and, per
 * byte of the output buffer, a value and whether the helper leaves that byte alone.
 */
export class Answer {
  /** The raw result (the helper's range is applied where it is used). */
  readonly r0: BvTerm
  private readonly data: BvTerm[] = []
  private readonly kept: BoolTerm[] = []
  private readonly named = new Map<string, BvTerm>()

  constructor(readonly position: number) {
    this.r0 = bvVar(`call${position}_r0`, 64)
  }

  /** The value written to byte `i` of the output buffer. */
  byte(i: number): BvTerm {
    while (this.data.length <= i)
      this.data.push(bvVar(`call${this.position}_d${this.data.length}`, 8))
    return this.data[i] as BvTerm
  }

  /** Whether the helper leaves byte `i` of an in/out buffer as it was. */
  keep(i: number): BoolTerm {
    while (this.kept.length <= i)
      this.kept.push(boolVar(`call${this.position}_k${this.kept.length}`))
    return this.kept[i] as BoolTerm
  }

  /** The answer's value named `name` (`width` bits wide, created on first use). */
  value(name: string, width: number): BvTerm {
    let v = this.named.get(name)
    if (v === undefined) {
      v = bvVar(`call${this.position}_${name}`, width)
      this.named.set(name, v)
    }
    return v
  }

  /** The named values used so far (see {@link value}). */
  values(): ReadonlyMap<string, BvTerm> {
    return this.named
  }

  /** How many data bytes and kept flags have been used. */
  sizes(): { readonly data: number; readonly kept: number } {
    return { data: this.data.length, kept: this.kept.length }
  }
}

/** Shared initial state of one query; both programs read their inputs from the same instance. */
export class SharedInputs {
  private readonly bytes = new Map<string, RegionReads<BvTerm>>()
  private readonly flags = new Map<string, RegionReads<BoolTerm>>()
  private fresh = 0

  /** Sequences of helper results (get_prandom_u32, ktime_get_ns) by position. */
  readonly sequences = new Map<string, BvTerm[]>()

  /** Answers to calls of helpers outside the model, by call position (see enc-opaque). */
  private readonly answers: Answer[] = []

  /** Values the environment chooses per key (LPM matches, inner maps), by name. */
  private readonly matches = new Map<string, RegionReads<BvTerm>>()
  private readonly lpmLookups = new Map<string, { key: BvTerm; dataBits: number }[]>()

  private region<T>(table: Map<string, RegionReads<T>>, rid: string): RegionReads<T> {
    let r = table.get(rid)
    if (r === undefined) {
      r = { byName: new Map(), byPlaceIds: new Map(), constPlaces: [], symbolic: [] }
      table.set(rid, r)
    }
    return r
  }

  /**
   * The input variable of `place` in region `r`: named after a constant place (the same name in
   * both programs), or fresh for a symbolic place (shared by reads of the identical place terms).
   */
  private read<T>(
    r: RegionReads<T>,
    prefix: string,
    place: readonly BvTerm[],
    make: (name: string) => T
  ): T {
    const key = placeKey(place)
    if (key !== undefined) {
      const name = `${prefix}${key}`
      let v = r.byName.get(name)
      if (v === undefined) {
        v = make(name)
        r.byName.set(name, v)
        r.constPlaces.push({ place, value: v })
      }
      return v
    }
    const ids = place.map((p) => p.id).join(',')
    const seen = r.byPlaceIds.get(ids)
    if (seen !== undefined) return seen
    const v = make(`${prefix}_s${this.fresh++}`)
    r.byPlaceIds.set(ids, v)
    r.symbolic.push({ place, value: v })
    return v
  }

  /** The initial byte of region `rid` at `place` (offset, or key parts then offset). */
  byte(rid: string, place: readonly BvTerm[]): BvTerm {
    return this.read(this.region(this.bytes, rid), `in_${rid}`, place, (name) => bvVar(name, 8))
  }

  /** The initial presence of key `place` in map region `rid`. */
  present(rid: string, place: readonly BvTerm[]): BoolTerm {
    return this.read(this.region(this.flags, rid), `pres_${rid}`, place, boolVar)
  }

  /** Element `index` (a small bit-vector) of the named helper-result sequence, 64 bits wide. */
  sequence(name: string, index: BvTerm, bound: number): BvTerm {
    let seq = this.sequences.get(name)
    if (seq === undefined) {
      seq = []
      this.sequences.set(name, seq)
    }
    const at = index.op === 'bvconst' && index.value < BigInt(bound) ? Number(index.value) : -1
    while (seq.length < Math.max(bound, at + 1)) seq.push(bvVar(`${name}_${seq.length}`, 64))
    if (at >= 0) return seq[at] as BvTerm
    let out: BvTerm = seq[bound - 1] as BvTerm
    for (let i = bound - 2; i >= 0; i--)
      out = ite(eq(index, bv(i, index.width)), seq[i] as BvTerm, out)
    return out
  }

  /**
   * The key of the LPM trie entry that a lookup of `key` in map region `rid` finds (the same for
   * equal keys); whether it finds one is {@link present} at [key]. `dataBits` is the key's data
   * size in bits (after the u32 prefix length).
   */
  lpmMatch(rid: string, key: BvTerm, dataBits: number): BvTerm {
    const list = this.lpmLookups.get(rid) ?? []
    if (!list.some((l) => l.key.id === key.id)) list.push({ key, dataBits })
    this.lpmLookups.set(rid, list)
    return this.chosen(`lpm_${rid}`, key, key.width)
  }

  /**
   * A `width`-bit value the environment chooses for `key` under `name` (the same for equal keys):
   * which LPM entry a key reaches, which inner map an entry of a map-in-map names.
   */
  chosen(name: string, key: BvTerm, width: number): BvTerm {
    return this.read(this.region(this.matches, name), name, [key], (v) => bvVar(v, width))
  }

  /** The answer to the call at position `p` (created on first use). */
  answer(p: number): Answer {
    while (this.answers.length <= p) {
      const q = this.answers.length
      this.answers.push(new Answer(q))
    }
    return this.answers[p] as Answer
  }

  /** The answers used so far, by position (for counterexample extraction). */
  answersUsed(): readonly Answer[] {
    return this.answers
  }

  /** Consistency constraints: reads of the same place give the same value. */
  constraints(): BoolTerm[] {
    const out: BoolTerm[] = []
    const tie = <T extends BvTerm | BoolTerm>(
      r: RegionReads<T>,
      same: (a: T, b: T) => BoolTerm
    ): void => {
      const all = [...r.constPlaces, ...r.symbolic]
      for (let i = 0; i < r.symbolic.length; i++) {
        const a = r.symbolic[i] as SymbolicRead<T>
        for (const b of all) {
          if (b === a) break
          const samePlace = and(...a.place.map((p, k) => eq(p, b.place[k] as BvTerm)))
          if (samePlace !== FALSE) out.push(implies(samePlace, same(a.value, b.value)))
        }
      }
    }
    for (const r of this.bytes.values()) tie(r, (a, b) => eq(a, b))
    for (const r of this.flags.values()) tie(r, (a, b) => iff(a, b))
    for (const r of this.matches.values()) tie(r, (a, b) => eq(a, b))
    for (const [rid, lookups] of this.lpmLookups) out.push(...this.lpmConstraints(rid, lookups))
    // Times reach the interpreter as JavaScript numbers: keep them exact.
    for (const t of this.sequences.get('time') ?? []) out.push(ult(t, bv(2n ** 53n, 64)))
    return out.filter((c) => c !== TRUE)
  }

  /**
   * What makes the lookups of one LPM trie those of a real trie holding the entries they find:
   * a found entry is canonical (no data bits past its prefix), its prefix is at most the lookup
   * key's and matches the key's data; no found entry matches a key that finds nothing; and no
   * found entry that matches a key is longer than the one that key finds.
   */
  private lpmConstraints(
    rid: string,
    lookups: readonly { key: BvTerm; dataBits: number }[]
  ): BoolTerm[] {
    const out: BoolTerm[] = []
    const found = lookups.map((l) => this.present(rid, [l.key]))
    const ids = lookups.map((l) => this.lpmMatch(rid, l.key, l.dataBits))
    lookups.forEach((l, j) => {
      const id = ids[j] as BvTerm
      out.push(
        implies(
          found[j] as BoolTerm,
          and(lpmCanonical(id, l.dataBits), lpmMatches(id, l.key, l.dataBits))
        )
      )
      lookups.forEach((_, i) => {
        if (i === j) return
        const other = ids[i] as BvTerm
        const hit = and(found[i] as BoolTerm, lpmMatches(other, l.key, l.dataBits))
        out.push(implies(not(found[j] as BoolTerm), not(hit)))
        out.push(implies(and(found[j] as BoolTerm, hit), not(ugt(lpmPrefix(other), lpmPrefix(id)))))
      })
    })
    return out
  }

  /** Every LPM match input of map region `rid` (for counterexample extraction). */
  namedMatches(rid: string): readonly { place: readonly BvTerm[]; value: BvTerm }[] {
    return this.namedChoices(`lpm_${rid}`)
  }

  /** Every value chosen under `name` (see {@link chosen}), with its key. */
  namedChoices(name: string): readonly { place: readonly BvTerm[]; value: BvTerm }[] {
    const r = this.matches.get(name)
    return r === undefined ? [] : [...r.constPlaces, ...r.symbolic]
  }

  /** Every named constant-place byte input, by region (for counterexample extraction). */
  namedBytes(rid: string): readonly { place: readonly BvTerm[]; value: BvTerm }[] {
    const r = this.bytes.get(rid)
    return r === undefined ? [] : [...r.constPlaces, ...r.symbolic]
  }

  /** Every presence input, by region (for counterexample extraction). */
  namedPresence(rid: string): readonly { place: readonly BvTerm[]; value: BoolTerm }[] {
    const r = this.flags.get(rid)
    return r === undefined ? [] : [...r.constPlaces, ...r.symbolic]
  }

  /** Region ids that have byte inputs. */
  byteRegions(): string[] {
    return [...this.bytes.keys()]
  }
}
