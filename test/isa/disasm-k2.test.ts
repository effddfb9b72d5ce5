/** @fileoverview K2 text syntax: the benchmark programs, exact texts, and errors for instructions K2 lacks. */
import { describe, expect, it } from 'vitest'
import { k2BenchDir } from '../support/environment'
import { readdirSync, readFileSync } from 'node:fs'
import { insn, slotsFromBytes, type Insn } from '../../src-daemon/core/isa/insn'
import { decodeLenient, decodeProgram } from '../../src-daemon/core/isa/decode'
import { k2Text } from '../../src-daemon/core/isa/disasm-k2'
import { disasmProgram } from '../../src-daemon/core/isa/disasm'

function one(slots: Insn[]): string {
  const [d] = decodeLenient(slots)
  if (d === undefined) throw new Error('empty')
  const r = k2Text(d)
  if (!r.ok) throw new Error(r.error.message)
  return r.value
}

describe('k2 syntax', () => {
  const dir = k2BenchDir()
  it.skipIf(dir === undefined)(
    'prints every instruction of the 11 K2 benchmarks (K2 can read them all)',
    () => {
      let lines = 0
      const names = readdirSync(dir ?? '').filter((n) => n.endsWith('.insns'))
      expect(names.length).toBe(11)
      for (const f of names) {
        const prog = decodeProgram(slotsFromBytes(readFileSync(`${dir ?? ''}${f}`)), { file: f })
        if (!prog.ok) throw new Error(prog.error.message)
        const r = disasmProgram(prog.value, 'k2')
        if (!r.ok) throw new Error(`${f}: ${r.error.message}`)
        expect(r.value.length).toBe(prog.value.insns.length)
        for (const l of r.value) expect(l).toMatch(/^[A-Z0-9]+( -?\d+)*$/)
        lines += r.value.length
      }
      console.log(`disasm-k2: ${names.length} benchmarks, ${lines} instructions in K2 text`)
    }
  )

  it('uses K2 names and operand orders', () => {
    expect(one([insn(0xb7, 0, 0, 0, 1)])).toBe('MOV64XC 0 1')
    expect(one([insn(0x0f, 0, 0)])).toBe('ADD64XY 0 0')
    expect(one([insn(0x1c, 3, 4)])).toBe('SUB32XY 3 4')
    expect(one([insn(0x87, 2)])).toBe('NEG64XC 2')
    expect(one([insn(0xdc, 1, 0, 0, 16)])).toBe('BE 1 16')
    expect(one([insn(0x61, 2, 1, 4)])).toBe('LDXW 2 1 4')
    expect(one([insn(0x7b, 10, 1, -8)])).toBe('STXDW 10 -8 1')
    expect(one([insn(0x62, 10, 0, -4, 7)])).toBe('STW 10 -4 7')
    expect(one([insn(0xdb, 1, 2, 8)])).toBe('XADD64 1 8 2')
    expect(one([insn(0x28, 0, 0, 0, 12)])).toBe('LDABSH 12')
    expect(one([insn(0x48, 0, 3)])).toBe('LDINDH 3')
    expect(one([insn(0x05, 0, 0, 2)])).toBe('JA 2')
    expect(one([insn(0x15, 1, 0, 3, 0)])).toBe('JEQXC 1 0 3')
    expect(one([insn(0x6d, 1, 2, -1)])).toBe('JSGTXY 1 2 -1')
    expect(one([insn(0x5e, 1, 2, 1)])).toBe('JNE32XY 1 2 1')
    expect(one([insn(0x85, 0, 0, 0, 1)])).toBe('CALL 1')
    expect(one([insn(0x95)])).toBe('EXIT')
    expect(one([insn(0x18, 1, 1, 0, 0), insn(0)])).toBe('LDMAPID 1 0')
    expect(one([insn(0x18, 2, 0, 0, 0), insn(0, 0, 0, 0, 1)])).toBe('MOVDWXC 2 4294967296')
    expect(one([insn(0x18, 2, 0, 0, -1), insn(0, 0, 0, 0, -1)])).toBe('MOVDWXC 2 -1')
  })

  it('returns K2_UNSUPPORTED with the slot index for instructions K2 does not know', () => {
    const unsupported: Insn[][] = [
      [insn(0x3f, 1, 2, 1)], // sdiv
      [insn(0xbf, 1, 2, 8)], // movsx
      [insn(0xd7, 1, 0, 0, 16)], // bswap
      [insn(0x06, 0, 0, 0, 1)], // gotol
      [insn(0x85, 0, 1, 0, 1)], // local call
      [insn(0x18, 1, 2, 0, 0), insn(0)], // map value
      [insn(0x30, 0, 0, 0, 1)], // ldabsb
      [insn(0x48, 0, 1, 0, 4)], // ldindh with an immediate K2 cannot express
      [insn(0x91, 1, 2)], // ldxsb
      [insn(0xdb, 1, 2, 0, 0x01)], // fetch add
      [insn(0xff)]
    ]
    for (const slots of unsupported) {
      const padded = [insn(0xb7), ...slots]
      const entries = decodeLenient(padded)
      const d = entries[1]
      if (d === undefined) throw new Error('missing')
      const r = k2Text(d)
      expect(r.ok, JSON.stringify(slots)).toBe(false)
      if (!r.ok) expect(r.error).toMatchObject({ code: 'K2_UNSUPPORTED', index: 1 })
    }
  })
})
