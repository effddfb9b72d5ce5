/**
 * @fileoverview Programs the analysis accepts with a BTF-typed context (fentry reading through a
 * kernel-BTF pointer) reach the interpreter and the prover with the flat context they model:
 * loads through such pointers are outside both models, which must answer with a clear value
 * (a fault, `unknown`), never an exception and never a wrong `equal`.
 */
import { describe, expect, it } from 'vitest'
import { asm, useZ3 } from './prover-support'
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
