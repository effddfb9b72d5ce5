/** @fileoverview Tests of the proposal moves: table legality, window, ld_imm64 pairs, undo. */
import { describe, expect, it } from 'vitest'
import { OPS } from '../../src-daemon/core/isa/opcodes'
import { Candidate, SlotKind } from '../../src-daemon/core/search/candidate'
import { defaultSearchOptions } from '../../src-daemon/core/search/config'
import {
  Move,
  MOVE_COUNT,
  MOVE_NAMES,
  Proposer,
  type ProposerOptions
} from '../../src-daemon/core/search/proposals'
import { Rng } from '../../src-daemon/core/search/rng'
import { asm, runToy } from './toy-alu'
import { snapshot, violation } from './invariants'

const PROGRAM = [
  asm.movReg(6, 1), // 0
  ...asm.lddw(2, 0x12345, 0), // 1, 2
  asm.ldxw(3, 6, 4), // 3
  asm.stxdw(10, 3, -8), // 4
  asm.stw(10, -16, 0x777), // 5
  asm.addImm(3, 9), // 6
  asm.jeqImm(3, 0, 2), // 7
  asm.call(1), // 8
  asm.andImm(0, 0xff), // 9
  asm.mulImm(3, 3), // 10
  asm.lshImm(3, 3), // 11
  asm.movImm(0, 0), // 12
  asm.exit() // 13
]

function options(over: Partial<ProposerOptions> = {}): ProposerOptions {
  return { ...defaultSearchOptions(), ...over }
}

