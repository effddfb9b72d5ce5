/** @fileoverview The form generated from the real config schema: every field, defaults, ranges, parsing. */
import { describe, expect, it } from 'vitest'
import { SearchConfig } from '../../src-daemon/core/search/config'
import { JobExtras } from '../../src-daemon/api/protocol/schemas'
import { formFields, labelOf, parseField } from '../../src-renderer/src/lib/schema-form'

describe('formFields', () => {
  it('gives one field per schema property with its kind, default, range and description', () => {
    const fields = formFields(SearchConfig)
    expect(fields.map((f) => f.key)).toEqual(Object.keys(SearchConfig.properties))
    const seed = fields.find((f) => f.key === 'seed')!
    expect(seed).toMatchObject({
      kind: 'integer',
      defaultValue: 1,
      minimum: 0,
      maximum: 0xffffffff
    })
    expect(seed.description).toMatch(/PRNG/)
    expect(fields.find((f) => f.key === 'perfModel')).toMatchObject({
      kind: 'choice',
      choices: ['sizeNoSlower', 'count', 'latency'],
      defaultValue: 'sizeNoSlower'
    })
    expect(fields.find((f) => f.key === 'errorAverage')).toMatchObject({
      kind: 'boolean',
      defaultValue: false
    })
    expect(fields.find((f) => f.key === 'timeSeconds')!.label).toBe('Time budget (seconds)')
  })

  it('shows the job extras that are numbers, not the windows array', () => {
    expect(formFields(JobExtras).map((f) => f.key)).toEqual(['proofTimeoutMs'])
  })

  it('parses input against the field range and kind', () => {
    const chains = formFields(SearchConfig).find((f) => f.key === 'chains')!
    expect(parseField(chains, '4')).toEqual({ ok: true, value: 4 })
    expect(parseField(chains, 4)).toEqual({ ok: true, value: 4 })
    expect(parseField(chains, '0')).toEqual({ ok: false, message: 'Chains: at least 1' })
    expect(parseField(chains, '1.5')).toMatchObject({ ok: false })
    expect(parseField(chains, 'x')).toMatchObject({ ok: false, message: 'Chains: not a number' })
    expect(labelOf('windowMaxSlots')).toBe('Window max slots')
  })

  it('gives the target kernel a text field checked against the schema pattern', () => {
    const target = formFields(SearchConfig).find((f) => f.key === 'targetKernel')!
    expect(target).toMatchObject({ kind: 'text', defaultValue: '', label: 'Target kernel' })
    expect(parseField(target, ' 6.1 ')).toEqual({ ok: true, value: '6.1' })
    expect(parseField(target, '')).toEqual({ ok: true, value: '' })
    expect(parseField(target, 'latest')).toEqual({
      ok: false,
      message: 'Target kernel: not of the expected form'
    })
    expect(parseField(target, '6.1.' + '9'.repeat(70))).toMatchObject({ ok: false })
  })
})
