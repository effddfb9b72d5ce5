/** @fileoverview Tests of the idiom moves: each fold keeps the program's meaning and shrinks it. */
import { insn as I } from '../../src-daemon/core/isa/insn'
import { describe, expect, it } from 'vitest'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { llvmText } from '../../src-daemon/core/isa/disasm-llvm'
import { decodeLenient } from '../../src-daemon/core/isa/decode'
import { runConformanceProgram } from '../../src-daemon/core/interp/conformance'
import { Candidate } from '../../src-daemon/core/search/candidate'
import { proposeIdiom } from '../../src-daemon/core/search/idiom-moves'
import { UndoLog } from '../../src-daemon/core/search/undo-log'
import { Rng } from '../../src-daemon/core/search/rng'

/** Runs slots on a 16-byte block seeded from `seed`; returns r0 and the block afterwards. */
function run(slots: readonly Insn[], seed: number): string {
  const mem = new Uint8Array(16)
  for (let i = 0; i < mem.length; i++) mem[i] = (seed * 37 + i * 11) & 0xff
  const r = runConformanceProgram(slots, mem)
  if (r.kind !== 'exit') return `fault ${r.reason}`
  return `${r.r0} ${[...mem].join(',')}`
}

/** Applies idiom moves until none fits; returns the program after each applied move. */
function foldAll(slots: readonly Insn[], seed: number): Insn[][] {
  const c = Candidate.fromSlots(slots)
  const log = new UndoLog(4)
  const rng = new Rng(seed)
  const steps: Insn[][] = []
  for (let k = 0; k < 10; k++) {
    log.count = 0
    if (!proposeIdiom(c, log, 0, c.length - 1, rng)) break
    steps.push(c.compact())
  }
  return steps
}

function text(slots: readonly Insn[]): string[] {
  return decodeLenient(slots).map((d) => llvmText(d))
}

describe('idiom moves', () => {
  it('turns load/add/store into an atomic add and keeps the result', () => {
    const prog = [
      I(0x79, 2, 1, 8), // r2 = *(u64 *)(r1 + 8)
      I(0x07, 2, 0, 0, 5), // r2 += 5
      I(0x7b, 1, 2, 8), // *(u64 *)(r1 + 8) = r2
      I(0x79, 0, 1, 8), // r0 = *(u64 *)(r1 + 8)
      I(0x95, 0, 0)
    ]
    const steps = foldAll(prog, 1)
    expect(steps.length).toBeGreaterThan(0)
    const first = steps[0]!
    expect(first.length).toBe(prog.length - 1)
    expect(text(first)).toContain('lock *(u64 *)(r1 + 8) += r2')
    expect(text(first)).toContain('r2 = 5')
    for (let seed = 0; seed < 20; seed++) expect(run(first, seed)).toBe(run(prog, seed))
  })

  it('reuses a register that already holds the addend (no new move)', () => {
    const prog = [
      I(0xb7, 4, 0, 0, 1), // r4 = 1
      I(0x61, 2, 1, 0), // r2 = *(u32 *)(r1 + 0)
      I(0x07, 2, 0, 0, 1), // r2 += 1
      I(0x63, 1, 2, 0), // *(u32 *)(r1 + 0) = r2
      I(0x61, 0, 1, 0), // r0 = *(u32 *)(r1 + 0)
      I(0x0f, 0, 4), // r0 += r4
      I(0x95, 0, 0)
    ]
    const c = Candidate.fromSlots(prog)
    const log = new UndoLog(4)
    let folded: Insn[] | undefined
    for (let seed = 0; seed < 40 && folded === undefined; seed++) {
      const d = c.clone()
      log.count = 0
      if (proposeIdiom(d, log, 0, d.length - 1, new Rng(seed)) && d.liveSlots() === 5)
        folded = d.compact()
    }
    expect(folded).toBeDefined()
    expect(text(folded!)).toContain('lock *(u32 *)(r1 + 0) += r4')
    for (let seed = 0; seed < 20; seed++) expect(run(folded!, seed)).toBe(run(prog, seed))
  })

  it('folds constant stores and merges neighbours into one wider store', () => {
    const prog = [
      I(0xb7, 3, 0, 0, 0x1122), // r3 = 0x1122
      I(0x6b, 1, 3, 2), // *(u16 *)(r1 + 2) = r3
      I(0x6a, 1, 0, 0, 0x3344), // *(u16 *)(r1 + 0) = 0x3344
      I(0x61, 0, 1, 0), // r0 = *(u32 *)(r1 + 0)
      I(0x95, 0, 0)
    ]
    const steps = foldAll(prog, 3)
    for (const s of steps)
      for (let seed = 0; seed < 10; seed++) expect(run(s, seed)).toBe(run(prog, seed))
    const last = text(steps[steps.length - 1]!)
    expect(last).toContain(`*(u32 *)(r1 + 0) = ${0x11223344}`)
  })

  it('merges two words into a doubleword only when the immediate sign-extends to it', () => {
    const ok = [
      I(0x62, 1, 0, 0, 1), // *(u32 *)(r1 + 0) = 1
      I(0x62, 1, 0, 4, 0), // *(u32 *)(r1 + 4) = 0
      I(0x79, 0, 1, 0),
      I(0x95, 0, 0)
    ]
    const merged = foldAll(ok, 1)
    expect(merged.length).toBe(1)
    expect(text(merged[0]!)).toContain('*(u64 *)(r1 + 0) = 1')
    for (let seed = 0; seed < 10; seed++) expect(run(merged[0]!, seed)).toBe(run(ok, seed))
    const neg = [I(0x62, 1, 0, 0, -2), I(0x62, 1, 0, 4, -1), I(0x79, 0, 1, 0), I(0x95, 0, 0)]
    const negMerged = foldAll(neg, 1)
    expect(negMerged.length).toBe(1)
    for (let seed = 0; seed < 10; seed++) expect(run(negMerged[0]!, seed)).toBe(run(neg, seed))
    const bad = [I(0x62, 1, 0, 0, 1), I(0x62, 1, 0, 4, 5), I(0x79, 0, 1, 0), I(0x95, 0, 0)]
    expect(foldAll(bad, 1)).toEqual([])
    const misaligned = [I(0x6a, 1, 0, 2, 1), I(0x6a, 1, 0, 4, 2), I(0x79, 0, 1, 0), I(0x95, 0, 0)]
    expect(foldAll(misaligned, 1)).toEqual([])
  })

  it('leaves idioms broken by a call, a jump or an intervening store alone', () => {
    const withStore = [
      I(0x79, 2, 1, 8),
      I(0x07, 2, 0, 0, 5),
      I(0x7a, 1, 0, 0, 7), // *(u64 *)(r1 + 0) = 7 between load and store
      I(0x7b, 1, 2, 8),
      I(0x95, 0, 0)
    ]
    expect(foldAll(withStore, 1).some((s) => text(s).some((t) => t.includes('lock')))).toBe(false)
    const withJump = [
      I(0x79, 2, 1, 8),
      I(0x15, 0, 0, 1, 0), // if r0 == 0 goto +1
      I(0x07, 2, 0, 0, 5),
      I(0x7b, 1, 2, 8),
      I(0x95, 0, 0)
    ]
    expect(foldAll(withJump, 1)).toEqual([])
  })

  it('undoes every idiom exactly', () => {
    const prog = [
      I(0xb7, 3, 0, 0, 7),
      I(0x79, 2, 1, 8),
      I(0x0f, 2, 3),
      I(0x7b, 1, 2, 8),
      I(0x6b, 1, 3, 2),
      I(0x6a, 1, 0, 0, 9),
      I(0x95, 0, 0)
    ]
    const c = Candidate.fromSlots(prog)
    const log = new UndoLog(4)
    let applied = 0
    for (let seed = 0; seed < 30; seed++) {
      log.count = 0
      if (!proposeIdiom(c, log, 0, c.length - 1, new Rng(seed))) continue
      applied++
      log.undoTo(c, 0)
      expect(c.compact()).toEqual(prog)
    }
    expect(applied).toBeGreaterThan(0)
  })
})

