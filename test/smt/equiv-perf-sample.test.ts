/**
 * @fileoverview Equivalence over perf_event_output packet samples (BPF_F_CTXLEN_MASK) with a
 * computed length, as Cilium's tc programs send them: flags = min(skb->len, cap) << 32 |
 * BPF_F_CURRENT_CPU. Two samples are the same only when their lengths and bytes are.
 */
import { describe, expect, it } from 'vitest'
import { asm, expectRefuted, useZ3 } from './prover-support'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { checkEquivalence } from '../../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'
import { SK_BUFF, XDP_MD } from '../../src-daemon/core/interp/layout'

const z3 = useZ3()

const PERF = { name: 'events', type: 4, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 }
const tc: EncodeModel = { ctx: 'skb', maxPacket: 64, ctxSize: 192, maps: [PERF] }
const xdp: EncodeModel = { ctx: 'xdp', maxPacket: 64, ctxSize: 24, maps: [PERF] }
const OPTS = { timeoutMs: 60_000 }

/** Sends a 4-byte record with flags r7 (computed by `flags`), around `before` and `after`. */
function sender(flags: string, before = '', after = ''): Insn[] {
  return asm(`
    r6 = r1
    ${flags}
    ${before}
    *(u32 *)(r10 - 4) = 42
    r1 = r6
    ld_pseudo r2, 1, 0
    r3 = r7
    r4 = r10
    r4 += -4
    r5 = 4
    call 25
    ${after}
    r0 = 0
    exit`)
}

/** flags = min(skb->len, cap) << 32 | BPF_F_CURRENT_CPU. */
const minLen = (cap: number): string => `
    r7 = *(u32 *)(r1 + ${SK_BUFF.len})
    if r7 < ${cap} goto short
    r7 = ${cap}
  short:
    r7 <<= 32
    r2 = 4294967295 ll
    r7 |= r2`

/** Sets packet byte `at` to 0x55 (when the packet has it), keeping its old value in r8. */
const poke = (at: number): string => `
    r2 = *(u32 *)(r6 + ${SK_BUFF.data})
    r3 = *(u32 *)(r6 + ${SK_BUFF.data_end})
    r4 = r2
    r4 += ${at + 1}
    r9 = 0
    if r4 > r3 goto skip
    r9 = r2
    r8 = *(u8 *)(r2 + ${at})
    *(u8 *)(r2 + ${at}) = 0x55
  skip:`

/** Restores the byte {@link poke} changed. */
const unpoke = (at: number): string => `
    if r9 == 0 goto done
    *(u8 *)(r9 + ${at}) = r8
  done:`

describe('perf_event_output samples with a computed length', () => {
  it('proves a program equal to itself', async () => {
    const a = sender(minLen(16))
    expect(await checkEquivalence(a, a, tc, z3(), OPTS)).toEqual({ kind: 'equal' })
  })

  it('proves equal flags built another way (the index part provably BPF_F_CURRENT_CPU)', async () => {
    const added = `
    r7 = *(u32 *)(r1 + ${SK_BUFF.len})
    if r7 < 16 goto short
    r7 = 16
  short:
    r7 <<= 32
    r7 += -1
    r7 += 1
    r2 = 4294967295 ll
    r7 += r2`
    const r = await checkEquivalence(sender(minLen(16)), sender(added), tc, z3(), OPTS)
    expect(r).toEqual({ kind: 'equal' })
  })

  it('refutes samples of different lengths', async () => {
    await expectRefuted(z3(), sender(minLen(16)), sender(minLen(15)), tc, OPTS)
  })

  it('refutes a packet byte changed inside the sampled range for the call only', async () => {
    const changed = sender(minLen(16), poke(3), unpoke(3))
    await expectRefuted(z3(), changed, sender(minLen(16)), tc, OPTS)
  })

  it('proves a packet byte changed outside the sampled range for the call only equal', async () => {
    const changed = sender(minLen(16), poke(20), unpoke(20))
    expect(await checkEquivalence(changed, sender(minLen(16)), tc, z3(), OPTS)).toEqual({
      kind: 'equal'
    })
  })

  it('proves a sample past the packet -EFAULT and bits above the mask -EINVAL, with no record', async () => {
    const result = (flags: string): Insn[] =>
      asm(`
    r6 = r1
    ${flags}
    *(u32 *)(r10 - 4) = 42
    r1 = r6
    ld_pseudo r2, 1, 0
    r3 = r7
    r4 = r10
    r4 += -4
    r5 = 4
    call 25
    exit`)
    const lenPlus = (extra: string): string => `
    r7 = *(u32 *)(r1 + ${SK_BUFF.len})
    r7 += 1
    r7 <<= 32
    r2 = ${extra} ll
    r7 |= r2`
    const efault = result(lenPlus('4294967295'))
    expect(await checkEquivalence(efault, asm('r0 = -14\nexit'), tc, z3(), OPTS)).toEqual({
      kind: 'equal'
    })
    const einval = result(lenPlus(`${(1n << 52n) | 0xffffffffn}`))
    expect(await checkEquivalence(einval, asm('r0 = -22\nexit'), tc, z3(), OPTS)).toEqual({
      kind: 'equal'
    })
    // With the length itself, the record goes out: not the same as -EFAULT.
    await expectRefuted(z3(), result(minLen(64)), asm('r0 = -14\nexit'), tc, OPTS)
  })

  it('answers unknown for an index that may not be BPF_F_CURRENT_CPU', async () => {
    const index = `
    r7 = *(u32 *)(r1 + ${SK_BUFF.len})
    r7 <<= 32
    r2 = *(u32 *)(r1 + ${SK_BUFF.mark})
    r7 |= r2`
    const a = sender(index)
    const r = await checkEquivalence(a, a, tc, z3(), OPTS)
    expect(r).toMatchObject({ kind: 'unknown' })
    if (r.kind === 'unknown') expect(r.reason).toMatch(/explicit index/)
  })
})

describe('XDP samples', () => {
  /** flags = (data_end - data) << 32 | BPF_F_CURRENT_CPU, after `before`. */
  const whole = (before = ''): Insn[] =>
    sender(
      `${before}
    r2 = *(u32 *)(r6 + ${XDP_MD.data})
    r7 = *(u32 *)(r6 + ${XDP_MD.data_end})
    r7 -= r2
    r7 <<= 32
    r2 = 4294967295 ll
    r7 |= r2`
    )

  it('proves the whole packet sample equal to itself', async () => {
    expect(await checkEquivalence(whole(), whole(), xdp, z3(), OPTS)).toEqual({ kind: 'equal' })
  })

  it('answers unknown when the sample may be longer than the model represents', async () => {
    const grown = whole(`
    r1 = r6
    r2 = -16
    call 44`)
    const r = await checkEquivalence(grown, grown, xdp, z3(), OPTS)
    expect(r).toMatchObject({ kind: 'unknown' })
    if (r.kind === 'unknown') expect(r.reason).toMatch(/longer than 64 bytes/)
  })
})