describe('Proposer', () => {
  it('builds pools from [-16, 16] and the program immediates and offsets', () => {
    const c = Candidate.fromSlots(PROGRAM)
    const p = new Proposer(c, options())
    expect(p.sampler.immPool).toContain(0x777)
    expect(p.sampler.immPool).toContain(0xff)
    expect(p.sampler.immPool).toContain(-16)
    expect(p.sampler.immPool).toContain(16)
    expect(p.sampler.immPool).not.toContain(0x12345) // ld_imm64 is frozen, its constant is not reused
    expect(p.sampler.offPool).toContain(-8)
    expect(p.sampler.offPool).toContain(4)
    expect(p.sampler.offPool).not.toContain(17)
  })

  for (const [name, win] of [
    ['whole program', undefined],
    ['window 3..6', [3, 6]]
  ] as const) {
    it(`keeps every move legal and exactly undoable (${name})`, () => {
      const orig = Candidate.fromSlots(PROGRAM)
      const p = new Proposer(orig, options())
      const w: [number, number] = win ? [win[0], win[1]] : [0, orig.length - 1]
      p.setWindow(w[0], w[1])
      const c = orig.clone()
      const rng = new Rng(3)
      const applied = new Array<number>(MOVE_COUNT).fill(0)
      let failures = 0
      let undoMismatch = 0
      let firstFailure: string | undefined
      for (let step = 0; step < 8000; step++) {
        const m = step % MOVE_COUNT
        const before = snapshot(c)
        if (!p.apply(m, c, rng)) {
          if (JSON.stringify(snapshot(c)) !== JSON.stringify(before)) undoMismatch++
          continue
        }
        applied[m]!++
        const v = violation(c, orig, w, win === undefined)
        if (v !== undefined) {
          failures++
          firstFailure ??= `${m}: ${v}`
        }
        if (step % 3 === 0) {
          p.undo(c)
          if (JSON.stringify(snapshot(c)) !== JSON.stringify(before)) undoMismatch++
        } else p.commit()
        if (step % 500 === 0) c.copyFrom(orig)
      }
      expect(firstFailure).toBeUndefined()
      expect(failures).toBe(0)
      expect(undoMismatch).toBe(0)
      // This program holds no idiom to fold; test/search/idiom-moves.test.ts covers that move.
      for (let m = 0; m < MOVE_COUNT; m++)
        if (m !== Move.idiom) expect(applied[m], MOVE_NAMES[m]).toBeGreaterThan(30)
    })
  }

  it('has an invariant checker that catches broken slots', () => {
    const orig = Candidate.fromSlots(PROGRAM)
    const c = orig.clone()
    c.dst[6] = 10 // add writes r10
    expect(violation(c, orig, [0, 13], true)).toMatch(/dst out of range/)
    const d = orig.clone()
    d.off[7] = 5 // jeq at 7 → slot 13 ok; 6 → out of range
    d.off[7] = 6
    expect(violation(d, orig, [0, 13], true)).toMatch(/out of range/)
    const e = orig.clone()
    e.imm[8] = 2 // call is frozen
    expect(violation(e, orig, [0, 13], true)).toMatch(/must not change/)
    const f = orig.clone()
    f.code[9] = 0x5f // and64_reg needs imm 0, row no longer matches
    expect(violation(f, orig, [0, 13], true)).toMatch(/does not decode back/)
  })

  it('swaps only independent neighbours: straight-line semantics are preserved', () => {
    const prog = [
      asm.movReg(3, 1),
      asm.movReg(4, 2),
      asm.addImm(3, 5),
      asm.mulImm(4, 3),
      asm.movReg(0, 3),
      asm.addReg(0, 4),
      asm.exit()
    ]
    const orig = Candidate.fromSlots(prog)
    const p = new Proposer(orig, options())
    const c = orig.clone()
    const rng = new Rng(11)
    const inputs: [bigint, bigint][] = [
      [1n, 2n],
      [1000n, 7n],
      [0xffffffffffn, 3n]
    ]
    const want = inputs.map((t) => runToy(orig, t))
    let swaps = 0
    let changed = 0
    for (let i = 0; i < 2000; i++) {
      if (!p.apply(Move.swap, c, rng)) continue
      swaps++
      p.commit()
      if (!c.equals(orig)) changed++
      expect(inputs.map((t) => runToy(c, t))).toEqual(want)
    }
    expect(swaps).toBeGreaterThan(100)
    expect(changed).toBeGreaterThan(0)
  })

  it('does not swap a pair whose second slot is a jump target', () => {
    // 0: if r1 == 0 goto 2; 1: r3 = 1; 2: r4 = 2; 3: r0 = 0; 4: exit — (1, 2) must not swap
    const prog = [
      asm.jeqImm(1, 0, 1),
      asm.movImm(3, 1),
      asm.movImm(4, 2),
      asm.movImm(0, 0),
      asm.exit()
    ]
    const orig = Candidate.fromSlots(prog)
    const p = new Proposer(orig, options())
    const rng = new Rng(1)
    let swaps = 0
    for (let k = 0; k < 500; k++) {
      const c = orig.clone()
      if (!p.apply(Move.swap, c, rng)) continue
      swaps++
      expect(c.imm[1]).toBe(1) // slots 1 and 2 untouched; only (2, 3) may swap
      expect(c.dst[2]).toBe(0)
      expect(c.dst[3]).toBe(4)
    }
    expect(swaps).toBeGreaterThan(0)
  })

  it('follows the configured move probabilities', () => {
    const orig = Candidate.fromSlots(PROGRAM)
    const zero = {
      pOperand: 0,
      pReplace: 0,
      pNop: 0,
      pReplace2: 0,
      pMemWidth: 0,
      pSwap: 0,
      pRemove: 0,
      pIdiom: 0
    }
    const p = new Proposer(orig, options({ ...zero, pRemove: 1 }))
    const rng = new Rng(5)
    const moves = new Set<number>()
    for (let i = 0; i < 200; i++) {
      const c = orig.clone()
      moves.add(p.propose(c, rng))
      expect([1, 2]).toContain(orig.liveSlots() - c.liveSlots())
    }
    expect([...moves]).toEqual([Move.remove])
    const q = new Proposer(orig, options({ ...zero, pMemWidth: 1 }))
    const c = orig.clone()
    expect(q.propose(c, rng)).toBe(Move.memWidth)
    const changedSlot = [3, 4, 5].find((i) => c.code[i] !== orig.code[i])
    expect(changedSlot).toBeDefined()
    const before = OPS[orig.row[changedSlot!]!]!
    const after = OPS[c.row[changedSlot!]!]!
    expect(after.kind).toBe(before.kind)
    expect('bytes' in after && 'bytes' in before && after.bytes !== before.bytes).toBe(true)
  })

  it('never creates jumps in a partial window unless allowed', () => {
    const orig = Candidate.fromSlots([
      asm.movReg(0, 1),
      asm.addImm(0, 1),
      asm.addImm(0, 2),
      asm.addImm(0, 3),
      asm.exit()
    ])
    const rng = new Rng(9)
    const count = (allow: boolean): number => {
      const p = new Proposer(orig, options({ allowJumpsInWindow: allow }))
      p.setWindow(1, 2)
      let jumps = 0
      for (let i = 0; i < 3000; i++) {
        const c = orig.clone()
        if (!p.apply(Move.replace, c, rng)) continue
        for (const k of [1, 2]) {
          const s = OPS[c.row[k]!]
          if (c.kind[k] === SlotKind.live && (s?.kind === 'jmp' || s?.kind === 'ja')) {
            jumps++
            const t = k + 1 + c.off[k]!
            expect(t).toBeGreaterThan(k)
            expect(t).toBeLessThanOrEqual(3)
          }
        }
      }
      return jumps
    }
    expect(count(false)).toBe(0)
    expect(count(true)).toBeGreaterThan(0)
  })

  it('keeps pinned slots (instructions the loader patches) as they were or removes them, never rewrites them', () => {
    const orig = Candidate.fromSlots(PROGRAM)
    const pinned = new Uint8Array(orig.length)
    for (const s of [3, 6, 10]) pinned[s] = 1
    const p = new Proposer(orig, options(), pinned)
    const free = new Proposer(orig, options())
    const rng = new Rng(11)
    const c = orig.clone()
    const same = (x: Candidate, i: number): boolean =>
      x.code[i] === orig.code[i] &&
      x.dst[i] === orig.dst[i] &&
      x.src[i] === orig.src[i] &&
      x.off[i] === orig.off[i] &&
      x.imm[i] === orig.imm[i]
    let removed = 0
    let rewrittenFree = 0
    for (let step = 0; step < 6000; step++) {
      if (p.apply(step % MOVE_COUNT, c, rng)) p.commit()
      for (const s of [3, 6, 10]) {
        if (c.kind[s] === SlotKind.nop) removed++
        else expect(same(c, s), `step ${step}, slot ${s}`).toBe(true)
      }
      if (step % 50 === 49) c.copyFrom(orig)
    }
    // The same moves without the mask do rewrite those slots, so the check above can fail.
    const d = orig.clone()
    for (let step = 0; step < 6000; step++) {
      if (free.apply(step % MOVE_COUNT, d, rng)) free.commit()
      if ([3, 6, 10].some((s) => d.kind[s] !== SlotKind.nop && !same(d, s))) rewrittenFree++
      if (step % 50 === 49) d.copyFrom(orig)
    }
    expect(removed).toBeGreaterThan(0)
    expect(rewrittenFree).toBeGreaterThan(0)
  })
})