describe('load-pair widening', () => {
  it('turns two byte loads joined by shift and or into one halfword load', () => {
    const prog = [
      I(0x71, 3, 1, 12), // r3 = *(u8 *)(r1 + 12)
      I(0x71, 4, 1, 13), // r4 = *(u8 *)(r1 + 13)
      I(0x67, 4, 0, 0, 8), // r4 <<= 8
      I(0x4f, 4, 3), // r4 |= r3
      I(0xbf, 0, 4), // r0 = r4
      I(0x95, 0, 0)
    ]
    const steps = foldAll(prog, 2)
    expect(steps.length).toBe(1)
    expect(text(steps[0]!)).toEqual(['r4 = *(u16 *)(r1 + 12)', 'r0 = r4', 'exit'])
    for (let seed = 0; seed < 20; seed++) expect(run(steps[0]!, seed)).toBe(run(prog, seed))
    // Shifted by the wrong amount, or loads not adjacent: left alone.
    const wrongShift = prog.map((s, i) => (i === 2 ? I(0x67, 4, 0, 0, 16) : s))
    expect(foldAll(wrongShift, 2)).toEqual([])
    const gap = prog.map((s, i) => (i === 1 ? I(0x71, 4, 1, 14) : s))
    expect(foldAll(gap, 2)).toEqual([])
  })
})

describe('unreachable-code pruning', () => {
  it('removes the dead arm of a self-comparison, calls and ld_imm64 included, and nothing else', () => {
    const prog = [
      I(0xb7, 0, 0, 0, 7), // 0: r0 = 7
      I(0x3d, 1, 1, 4), // 1: if r1 >= r1 goto +4 (always)
      I(0x18, 2, 0, 0, 5), // 2: r2 = 5 ll (dead)
      I(0x00, 0, 0, 0, 0), // 3
      I(0x85, 0, 0, 0, 7), // 4: call 7 (dead)
      I(0x95, 0, 0), // 5: exit (dead)
      I(0x07, 0, 0, 0, 1), // 6: r0 += 1
      I(0x95, 0, 0) // 7: exit
    ]
    const steps = foldAll(prog, 4)
    expect(steps.length).toBe(3)
    expect(text(steps[2]!)).toEqual(['r0 = 7', 'if r1 >= r1 goto +0', 'r0 += 1', 'exit'])
    for (const s of steps)
      for (let seed = 0; seed < 5; seed++) expect(run(s, seed)).toBe(run(prog, seed))
    // A real condition keeps both arms.
    const real = prog.map((s, i) => (i === 1 ? I(0x3d, 1, 2, 4) : s))
    expect(foldAll(real, 4)).toEqual([])
  })
})
