/** @fileoverview Tests of the candidate representation and compaction with jump fix-up. */
import { describe, expect, it } from 'vitest'
import { Candidate, SlotKind } from '../../src-daemon/core/search/candidate'
import { asm } from './toy-alu'

describe('Candidate', () => {
  it('marks ld_imm64 tails and counts live slots (ld_imm64 = 2)', () => {
    const c = Candidate.fromSlots([...asm.lddw(1, 5, 6), asm.movReg(0, 1), asm.exit()])
    expect(Array.from(c.kind)).toEqual([
      SlotKind.live,
      SlotKind.lddwTail,
      SlotKind.live,
      SlotKind.live
    ])
    expect(c.liveSlots()).toBe(4)
    c.kind[2] = SlotKind.nop
    expect(c.liveSlots()).toBe(3)
    expect(c.compact()).toEqual([...asm.lddw(1, 5, 6), asm.exit()])
    expect(c.toFixedSlots()[2]).toEqual({ code: 0x05, dst: 0, src: 0, off: 0, imm: 0 })
  })

  it('re-targets forward jumps across removed slots, including jumps onto a removed slot', () => {
    // 0: if r1 == 0 goto 4; 1: r0 = 1; 2: r0 += 1 (removed); 3: ja +1; 4: r0 = 2 (removed); 5: exit
    const c = Candidate.fromSlots([
      asm.jeqImm(1, 0, 3),
      asm.movImm(0, 1),
      asm.addImm(0, 1),
      asm.ja(1),
      asm.movImm(0, 2),
      asm.exit()
    ])
    c.kind[2] = SlotKind.nop
    c.kind[4] = SlotKind.nop
    const out = c.compact()
    expect(out).toEqual([asm.jeqImm(1, 0, 2), asm.movImm(0, 1), asm.ja(0), asm.exit()])
  })

  it('re-targets backward jumps across removed slots', () => {
    // 0: r0 = 0; 1: r0 += 1; 2: r2 = 3 (removed); 3: r3 = 4 (removed); 4: if r0 == 5 goto 6? no: back to 1
    const c = Candidate.fromSlots([
      asm.movImm(0, 0),
      asm.addImm(0, 1),
      asm.movImm(2, 3),
      asm.movImm(3, 4),
      asm.jeqImm(0, 1, -4), // target slot 1
      asm.ja(-4), // at 5, target slot 2 (removed) → lands on slot 4's new position
      asm.exit()
    ])
    c.kind[2] = SlotKind.nop
    c.kind[3] = SlotKind.nop
    const out = c.compact()
    expect(out.length).toBe(5)
    expect(out[2]).toEqual(asm.jeqImm(0, 1, -2)) // new index 2 → target new index 1
    expect(out[3]).toEqual(asm.ja(-2)) // new index 3 → target new index 2 (the jeq)
  })

  it('copies, clones and compares ignoring the contents of NOP slots', () => {
    const a = Candidate.fromSlots([asm.movReg(0, 1), asm.addImm(0, 0), asm.exit()])
    const b = a.clone()
    expect(b.equals(a)).toBe(true)
    b.kind[1] = SlotKind.nop
    expect(b.equals(a)).toBe(false)
    a.kind[1] = SlotKind.nop
    a.imm[1] = 77
    expect(b.equals(a)).toBe(true)
    const d = new Candidate(3)
    d.copyFrom(a)
    expect(d.imm[1]).toBe(77)
    expect(d.equals(a)).toBe(true)
  })
})
