/**
 * @fileoverview The search's safety gate explores as many instructions as the kernel's verifier
 * does (BPF_COMPLEXITY_LIMIT_INSNS), no fewer: a lower limit refused big programs the kernel
 * accepts (six of Cilium's in the corpus).
 */
import { describe, expect, it } from 'vitest'
import { KERNEL_INSN_LIMIT } from '../../src-daemon/core/analysis/types'
import { acceptsUnder, analysisProfile } from '../../src-daemon/core/search/safety'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'
import { asm } from '../smt/prover-support'

const XDP: EncodeModel = { ctx: 'xdp', maxPacket: 64, ctxSize: 24, maps: [] }

/** A bounded loop of `n` rounds: about 2n instructions for the verifier to process. */
function loop(n: number): string {
  return `r1 = 0\nr1 += 1\nif r1 < ${n} goto -2\nr0 = 2\nexit`
}

describe('the safety gate’s instruction limit', () => {
  it('accepts a bounded loop that takes 300,000 processed instructions, as the kernel does', () => {
    const slots = asm(loop(150_000))
    const profile = analysisProfile(slots, 'xdp', XDP)
    expect(profile).toBeDefined()
    expect(acceptsUnder(slots, profile!)).toBe(true)
  }, 60_000)

  it('refuses one past the kernel’s limit', () => {
    const slots = asm(loop(KERNEL_INSN_LIMIT / 2 + 10))
    expect(analysisProfile(slots, 'xdp', XDP)).toBeUndefined()
  }, 60_000)
})
