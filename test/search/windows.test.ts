/** @fileoverview Tests of basic blocks, liveness and window ranking. */
import { describe, expect, it } from 'vitest'
import { Candidate, SlotKind } from '../../src-daemon/core/search/candidate'
import {
  basicBlocks,
  liveOut,
  selectWindows,
  windowSchedule
} from '../../src-daemon/core/search/windows'
import { asm } from './toy-alu'

// 0: r6 = r1            block A
// 1: r2 = 5
// 2: if r1 == 0 goto 9
// 3: r3 = r1            block B (redundant work)
// 4: r3 += 0
// 5: r3 = r3
// 6: r4 = 7             (dead: r4 never read)
// 7..8: r5 = lddw
// 9: r0 = r2            block C (jump target)
// 10: r0 += r6
// 11: r0 *= 3
// 12: exit
const PROG = [
  asm.movReg(6, 1),
  asm.movImm(2, 5),
  asm.jeqImm(1, 0, 6),
  asm.movReg(3, 1),
  asm.addImm(3, 0),
  asm.movReg(3, 3),
  asm.movImm(4, 7),
  ...asm.lddw(5, 1, 0),
  asm.movReg(0, 2),
  asm.addReg(0, 6),
  asm.mulImm(0, 3),
  asm.exit()
]

describe('windows', () => {
  it('splits basic blocks at jumps, targets and exits', () => {
    const c = Candidate.fromSlots(PROG)
    expect(basicBlocks(c)).toEqual([
      [0, 2],
      [3, 8],
      [9, 12]
    ])
  })

  it('computes register liveness', () => {
    const c = Candidate.fromSlots(PROG)
    const live = liveOut(c)
    expect(live[6]! & (1 << 4)).toBe(0) // r4 dead after its write
    expect(live[0]! & (1 << 6)).not.toBe(0) // r6 live (read at 10)
    expect(live[2]! & (1 << 2)).not.toBe(0) // r2 live across the branch
    expect(live[11]!).toBe(1) // only r0 live before exit
    c.kind[10] = SlotKind.nop
    expect(liveOut(c)[0]! & (1 << 6)).toBe(0) // r6 now dead
  })

  it('ranks redundant windows first and never includes jumps or ld_imm64', () => {
    const c = Candidate.fromSlots(PROG)
    const wins = selectWindows(c, { windowMaxSlots: 3, wholeProgramMaxSlots: 0 })
    expect(wins.length).toBeGreaterThan(2)
    // [4..6]: identity add, self-move whose result is dead, dead constant write
    expect(wins[0]).toMatchObject({ start: 4, end: 6 })
    expect(wins[1]).toMatchObject({ start: 3, end: 5 })
    for (const w of wins) {
      expect(w.end - w.start + 1).toBeLessThanOrEqual(3)
      for (let i = w.start; i <= w.end; i++) {
        expect([2, 7, 8, 12]).not.toContain(i)
      }
    }
    for (let k = 1; k < wins.length; k++)
      expect(wins[k - 1]!.score).toBeGreaterThanOrEqual(wins[k]!.score)
    // useful windows of block C rank below the redundant ones of block B
    const c9 = wins.findIndex((w) => w.start === 9)
    expect(c9).toBeGreaterThan(1)
    const whole = selectWindows(c, { windowMaxSlots: 3, wholeProgramMaxSlots: 40 })
    expect(whole).toEqual([{ start: 0, end: 12, score: expect.any(Number) }])
    expect(windowSchedule(c, wins, 2)).toEqual([
      [4, 6],
      [3, 5]
    ])
    expect(windowSchedule(c, [])).toEqual([[0, 12]])
  })
})

describe('window ranking by idioms', () => {
  it('puts a block holding a load/add/store counter ahead of plain arithmetic', () => {
    const c = Candidate.fromSlots([
      asm.movReg(6, 1), // 0: plain block
      asm.addImm(6, 4),
      asm.mulImm(6, 3),
      asm.jeqImm(1, 0, 4), // 3
      { code: 0x79, dst: 2, src: 1, off: 8, imm: 0 }, // 4: r2 = *(u64 *)(r1 + 8)
      asm.addImm(2, 1), // 5: r2 += 1
      { code: 0x7b, dst: 1, src: 2, off: 8, imm: 0 }, // 6: *(u64 *)(r1 + 8) = r2
      asm.movImm(0, 0),
      asm.exit()
    ])
    const wins = selectWindows(c, { windowMaxSlots: 6, wholeProgramMaxSlots: 0 })
    expect(wins[0]).toMatchObject({ start: 4, end: 7 })
    expect(wins[0]!.score).toBeGreaterThan(wins[1]!.score)
  })
})
