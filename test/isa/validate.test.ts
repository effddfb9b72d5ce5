/** @fileoverview Validation: every error code on crafted inputs, and the conformance suite's unused-field cases. */
import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { insn, type Insn } from '../../src-daemon/core/isa/insn'
import { decodeProgram } from '../../src-daemon/core/isa/decode'
import type { Diagnostic } from '../../src-daemon/core/util/result'

const EXIT = insn(0x95)

function errorOf(slots: Insn[], profile?: 'kernel' | 'rfc'): Diagnostic | undefined {
  const r = decodeProgram(slots, { file: 'f.o', section: 'xdp' }, profile ? { profile } : {})
  return r.ok ? undefined : r.error
}

describe('validation', () => {
  it('ISA_EMPTY_PROGRAM for no slots', () => {
    expect(errorOf([])).toMatchObject({ code: 'ISA_EMPTY_PROGRAM', file: 'f.o', section: 'xdp' })
  })

  it('ISA_UNKNOWN_OPCODE for unassigned opcode bytes and unknown variants, with the slot index', () => {
    expect(errorOf([insn(0x07), insn(0x00), EXIT])).toMatchObject({
      code: 'ISA_UNKNOWN_OPCODE',
      index: 1
    })
    expect(errorOf([insn(0xfd), EXIT])).toMatchObject({ code: 'ISA_UNKNOWN_OPCODE', index: 0 })
    expect(errorOf([insn(0xbf, 1, 2, 3), EXIT])?.message).toContain('off=3') // movsx width 3
    expect(errorOf([insn(0xdb, 1, 2, 0, 0x02), EXIT])).toMatchObject({ code: 'ISA_UNKNOWN_OPCODE' })
    expect(errorOf([insn(0x18, 1, 7), insn(0), EXIT])).toMatchObject({ code: 'ISA_UNKNOWN_OPCODE' })
    expect(errorOf([insn(0x85, 0, 3), EXIT])).toMatchObject({ code: 'ISA_UNKNOWN_OPCODE' })
  })

  it('ISA_RESERVED_FIELD names the non-zero reserved field', () => {
    const cases: [Insn, string][] = [
      [insn(0x07, 1, 2, 0, 1), 'src'],
      [insn(0x0f, 1, 2, 0, 1), 'imm'],
      [insn(0x07, 1, 0, 1, 1), 'off'], // add64 imm: off is reserved
      [insn(0xb7, 1, 0, 1, 1), 'off'], // mov64 imm: only off=0 exists, so off is reserved
      [insn(0x95, 0, 0, 0, 1), 'imm'],
      [insn(0x05, 1, 0, 0, 0), 'dst'],
      [insn(0x61, 1, 2, 0, 9), 'imm'],
      [insn(0x62, 1, 2, 0, 9), 'src'],
      [insn(0x85, 1, 0, 0, 1), 'dst'],
      [insn(0xdc, 1, 1, 0, 16), 'src']
    ]
    for (const [bad, field] of cases) {
      const e = errorOf([insn(0xb7), bad, EXIT])
      expect(e?.code, JSON.stringify(bad)).toBe('ISA_RESERVED_FIELD')
      expect(e?.index).toBe(1)
      expect(e?.message).toContain(`reserved field ${field}`)
    }
  })

  it('ISA_BAD_REGISTER for registers above r10 and writes to r10', () => {
    expect(errorOf([insn(0x07, 11, 0, 0, 1), EXIT])).toMatchObject({
      code: 'ISA_BAD_REGISTER',
      index: 0
    })
    expect(errorOf([insn(0x0f, 1, 15), EXIT])).toMatchObject({ code: 'ISA_BAD_REGISTER' })
    expect(errorOf([insn(0xb7, 10, 0, 0, 1), EXIT])?.message).toContain('read-only')
    expect(errorOf([insn(0x79, 10, 1), EXIT])).toMatchObject({ code: 'ISA_BAD_REGISTER' })
    expect(errorOf([insn(0x18, 10), insn(0), EXIT])).toMatchObject({ code: 'ISA_BAD_REGISTER' })
    expect(errorOf([insn(0xdb, 1, 10, 0, 0x01), EXIT])).toMatchObject({ code: 'ISA_BAD_REGISTER' })
    // r10 as the base of stores and as a source is fine.
    expect(
      errorOf([insn(0x7b, 10, 1, -8), insn(0x7a, 10, 0, -16, 3), insn(0xbf, 1, 10), EXIT])
    ).toBeUndefined()
    expect(errorOf([insn(0xdb, 10, 1, -8, 0x00), EXIT])).toBeUndefined()
  })

  it('ISA_TRUNCATED_LDDW for an lddw in the last slot or a malformed second slot', () => {
    expect(errorOf([EXIT, insn(0x18, 1)])).toMatchObject({ code: 'ISA_TRUNCATED_LDDW', index: 1 })
    expect(errorOf([insn(0x18, 1), insn(0x95), EXIT])).toMatchObject({
      code: 'ISA_TRUNCATED_LDDW',
      index: 1
    })
    expect(errorOf([insn(0x18, 1), insn(0, 1), EXIT])?.message).toContain('dst')
    expect(errorOf([insn(0x18, 1), insn(0, 0, 0, 4), EXIT])?.message).toContain('off')
    expect(errorOf([insn(0x18, 1, 1, 0, 3), insn(0, 0, 0, 0, 1), EXIT])).toMatchObject({
      code: 'ISA_RESERVED_FIELD',
      index: 1
    })
    expect(errorOf([insn(0x18, 1, 2, 0, 3), insn(0, 0, 0, 0, 16), EXIT])).toBeUndefined()
  })

  it('ISA_JUMP_OUT_OF_RANGE for targets outside the program or inside an lddw', () => {
    expect(errorOf([insn(0x05, 0, 0, 1), EXIT])).toMatchObject({
      code: 'ISA_JUMP_OUT_OF_RANGE',
      index: 0
    })
    expect(errorOf([insn(0x15, 1, 0, -2), EXIT])).toMatchObject({
      code: 'ISA_JUMP_OUT_OF_RANGE',
      index: 0
    })
    expect(errorOf([insn(0x05, 0, 0, 1), insn(0x18, 1), insn(0), EXIT])?.message).toContain(
      'second slot'
    )
    expect(errorOf([insn(0x06, 0, 0, 0, 5), EXIT])).toMatchObject({ code: 'ISA_JUMP_OUT_OF_RANGE' })
    expect(errorOf([insn(0x85, 0, 1, 0, -3), EXIT])).toMatchObject({
      code: 'ISA_JUMP_OUT_OF_RANGE'
    })
    expect(errorOf([insn(0x05, 0, 0, -1), EXIT])).toBeUndefined() // a loop onto itself is in range
  })

  it('ISA_BAD_IMM for byte-swap widths, and (kernel profile) shift counts and division by zero', () => {
    expect(errorOf([insn(0xd4, 1, 0, 0, 8), EXIT])).toMatchObject({ code: 'ISA_BAD_IMM', index: 0 })
    expect(errorOf([insn(0xd7, 1, 0, 0, 0), EXIT])).toMatchObject({ code: 'ISA_BAD_IMM' })
    expect(errorOf([insn(0x64, 1, 0, 0, 32), EXIT])).toMatchObject({ code: 'ISA_BAD_IMM' })
    expect(errorOf([insn(0x67, 1, 0, 0, 63), EXIT])).toBeUndefined()
    expect(errorOf([insn(0xc7, 1, 0, 0, -1), EXIT])).toMatchObject({ code: 'ISA_BAD_IMM' })
    expect(errorOf([insn(0x37, 1, 0, 0, 0), EXIT])).toMatchObject({ code: 'ISA_BAD_IMM' })
    expect(errorOf([insn(0x94, 1, 0, 1, 0), EXIT])).toMatchObject({ code: 'ISA_BAD_IMM' }) // smod32
    // The rfc profile accepts what RFC 9669 defines.
    expect(errorOf([insn(0x64, 1, 0, 0, 60), insn(0x37, 1, 0, 0, 0), EXIT], 'rfc')).toBeUndefined()
    expect(errorOf([insn(0xd4, 1, 0, 0, 8), EXIT], 'rfc')).toMatchObject({ code: 'ISA_BAD_IMM' })
  })

  it("rejects every raw program of the conformance suite's negative unused-field tests", () => {
    const dir = new URL('../data/conformance/negative/', import.meta.url)
    let checked = 0
    for (const f of readdirSync(dir).filter((n) => n.startsWith('unused-'))) {
      const text = readFileSync(new URL(f, dir), 'utf8')
      const raw = /-- raw\n([\s\S]*?)\n--/.exec(text)?.[1]
      if (raw === undefined) continue
      const slots = raw
        .trim()
        .split('\n')
        .map((line) => {
          const b = line
            .trim()
            .split(/\s+/)
            .map((h) => parseInt(h, 16))
          const v = new DataView(Uint8Array.from(b).buffer)
          return insn(
            v.getUint8(0),
            v.getUint8(1) & 0xf,
            v.getUint8(1) >> 4,
            v.getInt16(2, true),
            v.getInt32(4, true)
          )
        })
      const e = errorOf(slots)
      // mov_reg with off=1 is a missing movsx variant rather than a reserved field.
      const expected = /mov(64)?_reg-offset/.test(f) ? 'ISA_UNKNOWN_OPCODE' : 'ISA_RESERVED_FIELD'
      expect(e?.code, f).toBe(expected)
      checked++
    }
    console.log(`validate: ${checked} conformance unused-field programs rejected`)
    expect(checked).toBeGreaterThanOrEqual(40)
  })
})
