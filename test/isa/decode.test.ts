/** @fileoverview Decode/encode round trips on the K2 benchmarks and random slots; decode never throws. */
import { describe, expect, it } from 'vitest'
import { k2BenchDir, k2OutputsDir } from '../support/environment'
import fc from 'fast-check'
import { readdirSync, readFileSync } from 'node:fs'
import { bytesFromSlots, insn, slotsFromBytes, type Insn } from '../../src-daemon/core/isa/insn'
import {
  decodeLenient,
  decodeProgram,
  encodeProgram,
  jumpTarget,
  lddwValue
} from '../../src-daemon/core/isa/decode'
import { opByName } from '../../src-daemon/core/isa/opcodes'

const BENCH_DIRS = [k2BenchDir(), k2OutputsDir()].filter((d) => d !== undefined)
const HAVE_K2 = BENCH_DIRS.length === 2

function benchPrograms(): { name: string; slots: Insn[] }[] {
  const out: { name: string; slots: Insn[] }[] = []
  for (const dir of BENCH_DIRS) {
    for (const f of readdirSync(dir)
      .filter((n) => n.endsWith('.insns'))
      .sort()) {
      out.push({
        name: `${dir}${f}`,
        slots: slotsFromBytes(readFileSync(`${dir}${f}`))
      })
    }
  }
  return out
}

const slotArb = fc.record({
  code: fc.integer({ min: 0, max: 255 }),
  dst: fc.integer({ min: 0, max: 15 }),
  src: fc.integer({ min: 0, max: 15 }),
  off: fc.integer({ min: -32768, max: 32767 }),
  imm: fc.integer({ min: -0x80000000, max: 0x7fffffff })
})

describe('decode', () => {
  it.skipIf(!HAVE_K2)(
    'decodes every K2 benchmark and output program and encodes it back bit-exactly',
    () => {
      const programs = benchPrograms()
      expect(programs.length).toBe(22)
      let slots = 0
      for (const p of programs) {
        const r = decodeProgram(p.slots, { file: p.name })
        if (!r.ok) throw new Error(`${p.name}: ${r.error.code} ${r.error.message}`)
        expect(r.value.slotCount).toBe(p.slots.length)
        const back = bytesFromSlots(encodeProgram(r.value.insns))
        expect(back).toEqual(bytesFromSlots(p.slots))
        slots += p.slots.length
      }
      console.log(`decode: ${programs.length} benchmark programs, ${slots} slots round-tripped`)
    }
  )

  it('gives one entry per instruction, lddw covering two slots with its 64-bit value', () => {
    const slots = [insn(0x18, 1, 0, 0, 0x55667788), insn(0, 0, 0, 0, 0x11223344), insn(0x95)]
    const r = decodeProgram(slots)
    if (!r.ok) throw new Error(r.error.message)
    expect(r.value.insns.map((d) => d.index)).toEqual([0, 2])
    const first = r.value.insns[0]
    expect(first?.spec.name).toBe('lddw_imm64')
    expect(first?.imm64).toBe(0x1122334455667788n)
    expect(first?.next).toEqual(slots[1])
    expect(lddwValue(insn(0x18, 0, 0, 0, -1), insn(0, 0, 0, 0, -1))).toBe(0xffffffffffffffffn)
  })

  it('round-trips random slot sequences through lenient decoding and never throws (5000 runs)', () => {
    fc.assert(
      fc.property(fc.array(slotArb, { minLength: 0, maxLength: 12 }), (raw) => {
        const slots = raw.map((s) => insn(s.code, s.dst, s.src, s.off, s.imm))
        const lenient = decodeLenient(slots)
        expect(bytesFromSlots(encodeProgram(lenient))).toEqual(bytesFromSlots(slots))
        const strict = decodeProgram(slots)
        if (strict.ok) {
          expect(bytesFromSlots(encodeProgram(strict.value.insns))).toEqual(bytesFromSlots(slots))
        } else {
          expect(strict.error.code).toMatch(/^ISA_[A-Z_]+$/)
        }
      }),
      { seed: 20240611, numRuns: 5000 }
    )
  })

  it('round-trips random valid single instructions of every row (3000 runs)', () => {
    const names = [
      'add64_imm',
      'mov32_reg',
      'ldxw',
      'stxdw',
      'jeq_imm',
      'atomic64_fetch_add',
      'be',
      'call_helper'
    ]
    let valid = 0
    fc.assert(
      fc.property(fc.constantFrom(...names), slotArb, (name, s) => {
        const spec = opByName(name)
        const f = { ...s, dst: s.dst % 10, src: s.src % 10, off: spec.kind === 'jmp' ? 0 : s.off }
        if (spec.kind === 'end') f.imm = 32
        if (spec.match) f[spec.match.field] = spec.match.value
        for (const z of spec.zero) f[z] = 0
        const slots = [insn(spec.code, f.dst, f.src, f.off, f.imm), insn(0x95)]
        const r = decodeProgram(slots)
        if (!r.ok) throw new Error(`${name}: ${r.error.code} ${r.error.message}`)
        valid++
        expect(r.value.insns[0]?.spec.name).toBe(name)
        expect(encodeProgram(r.value.insns)).toEqual(slots)
      }),
      { seed: 7, numRuns: 3000 }
    )
    expect(valid).toBe(3000)
  })

  it('honours an edited imm64 when encoding an lddw', () => {
    const r = decodeProgram([insn(0x18, 2), insn(0), insn(0x95)])
    if (!r.ok) throw new Error(r.error.message)
    const [ld, exit] = r.value.insns
    if (ld === undefined || exit === undefined) throw new Error('missing')
    const slots = encodeProgram([{ ...ld, imm64: 0x8000000000000001n }, exit])
    expect(slots[0]?.imm).toBe(1)
    expect(slots[1]?.imm).toBe(-0x80000000)
  })

  it('computes absolute jump targets for ja, conditional jumps, gotol and local calls', () => {
    const slots = [
      insn(0x05, 0, 0, 2),
      insn(0x15, 1, 0, -2, 0),
      insn(0x06, 0, 0, 0, -3),
      insn(0x85, 0, 1, 0, 1),
      insn(0x85, 0, 0, 0, 1),
      insn(0x95)
    ]
    const r = decodeProgram(slots)
    if (!r.ok) throw new Error(r.error.message)
    expect(r.value.insns.map((d) => jumpTarget(d))).toEqual([3, 0, 0, 5, undefined, undefined])
  })
})
