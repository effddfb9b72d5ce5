/** @fileoverview bpf_conformance `.data` parser tests over the whole corpus. */

import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseConformanceData } from '../../src-daemon/core/formats'
import type { ConformanceTest } from '../../src-daemon/core/formats'
import { conformancePath } from './helpers'

const dir = conformancePath('tests')
const negDir = conformancePath('negative')
const files = (d: string): string[] => readdirSync(d).filter((f) => f.endsWith('.data'))

function parse(path: string): ConformanceTest {
  const r = parseConformanceData(readFileSync(path, 'utf8'), path)
  if (!r.ok) throw new Error(`${path}: ${r.error.code} ${r.error.message}`)
  return r.value
}

describe('conformance corpus', () => {
  it('parses all 313 positive tests, each with a program and an expected outcome', () => {
    const names = files(dir)
    expect(names.length).toBe(313)
    let withMem = 0
    for (const n of names) {
      const t = parse(join(dir, n))
      expect(t.asm !== undefined || t.raw !== undefined).toBe(true)
      expect(t.result !== undefined || t.error !== undefined).toBe(true)
      expect(t.unknownDirectives).toEqual([])
      if (t.hasMem) withMem++
    }
    expect(withMem).toBeGreaterThan(30)
  })

  it('parses every negative file', () => {
    const names = files(negDir)
    expect(names.length).toBeGreaterThan(50)
    const unknown = names.filter((n) => parse(join(negDir, n)).unknownDirectives.length > 0)
    expect(unknown).toEqual(['invalid_unknown_directive.data'])
  })

  it('reads asm, result, mem and raw exactly', () => {
    const add = parse(join(dir, 'add.data'))
    expect(add.asmLines?.[0]).toEqual({ line: 4, text: 'mov32 %r0, 0' })
    expect(add.asm?.split('\n').length).toBe(7)
    expect(add.result).toBe(3n)
    const lddw = parse(join(dir, 'lddw.data'))
    expect(lddw.raw).toEqual([
      { code: 0x18, dst: 0, src: 0, off: 0, imm: 0x55667788 },
      { code: 0, dst: 0, src: 0, off: 0, imm: 0x11223344 },
      { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }
    ])
    expect(lddw.result).toBe(0x1122334455667788n)
    const memLen = parse(join(dir, 'mem-len.data'))
    expect(Array.from(memLen.mem)).toEqual([0, 0, 0, 1, 0, 0, 0, 2])
    expect(memLen.noRegisterOffset).toBe('')
    const callx = parse(join(dir, 'callx.data'))
    expect(callx.noRegisterOffset).toBe('call instruction')
    const prime = parse(join(dir, 'prime.data'))
    expect(prime.c).toContain('#include <stdint.h>')
    expect(prime.asm).toContain('L1:')
  })

  it('reads byte-list raw sections, empty errors, comments in asm and a max u64 result', () => {
    const unused = parse(join(negDir, 'unused-add64_imm-offset.data'))
    expect(unused.raw?.[0]).toEqual({ code: 0x07, dst: 0, src: 0, off: 1, imm: 1 })
    expect(unused.error).toBe('')
    const mnemonic = parse(join(negDir, 'invalid_mnemonic.data'))
    expect(mnemonic.asm).toBe('ldxq %r0, %r1\nexit')
    const t = parseConformanceData('-- asm\nexit # done\n-- result\n0xFFFFFFFFFFFFFFFF\n')
    expect(t.ok && [t.value.asm, t.value.result]).toEqual(['exit', 0xffffffffffffffffn])
    const empty = parse(join(negDir, 'empty.data'))
    expect([empty.asm, empty.raw, empty.result, empty.sections.length]).toEqual([
      undefined,
      undefined,
      undefined,
      0
    ])
  })

  it('reports malformed sections with line numbers', () => {
    const r = parseConformanceData('-- raw\n0x12\nzz\n', 'x.data')
    expect(r.ok ? undefined : r.error).toMatchObject({
      code: 'CONF_BAD_RAW',
      line: 3,
      file: 'x.data'
    })
    const m = parseConformanceData('-- mem\n01 2\n')
    expect(m.ok ? undefined : m.error).toMatchObject({ code: 'CONF_BAD_MEM', line: 2 })
    const res = parseConformanceData('-- result\nabc\n')
    expect(res.ok ? undefined : res.error.code).toBe('CONF_BAD_RESULT')
  })
})
