/** @fileoverview Stack-byte liveness after a window, and window proofs that rely on it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assemble } from '../../src-daemon/core/isa/asm'
import { decodeProgram, type Program } from '../../src-daemon/core/isa/decode'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { checkWindowEquivalence } from '../../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'
import { stackReadAfter } from '../../src-daemon/core/smt/stack-liveness'
import { Z3Instance } from '../../src-daemon/engine/z3/z3-instance'

function slots(text: string): Insn[] {
  const r = assemble(text, 'llvm')
  if (!r.ok) throw new Error(r.error.message)
  return r.value
}

function program(text: string): Program {
  const p = decodeProgram(slots(text))
  if (!p.ok) throw new Error(p.error.message)
  return p.value
}

const MAPS = [{ name: 'm', type: 1, keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 }] as const

function live(text: string, end: number): string {
  const l = stackReadAfter(program(text), end, MAPS)
  return l.kind === 'all' ? 'all' : [...l.offsets].sort((a, b) => a - b).join(',')
}

describe('stack bytes read after a window', () => {
  it('marks loads and map-helper keys, and forgets bytes overwritten first', () => {
    const text = `
      *(u64 *)(r10 - 16) = 0
      *(u32 *)(r10 - 4) = 7
      r0 = *(u16 *)(r10 - 16)
      *(u32 *)(r10 - 8) = 1
      r2 = r10
      r2 += -8
      r1 = 0 ll
      call 1
      exit`
    // After slot 1: the u16 load reads -16..-15; -8..-5 are written before the lookup reads them.
    expect(live(text, 1)).toBe('-16,-15')
    // After slot 3 only the lookup's 4-byte key remains.
    expect(live(text, 3)).toBe('-8,-7,-6,-5')
    expect(live(text, 9)).toBe('')
  })

  it('gives up (every byte) on pointers it cannot follow, unknown helpers and loops', () => {
    expect(live('r1 = r10\nr1 += r2\nr0 = *(u8 *)(r1 - 1)\nexit', 0)).toBe('all')
    expect(live('r1 = r10\nr1 += -8\nr2 = 8\ncall 6\nr0 = 0\nexit', 0)).toBe('all')
    expect(live('r0 = 0\nr0 += 1\nif r0 < 3 goto -2\nexit', 0)).toBe('all')
  })

  it('follows a branch that skips the overwrite', () => {
    const text = `
      *(u32 *)(r10 - 4) = 1
      if r1 == 0 goto +1
      *(u32 *)(r10 - 4) = 2
      r0 = *(u32 *)(r10 - 4)
      exit`
    expect(live(text, 0)).toBe('-4,-3,-2,-1')
  })
})

describe('window proofs with stack liveness', () => {
  let z3: Z3Instance
  beforeAll(async () => {
    z3 = await Z3Instance.create()
  })
  afterAll(async () => {
    await z3.dispose()
  })
  const model: EncodeModel = { ctx: 'xdp', maxPacket: 64, ctxSize: 0, maps: [...MAPS] }
  const original = slots(`
    r3 = 5
    *(u32 *)(r10 - 8) = r3
    *(u32 *)(r10 - 4) = r3
    r3 = 9
    *(u32 *)(r10 - 8) = r3
    r0 = *(u32 *)(r10 - 8)
    r1 = *(u32 *)(r10 - 4)
    r0 += r1
    exit`)

  it('accepts deleting a store whose bytes are overwritten before any read', async () => {
    const r = await checkWindowEquivalence(
      original,
      0,
      2,
      slots('r3 = 5\n*(u32 *)(r10 - 4) = r3'),
      model,
      z3,
      {
        timeoutMs: 20_000
      }
    )
    expect(r.kind).toBe('equal')
  })

  it('refutes deleting a store whose bytes are read later', async () => {
    const r = await checkWindowEquivalence(
      original,
      0,
      2,
      slots('r3 = 5\n*(u32 *)(r10 - 8) = r3'),
      model,
      z3,
      {
        timeoutMs: 20_000
      }
    )
    expect(r.kind).toBe('notEqual')
  })
})
