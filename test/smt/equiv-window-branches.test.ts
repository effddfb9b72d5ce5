/**
 * @fileoverview Windows that branch, exit, leave by a jump or call helpers: proven in window form
 * (from the state reaching the window), refuted with counterexamples the whole programs confirm.
 */
import { describe, expect, it } from 'vitest'
import { asm, useZ3 } from './prover-support'
import { checkWindowEquivalence } from '../../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'

const z3 = useZ3()

const model: EncodeModel = { ctx: 'flat', maxPacket: 0, ctxSize: 16, maps: [] }
const OPTS = { timeoutMs: 30_000 }

// Slots 2..5 choose r0 by a branch; slot 6 uses it.
const program = asm(`
  r1 = *(u64 *)(r1 + 0)
  r0 = 0
  if r1 > 5 goto +2
  r0 = 1
  goto +1
  r0 = 2
  r0 += 10
  exit`)

describe('windows with control flow', () => {
  it('proves a branchy window equal to a shorter one that branches the other way', async () => {
    const shorter = asm('r0 = 1\nif r1 <= 5 goto +1\nr0 = 2')
    expect(await checkWindowEquivalence(program, 2, 5, shorter, model, z3(), OPTS)).toEqual({
      kind: 'equal'
    })
  })

  it('refutes a wrong comparison with a counterexample the whole programs confirm', async () => {
    const wrong = asm('r0 = 1\nif r1 < 5 goto +1\nr0 = 2')
    const r = await checkWindowEquivalence(program, 2, 5, wrong, model, z3(), OPTS)
    expect(r.kind).toBe('notEqual')
    if (r.kind === 'notEqual') {
      expect(r.scope).toBeUndefined()
      expect(r.resultA).not.toEqual(r.resultB)
    }
  })

  it('compares exits inside the window and jumps that leave it for later slots', async () => {
    // Slots 1..3: exit early with 7 for r1 == 0, else skip slot 4 when r1 > 9.
    const p = asm(`
      r1 = *(u64 *)(r1 + 0)
      if r1 != 0 goto +2
      r0 = 7
      exit
      if r1 > 9 goto +1
      r1 = 0
      r0 = r1
      exit`)
    // The same, written with the exit first reached by the jump: slots 1..3 again.
    const same = asm('r0 = 7\nif r1 == 0 goto +1\nr0 = r0')
    const r = await checkWindowEquivalence(p, 1, 3, same, model, z3(), OPTS)
    // `same` does not exit: for r1 == 0 it falls through to slot 4 with r0 = 7, where the
    // original exited; the whole programs then differ (r0 = 0 against 7).
    expect(r.kind).toBe('notEqual')
    if (r.kind === 'notEqual') expect(r.resultA).not.toEqual(r.resultB)
    const exitFirst = asm('r0 = 7\nif r1 != 0 goto +1\nexit')
    expect(await checkWindowEquivalence(p, 1, 3, exitFirst, model, z3(), OPTS)).toEqual({
      kind: 'equal'
    })
    // Slots 1..2 leave by a jump to slot 4, past the window's end (r0 is dead there).
    const setFirst = asm('r0 = 7\nif r1 != 0 goto +1')
    expect(await checkWindowEquivalence(p, 1, 2, setFirst, model, z3(), OPTS)).toEqual({
      kind: 'equal'
    })
    const wrongTarget = asm('r0 = 7\nif r1 != 0 goto +0')
    const w = await checkWindowEquivalence(p, 1, 2, wrongTarget, model, z3(), OPTS)
    expect(w.kind).toBe('notEqual')
    if (w.kind === 'notEqual') expect(w.resultA).not.toEqual(w.resultB)
    // Leaving by a jump to the slot after the end: slots 4..5 skip slot 5 for r1 > 9.
    const leave = asm('if r1 > 9 goto +1\nr1 = 0')
    expect(await checkWindowEquivalence(p, 4, 5, leave, model, z3(), OPTS)).toEqual({
      kind: 'equal'
    })
    const early = asm('if r1 > 8 goto +1\nr1 = 0')
    const e = await checkWindowEquivalence(p, 4, 5, early, model, z3(), OPTS)
    expect(e.kind).toBe('notEqual')
  })
})
