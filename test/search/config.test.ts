/** @fileoverview Tests of the search configuration schema (TypeBox / JSON Schema) and its validation. */
import { describe, expect, it } from 'vitest'
import { Value } from '@sinclair/typebox/value'
import {
  defaultSearchOptions,
  resolveSearchOptions,
  SearchConfig
} from '../../src-daemon/core/search/config'

describe('SearchConfig', () => {
  it('describes every field with a default inside its own range', () => {
    for (const [name, f] of Object.entries(SearchConfig.properties)) {
      expect(f.description?.length ?? 0, name).toBeGreaterThan(10)
      expect(Value.Check(f, f.default), name).toBe(true)
      if ('minimum' in f) expect(f.minimum <= f.default && f.default <= f.maximum, name).toBe(true)
    }
    expect(defaultSearchOptions().beta).toBeCloseTo(Math.LN2, 12)
    expect(Value.Check(SearchConfig, defaultSearchOptions())).toBe(true)
  })

  it('is plain JSON Schema that survives a JSON round trip (what the UI form receives)', () => {
    const doc = JSON.parse(JSON.stringify(SearchConfig)) as {
      type: string
      additionalProperties: boolean
      properties: Record<string, { type?: string; anyOf?: { const: string }[] }>
    }
    expect(doc.type).toBe('object')
    expect(doc.additionalProperties).toBe(false)
    expect(doc.properties.seed?.type).toBe('integer')
    expect(doc.properties.perfModel?.anyOf?.map((x) => x.const)).toEqual([
      'sizeNoSlower',
      'count',
      'latency'
    ])
  })

  it('fills defaults and rejects unknown keys, wrong types and out-of-range values', () => {
    const r = resolveSearchOptions({ seed: 5, perfModel: 'latency', allowIsaV4: true })
    expect(
      r.ok && r.value.seed === 5 && r.value.perfModel === 'latency' && r.value.wErr === 0.5
    ).toBe(true)
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ nope: 1 }, /nope: unknown option/],
      [{ toString: 1 }, /unknown option/],
      [{ seed: 1.5 }, /seed: expected an integer in \[0, 4294967295\]/],
      [{ seed: -1 }, /seed: expected an integer/],
      [{ beta: 'x' }, /beta: expected a number/],
      [{ beta: Number.NaN }, /beta: expected a number/],
      [{ perfModel: 'speed' }, /perfModel: expected one of sizeNoSlower, count, latency/],
      [{ allowIsaV4: 1 }, /allowIsaV4: expected true or false/],
      [{ targetKernel: 'six' }, /targetKernel: expected a kernel version such as 6\.1, or empty/],
      [
        {
          pOperand: 0,
          pReplace: 0,
          pNop: 0,
          pReplace2: 0,
          pMemWidth: 0,
          pSwap: 0,
          pRemove: 0,
          pIdiom: 0
        },
        /move probabilities sum to zero/
      ]
    ]
    for (const [c, why] of cases) {
      const res = resolveSearchOptions(c)
      expect(res.ok, JSON.stringify(c)).toBe(false)
      if (!res.ok) {
        expect(res.error.code).toBe('CONFIG_INVALID')
        expect(res.error.message).toMatch(why)
      }
    }
  })
})
