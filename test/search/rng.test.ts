/** @fileoverview Tests of the seeded generator: determinism, ranges, state save/restore. */
import { describe, expect, it } from 'vitest'
import { Rng } from '../../src-daemon/core/search/rng'

describe('Rng', () => {
  it('gives the same sequence for the same seed and different ones for different seeds', () => {
    const a = new Rng(7)
    const b = new Rng(7)
    const c = new Rng(8)
    const sa = Array.from({ length: 20 }, () => a.nextU32())
    const sb = Array.from({ length: 20 }, () => b.nextU32())
    const sc = Array.from({ length: 20 }, () => c.nextU32())
    expect(sa).toEqual(sb)
    expect(sa).not.toEqual(sc)
    expect(new Set(sa).size).toBe(20)
    for (const v of sa) expect(v >>> 0).toBe(v)
  })

  it('keeps int(n) in range and roughly uniform', () => {
    const r = new Rng(1)
    const counts = new Array<number>(10).fill(0)
    let outOfRange = 0
    for (let i = 0; i < 100_000; i++) {
      const v = r.int(10)
      if (v >= 0 && v < 10) counts[v]!++
      else outOfRange++
    }
    expect(outOfRange).toBe(0)
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(600)
    let bad = 0
    const seen = new Set<number>()
    for (let i = 0; i < 1000; i++) {
      const f = r.nextFloat()
      const x = r.range(-3, 3)
      seen.add(x)
      if (!(f >= 0 && f < 1) || !(x >= -3 && x <= 3)) bad++
    }
    expect(bad).toBe(0)
    expect(seen.size).toBe(7)
  })

  it('resumes exactly from a saved state', () => {
    const r = new Rng(99)
    for (let i = 0; i < 57; i++) r.nextU32()
    const state = r.getState()
    const expected = Array.from({ length: 10 }, () => r.nextU32())
    const s = new Rng(0)
    s.setState(JSON.parse(JSON.stringify(state)) as typeof state)
    expect(Array.from({ length: 10 }, () => s.nextU32())).toEqual(expected)
  })
})
