/**
 * @fileoverview Pointer provenance along paths: a pointer spilled to the stack on one path is
 * loaded back as that pointer even when another path stored a number in the same slot; jumps
 * back to blocks the compiler placed earlier work from inside other such jumps.
 */
import { describe, expect, it } from 'vitest'
import { asm, useZ3 } from './prover-support'
import { checkEquivalence } from '../../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'

const z3 = useZ3()
const OPTS = { timeoutMs: 60_000 }
const model: EncodeModel = {
  ctx: 'tracepoint',
  maxPacket: 0,
  ctxSize: 64,
  maps: [{ type: 2, keySize: 4, valueSize: 8, maxEntries: 4 }]
}

describe('pointers spilled on one path', () => {
  it('loads a spilled pointer back although another path stored a number there', async () => {
    const p = asm(`
      r6 = *(u32 *)(r1 + 0)
      if r6 == 0 goto number
      r1 = 0
      *(u32 *)(r10 - 4) = r1
      r2 = r10
      r2 += -4
      ld_pseudo r1, 1, 0
      call 1
      if r0 == 0 goto out
      *(u64 *)(r10 - 16) = r0
      goto use
    number:
      r1 = 5
      *(u64 *)(r10 - 16) = r1
      goto out
    use:
      r2 = *(u64 *)(r10 - 16)
      r0 = *(u64 *)(r2 + 0)
      exit
    out:
      r0 = 0
      exit`)
    expect(await checkEquivalence(p, p, model, z3(), OPTS)).toEqual({ kind: 'equal' })
  })

  it('follows a jump back to an earlier block from inside another jump back', async () => {
    const layout = asm(`
      r6 = *(u32 *)(r1 + 0)
      goto start
    one:
      r0 = 1
      exit
    two:
      r0 = 2
      if r6 == 0 goto one
      exit
    start:
      if r6 < 2 goto two
      r0 = 3
      exit`)
    const plain = asm(`
      r6 = *(u32 *)(r1 + 0)
      r0 = 3
      if r6 >= 2 goto +3
      r0 = 2
      if r6 != 0 goto +1
      r0 = 1
      exit`)
    expect(await checkEquivalence(layout, plain, model, z3(), OPTS)).toEqual({ kind: 'equal' })
  })
})
