import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { Z3Instance } from '../../src-daemon/engine/z3/z3-instance'
import { checkEquivalence } from '../../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'
import { assemble } from '../../src-daemon/core/isa/asm'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { resultEquals } from '../../src-daemon/core/interp/api'
import { readBpfObject } from '../../src-daemon/core/formats'
import { linkProgram } from '../../src-daemon/engine/kernel/link-object'

/** Bounded loops: unrolled by the prover; a loop that may run past the bound gives unknown. */

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

// Counts 2 per iteration, n + 1 iterations where n is the input's low 3 bits (at most 8).
const loop = asm(`
  r2 = *(u64 *)(r1 + 0)
  r3 = r2
  r3 &= 7
  r0 = 0
L1:
  r0 += 2
  r3 += -1
  if r3 s>= 0 goto L1
  exit
`)

describe('bounded loops', () => {
  it('proves an unrolled loop equal to its closed form', async () => {
    const closed = asm(`
      r2 = *(u64 *)(r1 + 0)
      r3 = r2
      r3 &= 7
      r3 += 1
      r0 = r3
      r0 <<= 1
      exit
    `)
    expect(await checkEquivalence(loop, closed, model, z3, { timeoutMs: 60_000 })).toEqual({
      kind: 'equal'
    })
  })
  it('refutes an off-by-one closed form with a confirmed counterexample', async () => {
    const wrong = asm(`
      r2 = *(u64 *)(r1 + 0)
      r3 = r2
      r3 &= 7
      r0 = r3
      r0 <<= 1
      exit
    `)
    const r = await checkEquivalence(loop, wrong, model, z3, { timeoutMs: 60_000 })
    expect(r.kind).toBe('notEqual')
    if (r.kind === 'notEqual') expect(resultEquals(r.resultA, r.resultB)).toBe(false)
  })
  it('answers unknown when a loop may run past the unroll bound', async () => {
    const long = asm(`
      r3 = *(u64 *)(r1 + 0)
      r3 &= 255
      r0 = 0
    L1:
      r0 += 1
      r3 += -1
      if r3 s> 0 goto L1
      exit
    `)
    const r = await checkEquivalence(long, long, model, z3, { timeoutMs: 60_000 })
    expect(r.kind).toBe('unknown')
    if (r.kind === 'unknown') expect(r.reason).toMatch(/loop may run more than/)
  })
  it('proves the compiled bounded-loop fixture equal to itself (a loop K2 rejects)', async () => {
    const obj = readBpfObject(
      new Uint8Array(readFileSync(new URL('../fixtures/obj/bounded_loop.o', import.meta.url)))
    )
    if (!obj.ok) throw new Error(obj.error.message)
    const prog = obj.value.programs.find((p) => !p.isSubprogram)
    if (prog === undefined) throw new Error('no program')
    const linked = linkProgram(obj.value, prog.name)
    if (!linked.ok) throw new Error(linked.error.message)
    const ctx = prog.progType.name === 'xdp' ? 'xdp' : 'tracepoint'
    const m: EncodeModel = { ctx, maxPacket: 128, ctxSize: 64, maps: linked.value.maps }
    const r = await checkEquivalence(linked.value.insns, linked.value.insns, m, z3, {
      timeoutMs: 60_000
    })
    expect(r.kind, 'reason' in r ? r.reason : '').toBe('equal')
  })
})
