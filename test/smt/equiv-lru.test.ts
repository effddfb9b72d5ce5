/**
 * @fileoverview LRU maps in the prover: lookups, updates and deletes are calls to the kernel's LRU
 * lists (both programs must make the same ones); an update may evict any entries first, or fail
 * with -ENOMEM, as the run's answer at its position says.
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
  maps: [{ type: 9, keySize: 4, valueSize: 8, maxEntries: 64 }]
}

/** update(map0, key, value 7, flags) with the key at r10-4. */
function update(key: number, flags = 0): string {
  return `r1 = ${key}\n*(u32 *)(r10 - 4) = r1\nr1 = 7\n*(u64 *)(r10 - 16) = r1
    r2 = r10\nr2 += -4\nr3 = r10\nr3 += -16\nld_pseudo r1, 1, 0\nr4 = ${flags}\ncall 2\n`
}

/** r0 = 1 when key is in map0, else 0. */
function has(key: number): string {
  return `r1 = ${key}\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 1, 0\ncall 1
    r1 = r0\nr0 = 0\nif r1 == 0 goto +1\nr0 = 1\n`
}

describe('LRU maps', () => {
  it('proves a program that updates and looks up an LRU map against itself', async () => {
    const p = `${update(1)}${has(1)}exit`
    expect(await checkEquivalence(asm(p), asm(p), model, z3(), OPTS)).toEqual({ kind: 'equal' })
  })

  it('refutes a program that assumes an update never evicts another entry', async () => {
    const a = `${update(1)}${update(2)}${has(1)}exit`
    const b = `${update(1)}${update(2)}${has(1)}r0 = 1\nexit`
    const r = await expectRefuted(z3(), asm(a), asm(b), model, OPTS)
    expect(r.input.calls?.some((c) => (c.evict?.length ?? 0) > 0)).toBe(true)
  })

  it('refutes a program that assumes an update of an LRU map never fails', async () => {
    const r = await expectRefuted(
      z3(),
      asm(`${update(1)}exit`),
      asm(`${update(1)}r0 = 0\nexit`),
      model,
      OPTS
    )
    expect(r.resultA.kind === 'exit' && BigInt.asIntN(64, r.resultA.r0)).toBe(-12n)
  })

  it('answers unknown when a program drops a lookup (the LRU lists see it)', async () => {
    const a = `${has(1)}r0 = 0\nexit`
    const r = await checkEquivalence(asm(a), asm('r0 = 0\nexit'), model, z3(), OPTS)
    expect(r).toMatchObject({ kind: 'unknown' })
  })
})
