/** @fileoverview remapJumps and slot-map tests: jumps and pc-relative calls across removed slots. */

import { describe, expect, it } from 'vitest'
import {
  landingPositions,
  remapJumps,
  slotMapFromKeepMask,
  validateSlotMap
} from '../../src-daemon/core/formats'
import { insn } from '../../src-daemon/core/isa/insn'

describe('remapJumps', () => {
  it('shrinks forward and backward jumps over removed slots', () => {
    const code = [
      insn(0xb7, 0, 0, 0, 0), // 0: r0 = 0
      insn(0x15, 1, 0, 3, 0), // 1: if r1 == 0 goto 5
      insn(0x05), // 2: nop (removed)
      insn(0x07, 0, 0, 0, 1), // 3: r0 += 1
      insn(0x05, 0, 0, -4, 0), // 4: goto 1
      insn(0x95) // 5: exit
    ]
    const r = remapJumps(code, [1, 1, 0, 1, 1, 1])
    if (!r.ok) throw new Error(r.error.message)
    expect(Array.from(r.value.newIndexOf)).toEqual([0, 1, -1, 2, 3, 4])
    expect(r.value.slots.map((s) => s.off)).toEqual([0, 2, 0, -3, 0])
  })

  it('lands jumps to a removed slot on the next kept slot, and fixes JMP32 and gotol', () => {
    const code = [
      insn(0x16, 1, 0, 1, 7), // 0: if w1 == 7 goto 2 (JMP32)
      insn(0x06, 0, 0, 0, 1), // 1: gotol 3
      insn(0x05), // 2: removed
      insn(0x95) // 3: exit
    ]
    const r = remapJumps(code, [1, 1, 0, 1])
    if (!r.ok) throw new Error(r.error.message)
    expect(r.value.slots[0]).toMatchObject({ off: 1 })
    expect(r.value.slots[1]).toMatchObject({ imm: 0 })
  })

  it('fixes pc-relative calls but not relocated ones or helper calls', () => {
    const code = [
      insn(0x85, 0, 1, 0, 2), // 0: call pc+2 -> 3
      insn(0x85, 0, 1, 0, -1), // 1: relocated call (left alone)
      insn(0x05), // 2: removed
      insn(0x85, 0, 0, 0, 1), // 3: helper call 1
      insn(0x95)
    ]
    const r = remapJumps(code, [1, 1, 0, 1, 1], { relocatedSlots: new Set([1]) })
    if (!r.ok) throw new Error(r.error.message)
    expect(r.value.slots.map((s) => s.imm)).toEqual([1, -1, 1, 0])
  })

  it('keeps ld_imm64 pairs together and reports bad input', () => {
    const code = [insn(0x18, 1, 0, 0, 5), insn(0), insn(0x95)]
    const split = remapJumps(code, [1, 0, 1])
    expect(split.ok ? undefined : split.error.code).toBe('FORMAT_SPLIT_LDIMM64')
    const far = remapJumps([insn(0x05, 0, 0, 9, 0), insn(0x95)], [1, 1])
    expect(far.ok ? undefined : far.error).toMatchObject({
      code: 'FORMAT_JUMP_OUT_OF_RANGE',
      index: 0
    })
    const wrongLen = remapJumps(code, [1])
    expect(wrongLen.ok).toBe(false)
  })
})

describe('slot maps', () => {
  it('computes landing positions and validates order', () => {
    const m = slotMapFromKeepMask([1, 0, 0, 1, 0])
    expect(Array.from(m)).toEqual([0, -1, -1, 1, -1])
    expect(Array.from(landingPositions(m, 2))).toEqual([0, 1, 1, 1, 2, 2])
    expect(validateSlotMap(m, 2).ok).toBe(true)
    expect(validateSlotMap(Int32Array.from([1, 0]), 2).ok).toBe(false)
    expect(validateSlotMap(Int32Array.from([0, 5]), 2).ok).toBe(false)
  })
})
