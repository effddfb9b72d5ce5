/**
 * @fileoverview Free room in hash maps: an insert of a new key fails with -E2BIG only when the map
 * has no free entry, which a delete in the same run gives back.
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
  maps: [{ type: 1, keySize: 4, valueSize: 8, maxEntries: 4 }]
}

function keyAt(key: string): string {
  return `r1 = ${key}\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 1, 0\n`
}
const INSERT = (key: string): string =>
  `r1 = 7\n*(u64 *)(r10 - 16) = r1\n${keyAt(key)}r3 = r10\nr3 += -16\nr4 = 0\ncall 2\n`

describe('hash map room', () => {
  it('refutes a program that assumes an insert never finds the map full', async () => {
    const r = await expectRefuted(z3(), asm(`${INSERT('5')}exit`), asm('r0 = 0\nexit'), model, OPTS)
    expect(r.input.maps?.[0]?.length).toBe(4)
  })

  it('proves that an insert after a successful delete finds room', async () => {
    const p = asm(`
      ${keyAt('1')}call 3
      r6 = r0
      ${INSERT('2')}r7 = r0
      r0 = 0
      if r6 != 0 goto +2
      if r7 == 0 goto +1
      r0 = 1
      exit`)
    const r = await checkEquivalence(
      p,
      asm(`${keyAt('1')}call 3\n${INSERT('2')}r0 = 0\nexit`),
      model,
      z3(),
      OPTS
    )
    expect(r).toEqual({ kind: 'equal' })
  })
})
