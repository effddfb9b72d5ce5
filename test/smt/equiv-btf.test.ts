/**
 * @fileoverview Programs the analysis accepts with a BTF-typed context (fentry reading through a
 * kernel-BTF pointer). Without `kernelReads` in the model such loads are outside it (a fault,
 * `unknown`, never an exception or a wrong `equal`); with it, as the engine models BTF-typed
 * programs, they read kernel memory: a value per address and size shared by both programs.
 */
import { describe, expect, it } from 'vitest'
import { asm, expectRefuted, useZ3 } from './prover-support'
import { indexByName, resolveBtfTarget } from '../../src-daemon/core/analysis/btf-target'
import { analyze } from '../../src-daemon/core/analysis/verifier'
import { runOnce } from '../../src-daemon/core/interp/api'
import { checkEquivalence } from '../../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'
import { TEST_BTF } from '../analysis/btf-fixture'

const z3 = useZ3()

/** The model the engine gives tracing programs (a flat context). */
const model: EncodeModel = { ctx: 'plain', maxPacket: 0, ctxSize: 512, maps: [] }
const OPTS = { timeoutMs: 30_000 }

/** fentry/do_thing reading the task's tgid through its pointer argument and returning it. */
const READS_TGID = asm('r2 = *(u64 *)(r1 + 8)\nr0 = *(u32 *)(r2 + 4)\nexit')

describe('kernel-BTF pointers in the interpreter and the prover', () => {
  it('the analysis accepts the program (the premise of the other checks)', () => {
    const t = resolveBtfTarget(TEST_BTF, indexByName(TEST_BTF), 'fmod_ret/security_do_thing')
    if (!t.ok) throw new Error(t.error.message)
    const r = analyze(READS_TGID, {
      progType: 'tracing',
      attachType: 'modify_return',
      maps: [],
      btfTarget: t.value
    })
    expect(r.ok ? 'accept' : r.error.message).toBe('accept')
  })

  it('the interpreter faults at the load (an outcome, not an exception)', () => {
    const ctx = new Uint8Array(512)
    ctx[8] = 0x40 // some kernel address the interpreter does not map
    const r = runOnce(READS_TGID, [], 'plain', { ctx, mem: new Uint8Array(512) })
    expect(r.kind === 'fault' ? r.pc : r.kind).toBe(1)
  })

  it('the prover answers unknown, not equal, against a program that skips the load', async () => {
    const r = await checkEquivalence(READS_TGID, asm('r0 = 0\nexit'), model, z3(), OPTS)
    expect(r.kind).toBe('unknown')
    if (r.kind === 'unknown') expect(r.reason).toContain('not a tracked pointer')
  })
})

describe('loads through kernel pointers read kernel memory (kernelReads)', () => {
  const kmodel: EncodeModel = { ...model, ctxSize: 64, kernelReads: true }
  const answer = async (a: string, b: string): Promise<string> => {
    const r = await checkEquivalence(asm(a), asm(b), kmodel, z3(), OPTS)
    return r.kind === 'unknown' ? `unknown: ${r.reason}` : r.kind
  }
  const task = 'r2 = *(u64 *)(r1 + 8)\n'

  it('the interpreter reads the given value, else the seeded one (0 for seed 0)', () => {
    const ctx = new Uint8Array(64)
    ctx.set([0x40, 0, 0, 0, 0, 0, 0, 0xff], 8)
    const address = 0xff00000000000044n
    const kernelMemory = { seed: 0, reads: [{ address, size: 4, value: 0x1234n }] }
    const run = (km?: { seed: number; reads?: typeof kernelMemory.reads }) =>
      runOnce(READS_TGID, [], 'plain', {
        mem: ctx,
        ...(km !== undefined ? { kernelMemory: km } : {})
      })
    const given = run(kernelMemory)
    expect(given.kind === 'exit' ? given.r0 : given.kind).toBe(0x1234n)
    const zero = run({ seed: 0 })
    expect(zero.kind === 'exit' ? zero.r0 : zero.kind).toBe(0n)
    const seeded = run({ seed: 7 })
    expect(seeded.kind === 'exit' ? seeded.r0 : seeded.kind).not.toBe(0n)
    expect(run().kind).toBe('fault')
  })

  it('proves a program equal to itself and a load read twice equal to one read used twice', async () => {
    const once = `${task}r0 = *(u32 *)(r2 + 4)\nexit`
    expect(await answer(once, once)).toBe('equal')
    const twice = `${task}r0 = *(u32 *)(r2 + 4)\nr3 = *(u32 *)(r2 + 4)\nr0 += r3\nexit`
    expect(await answer(twice, `${task}r0 = *(u32 *)(r2 + 4)\nr0 <<= 1\nexit`)).toBe('equal')
    // A dead load removed; a chain of pointers (task->mm->...).
    const chain = `${task}r3 = *(u64 *)(r2 + 16)\nr0 = *(u32 *)(r3 + 8)\nexit`
    const dead = `${task}r4 = *(u8 *)(r2 + 1)\nr3 = *(u64 *)(r2 + 16)\nr0 = *(u32 *)(r3 + 8)\nexit`
    expect(await answer(dead, chain)).toBe('equal')
  })

  it('refutes another field, with a counterexample the interpreter confirms', async () => {
    const a = asm(`${task}r0 = *(u32 *)(r2 + 4)\nexit`)
    const b = asm(`${task}r0 = *(u32 *)(r2 + 8)\nexit`)
    await expectRefuted(z3(), a, b, kmodel, OPTS)
  })

  it('keeps loads of different sizes apart (a wide load across a fault reads 0)', async () => {
    const a = asm(`${task}r0 = *(u64 *)(r2 + 0)\nr0 >>= 56\nexit`)
    const b = asm(`${task}r0 = *(u8 *)(r2 + 7)\nexit`)
    await expectRefuted(z3(), a, b, kmodel, OPTS)
  })

  it("answers unknown for an address computed from the program's own pointer", async () => {
    const own = 'r2 = r10\nr2 *= 1\nr0 = *(u32 *)(r2 - 8)\nexit'
    expect(await answer(own, own)).toMatch(/^unknown: .*computed from a pointer of the program/)
  })
})
