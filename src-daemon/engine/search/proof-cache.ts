/** @fileoverview The proof cache of a job: decided answers (equal / notEqual) by canonical key. */
import type { JsonValue } from '../../core/search/cost'

/** A cached decided answer (unknown answers are not cached: another try may decide). */
export type CachedProof =
  { readonly kind: 'equal' } | { readonly kind: 'notEqual'; readonly counterexample: JsonValue }

/** Map from canonical program key to decided proof answer, with hit counters. */
export class ProofCache {
  private readonly entries = new Map<string, CachedProof>()
  /** Lookups answered from the cache. */
  hits = 0
  /** Lookups not found. */
  misses = 0

  /** Bounded to `maxEntries` (cleared when full). */
  constructor(private readonly maxEntries = 100_000) {}

  /** The cached answer for `key`, counting the hit or miss. */
  lookup(key: string): CachedProof | undefined {
    const r = this.entries.get(key)
    if (r === undefined) this.misses++
    else this.hits++
    return r
  }

  /** Stores an answer; true when it was new. */
  store(key: string, r: CachedProof): boolean {
    if (this.entries.has(key)) return false
    if (this.entries.size >= this.maxEntries) this.entries.clear()
    this.entries.set(key, r)
    return true
  }

  /** Number of entries. */
  get size(): number {
    return this.entries.size
  }
}
