/**
 * Symbolic memory reads: the offset index and the remembered reads build the same terms as a
 * plain scan of the whole log, and a long log of guarded writes to a few stack slots (as Katran's
 * xdp-balancer makes: 1,795 slots, thousands of stack byte writes under branch conditions) reads
 * in linear time. Before the index, each read scanned and re-folded every earlier write, and the
 * balancer's encoding did not finish in ten minutes.
 */
import { describe, expect, it } from 'vitest'
import { SymMemory } from '../../src-daemon/core/smt/enc-memory'
import {
  add,
  and,
  boolVar,
  bv,
  bvVar,
  eq,
  extract,
  FALSE,
  ite,
  TRUE
} from '../../src-daemon/core/smt/terms'
import type { BoolTerm, BvTerm } from '../../src-daemon/core/smt/terms'

const initial = (rid: string, place: readonly BvTerm[]): BvTerm =>
  bvVar(`init_${rid}_${place.map((p) => p.id).join('_')}`, 8)

/** The reference: every write scanned newest first, as the memory read before its index. */
class Reference {
  readonly log: { cond: BoolTerm; place: readonly BvTerm[]; value: BvTerm }[] = []
  write(cond: BoolTerm, place: readonly BvTerm[], value: BvTerm): void {
    if (cond !== FALSE) this.log.push({ cond, place, value })
  }
  readByte(place: readonly BvTerm[]): BvTerm {
    const hits: { guard: BoolTerm; value: BvTerm }[] = []
    let base: BvTerm | undefined
    for (let i = this.log.length - 1; i >= 0; i--) {
      const w = this.log[i]!
      const same =
        w.place.length !== place.length ? FALSE : and(...w.place.map((p, k) => eq(p, place[k]!)))
      if (same === FALSE) continue
      const guard = and(w.cond, same)
      if (guard === TRUE) {
        base = w.value
        break
      }
      hits.push({ guard, value: w.value })
    }
    let out = base ?? initial('r', place)
    for (let i = hits.length - 1; i >= 0; i--) out = ite(hits[i]!.guard, hits[i]!.value, out)
    return out
  }
}

/** A small deterministic generator (xorshift). */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1
  return (n) => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s % n
  }
}

describe('symbolic memory reads', () => {
  it('build the same terms as a scan of the whole log (constant, symbolic and keyed places, clones)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = rng(seed)
      let mem = new SymMemory(initial)
      let ref = new Reference()
      const key = bvVar('k', 32)
      const sym = bvVar('x', 64)
      const offset = (): BvTerm => {
        const c = r(6)
        if (r(5) === 0) return add(sym, bv(c, 64))
        return bv(c, 64)
      }
      const place = (): BvTerm[] => (r(4) === 0 ? [key, offset()] : [offset()])
      const cond = (): BoolTerm => (r(3) === 0 ? TRUE : boolVar(`c${r(4)}`))
      for (let step = 0; step < 200; step++) {
        const what = r(10)
        if (what < 5) {
          const p = place()
          const c = cond()
          const v = bvVar(`v${step}`, 8)
          mem.write('r', c, p, 1, v)
          ref.write(c, p, extract(v, 7, 0))
        } else if (what < 9) {
          const p = place()
          expect(mem.readByte('r', p)).toBe(ref.readByte(p))
        } else {
          // A fork: later writes to the copy do not reach the original, and the other way round.
          const copy = mem.clone()
          const refCopy = new Reference()
          refCopy.log.push(...ref.log)
          if (r(2) === 0) {
            mem = copy
            ref = refCopy
          }
        }
      }
    }
  })

  it('reads a long log of guarded writes to a few stack slots in linear time', () => {
    const mem = new SymMemory(initial)
    const t0 = performance.now()
    let last: BvTerm = bv(0, 8)
    for (let i = 0; i < 2000; i++) {
      const place = [bv(-8 * (1 + (i % 64)), 64)]
      mem.write('stack0', boolVar(`p${i % 97}`), place, 8, bvVar(`w${i}`, 64))
      for (let b = 0; b < 8; b++) last = mem.readByte('stack0', [add(place[0]!, bv(b, 64))])
    }
    expect(last.sort).toBe('bv')
    // Well under a second with the index; scanning the whole log took over a minute.
    expect(performance.now() - t0).toBeLessThan(5000)
  })
})
