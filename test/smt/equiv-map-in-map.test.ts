/**
 * @fileoverview Maps of maps: a lookup in an array of maps gives one of the maps it holds, which
 * one being an input (two entries may hold the same map); the interpreter keeps a pool of inner
 * maps and counterexamples fill it.
 */
import { describe, expect, it } from 'vitest'
import { asm, expectRefuted, useZ3 } from './prover-support'
import { checkEquivalence } from '../../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'

const z3 = useZ3()
const OPTS = { timeoutMs: 60_000 }
const model: EncodeModel = {
  ctx: 'tracepoint',
  maxPacket: 0,
  ctxSize: 64,
  maps: [
    {
      type: 12,
      keySize: 4,
      valueSize: 4,
      maxEntries: 8,
      inner: { type: 1, keySize: 4, valueSize: 8, maxEntries: 16 }
    }
  ]
}

/** Looks up outer slot `slot` into `reg` (exits with 0 when the slot is empty). */
function outer(slot: number, reg: string): string {
  return `r1 = ${slot}\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 1, 0\ncall 1
    if r0 == 0 goto out\n${reg} = r0\n`
}

/** Sets key 9 of the map in r6 to 5. */
const UPDATE = `r1 = 9\n*(u32 *)(r10 - 8) = r1\nr1 = 5\n*(u64 *)(r10 - 16) = r1
  r1 = r6\nr2 = r10\nr2 += -8\nr3 = r10\nr3 += -16\nr4 = 0\ncall 2\n`

/** r0 = 1 when key 9 is in the map in r7, else 0. */
const HAS = `r1 = 9\n*(u32 *)(r10 - 8) = r1\nr1 = r7\nr2 = r10\nr2 += -8\ncall 1
  r1 = r0\nr0 = 0\nif r1 == 0 goto +1\nr0 = 1\n`

const OUT = 'exit\nout:\nr0 = 0\nexit'

describe('maps of maps', () => {
  it('proves a program that updates and reads a map from an array of maps against itself', async () => {
    const p = asm(`${outer(0, 'r6')}r7 = r6\n${UPDATE}${HAS}${OUT}`)
    expect(await checkEquivalence(p, p, model, z3(), OPTS)).toEqual({ kind: 'equal' })
  })

  it('proves a write seen through the same map', async () => {
    const a = asm(`${outer(0, 'r6')}r7 = r6\n${UPDATE}${HAS}${OUT}`)
    const b = asm(`${outer(0, 'r6')}r7 = r6\n${UPDATE}r0 = 1\n${OUT}`)
    const r = await checkEquivalence(a, b, model, z3(), OPTS)
    // The update may fail (a full map), so the key need not be there: refuted.
    expect(r.kind).toBe('notEqual')
  })

  it('refutes a program that assumes two slots hold different maps', async () => {
    const a = asm(
      `${outer(0, 'r6')}${outer(1, 'r7')}${UPDATE}r8 = r0\n${HAS}if r8 != 0 goto out\n${OUT}`
    )
    const b = asm(
      `${outer(0, 'r6')}${outer(1, 'r7')}${UPDATE}r8 = r0\n${HAS}if r8 != 0 goto out\nr0 = 0\n${OUT}`
    )
    const r = await expectRefuted(z3(), a, b, model, OPTS)
    // Both slots name one inner map of the interpreter's pool.
    const slots = r.input.maps?.[0] ?? []
    expect(new Set(slots.map((e) => e.value[0])).size).toBe(1)
  })
})
