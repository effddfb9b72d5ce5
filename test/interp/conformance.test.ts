/** @fileoverview Runs the whole bpf_conformance corpus through the interpreter (plain mode, suite helpers). */
import { readFileSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseConformanceData } from '../../src-daemon/core/formats/conformance-data'
import { runConformanceTest } from '../../src-daemon/core/interp/conformance'

const DIR = new URL('../data/conformance/tests/', import.meta.url)
const KNOWN: Record<string, string> = JSON.parse(
  readFileSync(new URL('./conformance-known-failures.json', import.meta.url), 'utf8')
) as Record<string, string>

describe('bpf_conformance corpus', () => {
  it('passes every test except the listed known failures', () => {
    const files = readdirSync(DIR)
      .filter((f) => f.endsWith('.data'))
      .sort()
    expect(files.length).toBeGreaterThan(300)
    let passed = 0
    let failed = 0
    const unexpected: string[] = []
    const fixed: string[] = []
    for (const f of files) {
      const parsed = parseConformanceData(readFileSync(new URL(f, DIR), 'utf8'), f)
      const verdict = parsed.ok
        ? runConformanceTest(parsed.value)
        : { pass: false, expected: '?', actual: `parse error ${parsed.error.message}` }
      if (verdict.pass) passed++
      else failed++
      if (!verdict.pass && KNOWN[f] === undefined)
        unexpected.push(`${f}: expected ${verdict.expected}, got ${verdict.actual}`)
      if (verdict.pass && KNOWN[f] !== undefined) fixed.push(f)
    }
    console.log(`${passed} passed, ${failed} failed`)
    expect(unexpected).toEqual([])
    expect(fixed).toEqual([])
  })
})
