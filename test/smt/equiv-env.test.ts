/**
 * @fileoverview The run's environment as shared inputs: the CPU (get_smp_processor_id) and the
 * current task (get_current_pid_tgid, get_current_uid_gid) are one value per run, the same for
 * both programs and for every call, and any value a kernel can give.
 */
import { describe, expect, it } from 'vitest'
import { asm, useZ3 } from './prover-support'
import { checkEquivalence } from '../../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'

const z3 = useZ3()

const model: EncodeModel = { ctx: 'tracepoint', maxPacket: 0, ctxSize: 64, maps: [] }
const OPTS = { timeoutMs: 30_000 }

describe('the CPU and the current task', () => {
  it('refutes a program that assumes it runs on CPU 0', async () => {
    const onCpu0 = asm('call 8\nr1 = r0\nr0 = 1\nif r1 == 0 goto +1\nr0 = 2\nexit')
    const r = await checkEquivalence(onCpu0, asm('r0 = 1\nexit'), model, z3(), OPTS)
    expect(r.kind).toBe('notEqual')
    if (r.kind === 'notEqual') {
      expect(r.input.cpu).not.toBe(0)
      expect(r.resultA).not.toEqual(r.resultB)
    }
  })

  it('proves a CPU number always below the kernel limit', async () => {
    const bounded = asm('call 8\nr1 = r0\nr0 = 1\nif r1 < 8192 goto +1\nr0 = 2\nexit')
    expect(await checkEquivalence(bounded, asm('r0 = 1\nexit'), model, z3(), OPTS)).toEqual({
      kind: 'equal'
    })
  })

  it('gives every call in one run the same pid_tgid, and refutes mixing it with uid_gid', async () => {
    const twice = asm('call 14\nr6 = r0\ncall 14\nr0 -= r6\nexit')
    expect(await checkEquivalence(twice, asm('r0 = 0\nexit'), model, z3(), OPTS)).toEqual({
      kind: 'equal'
    })
    const tgid = asm('call 14\nr0 >>= 32\nexit')
    const r = await checkEquivalence(tgid, asm('call 15\nr0 >>= 32\nexit'), model, z3(), OPTS)
    expect(r.kind).toBe('notEqual')
    if (r.kind === 'notEqual') expect(r.resultA).not.toEqual(r.resultB)
  })
})
