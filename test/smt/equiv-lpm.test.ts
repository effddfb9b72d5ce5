/**
 * @fileoverview LPM tries in the prover: a lookup finds the entry with the longest matching prefix,
 * so different keys may reach the same value; the lookups of a query always describe a real trie
 * (counterexamples build it and the interpreter confirms them).
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
  maps: [{ type: 11, keySize: 8, valueSize: 8, maxEntries: 16 }]
}

/** Looks up the keys at ctx+0 (value pointer in r7) and ctx+8 (in r8); exits with 0 on a miss. */
const LOOKUPS = `
  r6 = r1
  r1 = *(u64 *)(r6 + 0)
  *(u64 *)(r10 - 8) = r1
  r1 = *(u64 *)(r6 + 8)
  *(u64 *)(r10 - 16) = r1
  r2 = r10
  r2 += -8
  ld_pseudo r1, 1, 0
  call 1
  if r0 == 0 goto out
  r7 = r0
  r2 = r10
  r2 += -16
  ld_pseudo r1, 1, 0
  call 1
  if r0 == 0 goto out
  r8 = r0
`
const MISS = 'out:\nr0 = 0\nexit'

describe('LPM tries', () => {
  it('refutes a program that assumes different keys reach different entries', async () => {
    // Write through the first lookup, then read through the second: with exact keys the read
    // sees the write only when the keys are equal; in a trie both keys may fall under one prefix.
    const writeThenRead = `${LOOKUPS}r1 = 5\n*(u64 *)(r7 + 0) = r1\nr0 = *(u64 *)(r8 + 0)\nexit\n${MISS}`
    const exactKeys = `${LOOKUPS}r0 = *(u64 *)(r8 + 0)\nr1 = 5\n*(u64 *)(r7 + 0) = r1
      r1 = *(u64 *)(r10 - 8)\nr2 = *(u64 *)(r10 - 16)\nif r1 != r2 goto +1\nr0 = 5\nexit\n${MISS}`
    const r = await expectRefuted(z3(), asm(writeThenRead), asm(exactKeys), model, OPTS)
    const entries = r.input.maps?.[0] ?? []
    expect(entries.length).toBeGreaterThan(0)
  })

  it('proves that one key always reaches one entry', async () => {
    const same = `${LOOKUPS.replace('r1 = *(u64 *)(r6 + 8)', 'r1 = *(u64 *)(r6 + 0)')}`
    const writeThenRead = `${same}r1 = 5\n*(u64 *)(r7 + 0) = r1\nr0 = *(u64 *)(r8 + 0)\nexit\n${MISS}`
    const five = `${same}r1 = 5\n*(u64 *)(r7 + 0) = r1\nr0 = 5\nexit\n${MISS}`
    expect(await checkEquivalence(asm(writeThenRead), asm(five), model, z3(), OPTS)).toEqual({
      kind: 'equal'
    })
  })

  it('proves a longer prefix found for a key is found for every key under it', async () => {
    // Key 2 is key 1 with a longer prefix length: if key 1 finds an entry, so does key 2.
    const prog = `
      r6 = r1
      r1 = *(u64 *)(r6 + 0)
      *(u64 *)(r10 - 8) = r1
      *(u64 *)(r10 - 16) = r1
      r1 = 32
      *(u32 *)(r10 - 16) = r1
      r1 = *(u32 *)(r10 - 8)
      if r1 > 32 goto out
      r2 = r10
      r2 += -8
      ld_pseudo r1, 1, 0
      call 1
      if r0 == 0 goto out
      r2 = r10
      r2 += -16
      ld_pseudo r1, 1, 0
      call 1
      if r0 == 0 goto bad
      r0 = 1
      exit
    bad:
      r0 = 2
      exit
    ${MISS}`
    const never = prog.replace('r0 = 2\n', 'r0 = 1\n')
    expect(await checkEquivalence(asm(prog), asm(never), model, z3(), OPTS)).toEqual({
      kind: 'equal'
    })
  })

  it('does not model updates of a trie', async () => {
    const update = `
      r1 = 0
      *(u64 *)(r10 - 8) = r1
      r2 = r10
      r2 += -8
      r3 = r10
      r3 += -8
      ld_pseudo r1, 1, 0
      r4 = 0
      call 2
      exit`
    const r = await checkEquivalence(asm(update), asm(update), model, z3(), OPTS)
    expect(r).toMatchObject({ kind: 'unknown' })
  })
})
