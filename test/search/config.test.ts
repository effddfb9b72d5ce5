/** @fileoverview Tests of the search configuration schema and its validation. */
import { describe, expect, it } from 'vitest'
import {
  defaultSearchOptions,
  resolveSearchOptions,
  SearchConfig
} from '../../src-daemon/core/search/config'

describe('SearchConfig', () => {
  it('describes every field with a default inside its own range', () => {
    for (const [name, f] of Object.entries(SearchConfig)) {
      expect(f.description.length, name).toBeGreaterThan(10)
      if (f.type === 'number' || f.type === 'integer') {
        expect(f.default >= f.min && f.default <= f.max, name).toBe(true)
        if (f.type === 'integer') expect(Number.isInteger(f.default), name).toBe(true)
      } else if (f.type === 'enum') {
        expect(f.values, name).toContain(f.default)
      }
    }
    expect(defaultSearchOptions().beta).toBeCloseTo(Math.LN2, 12)
  })

  it('fills defaults and rejects unknown keys, wrong types and out-of-range values', () => {
    const r = resolveSearchOptions({ seed: 5, perfModel: 'latency', allowIsaV4: true })
    expect(
      r.ok && r.value.seed === 5 && r.value.perfModel === 'latency' && r.value.wErr === 0.5
    ).toBe(true)
    const cases: Record<string, unknown>[] = [
      { nope: 1 },
      { seed: 1.5 },
      { seed: -1 },
      { beta: 'x' },
      { perfModel: 'speed' },
      { allowIsaV4: 1 },
      {
        pOperand: 0,
        pReplace: 0,
        pNop: 0,
        pReplace2: 0,
        pMemWidth: 0,
        pSwap: 0,
        pRemove: 0,
        pIdiom: 0
      }
    ]
    for (const c of cases) {
      const res = resolveSearchOptions(c)
      expect(res.ok, JSON.stringify(c)).toBe(false)
      if (!res.ok) expect(res.error.code).toBe('CONFIG_INVALID')
    }
  })
})
