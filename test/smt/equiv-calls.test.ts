import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Z3Instance } from '../../src-daemon/engine/z3/z3-instance'
import { checkEquivalence } from '../../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'
import { assemble } from '../../src-daemon/core/isa/asm'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { resultEquals } from '../../src-daemon/core/interp/api'

/** bpf-to-bpf calls: inlined by the prover with their own stack frame and the calling convention. */

let z3: Z3Instance
beforeAll(async () => {
  z3 = await Z3Instance.create()
})
afterAll(async () => {
  await z3.dispose()
})

const model: EncodeModel = { ctx: 'flat', maxPacket: 0, ctxSize: 16, maps: [] }

function asm(text: string): Insn[] {
  const r = assemble(text, 'llvm')
  if (!r.ok) throw new Error(`${r.error.code} ${r.error.message} line ${r.error.line}`)
  return r.value
}

// main: r6 survives the call; the callee uses its own frame at r10-8 and clobbers r6 locally.
const withCall = asm(`
  r6 = *(u64 *)(r1 + 0)
  *(u64 *)(r10 - 8) = r6
  r1 = *(u64 *)(r1 + 8)
  call add_three
  r1 = *(u64 *)(r10 - 8)
  r0 += r1
  r0 += r6
  exit
add_three:
  *(u64 *)(r10 - 8) = r1
  r6 = 3
  r0 = *(u64 *)(r10 - 8)
  r0 += r6
  exit
`)

describe('bpf-to-bpf calls', () => {
  it('proves a call equal to its inlined body', async () => {
    const inlined = asm(`
      r6 = *(u64 *)(r1 + 0)
      r0 = *(u64 *)(r1 + 8)
      r0 += 3
      r0 += r6
      r0 += r6
      exit
    `)
    expect(await checkEquivalence(withCall, inlined, model, z3, { timeoutMs: 30_000 })).toEqual({
      kind: 'equal'
    })
  })
  it('refutes a wrong inlining with a counterexample the interpreter confirms', async () => {
    const wrong = asm(`
      r6 = *(u64 *)(r1 + 0)
      r0 = *(u64 *)(r1 + 8)
      r0 += 3
      r0 += r6
      exit
    `)
    const r = await checkEquivalence(withCall, wrong, model, z3, { timeoutMs: 30_000 })
    expect(r.kind).toBe('notEqual')
    if (r.kind === 'notEqual') expect(resultEquals(r.resultA, r.resultB)).toBe(false)
  })
})
