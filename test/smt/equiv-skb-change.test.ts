/**
 * @fileoverview Equivalence of tc programs calling the helpers that change the packet or socket
 * buffer: skb_change_type and skb_pull_data (exact), skb_change_proto, skb_change_tail and
 * skb_adjust_room (the environment's answer: equal only when both programs make the same calls
 * on the same packet). Refutations are confirmed by the interpreter.
 */
import { describe, expect, it } from 'vitest'
import { asm, expectRefuted, useZ3 } from './prover-support'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { checkEquivalence, type EquivResult } from '../../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'
import { SK_BUFF } from '../../src-daemon/core/interp/layout'

const z3 = useZ3()

const model: EncodeModel = { ctx: 'skb', maxPacket: 64, ctxSize: 192, maps: [] }
const OPTS = { timeoutMs: 60_000 }
const { data: DATA, data_end: END, len: LEN, pkt_type: TYPE, protocol: PROTO } = SK_BUFF

async function check(a: string, b: string): Promise<EquivResult> {
  return checkEquivalence(asm(a), asm(b), model, z3(), OPTS)
}

async function expectEqual(a: string, b: string): Promise<void> {
  const r = await check(a, b)
  expect(
    r,
    JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? `${v}` : v))
  ).toEqual({
    kind: 'equal'
  })
}

/** Expects no answer because the programs call differently (never `equal`). */
async function expectCallsDiffer(a: string, b: string): Promise<void> {
  const r = await check(a, b)
  expect(r.kind).toBe('unknown')
  if (r.kind === 'unknown') expect(r.reason).toMatch(/call helpers outside the model differently/)
}

async function refuted(a: string, b: string): Promise<void> {
  await expectRefuted(z3(), asm(a) as Insn[], asm(b) as Insn[], model, OPTS)
}

/** Calls helper `id` with the argument set-up `args` (r1 is the context, kept in r6). */
const call = (id: number, args: string): string => `r1 = r6\n${args}\ncall ${id}`

/** The reshaping calls, each with its arguments. */
const RESHAPES: readonly [string, string][] = [
  ['skb_change_proto', call(31, 'r2 = 0xdd86\nr3 = 0')],
  ['skb_change_tail', call(38, 'r2 = 40\nr3 = 0')],
  ['skb_adjust_room', call(50, 'r2 = 8\nr3 = 1\nr4 = 0')]
]

/** After a call: r0 = result + first packet byte (or 0x100 when empty) + len + protocol. */
const useAll = `
    r7 = r0
    r2 = *(u32 *)(r6 + ${DATA})
    r3 = *(u32 *)(r6 + ${END})
    r0 = 0x100
    r4 = r2
    r4 += 1
    if r4 > r3 goto skip
    r0 = *(u8 *)(r2 + 0)
  skip:
    r0 += r7
    r1 = *(u32 *)(r6 + ${LEN})
    r0 += r1
    r1 = *(u32 *)(r6 + ${PROTO})
    r0 += r1
    exit`

describe('skb_change_type (exact)', () => {
  it('is equal to itself, and a bad type is -EINVAL without a call', async () => {
    const prog = `r6 = r1\n${call(32, 'r2 = 2')}\nr1 = *(u32 *)(r6 + ${TYPE})\nr0 += r1\nexit`
    await expectEqual(prog, prog)
    await expectEqual(`r6 = r1\n${call(32, 'r2 = 4')}\nexit`, 'r0 = -22\nexit')
  })
  it('another type is refuted (the context differs)', async () => {
    await refuted(`r6 = r1\n${call(32, 'r2 = 1')}\nexit`, `r6 = r1\n${call(32, 'r2 = 2')}\nexit`)
  })
})

describe('skb_pull_data (exact)', () => {
  it('gives 0 up to the packet length, -ENOMEM past it, and keeps the packet', async () => {
    await expectEqual(`r6 = r1\n${call(39, 'r2 = 0')}\nexit`, 'r0 = 0\nexit')
    const computed = `
      r0 = 0
      r1 = *(u32 *)(r1 + ${LEN})
      if r1 >= 20 goto out
      r0 = -12
    out:
      exit`
    await expectEqual(`r6 = r1\n${call(39, 'r2 = 20')}\nexit`, computed)
    await expectEqual(
      `r6 = r1\n${call(39, 'r2 = 20')}\n${useAll}`,
      `r6 = r1\n${call(39, 'r2 = 20')}\n${useAll}`
    )
  })
  it('a wrong result is refuted', async () => {
    await refuted(`r6 = r1\n${call(39, 'r2 = 20')}\nexit`, 'r0 = 0\nexit')
  })
})

describe('skb_change_proto, skb_change_tail, skb_adjust_room (answered)', () => {
  for (const [name, c] of RESHAPES) {
    it(`${name}: equal to itself, using the result, packet, length and protocol after it`, async () => {
      const prog = `r6 = r1\n${c}\n${useAll}`
      await expectEqual(prog, prog)
    })
  }
  it('a write to the packet before the call gets no answer', async () => {
    const write = `
      r6 = r1
      r2 = *(u32 *)(r6 + ${DATA})
      r3 = *(u32 *)(r6 + ${END})
      r4 = r2
      r4 += 1
      if r4 > r3 goto go
      *(u8 *)(r2 + 0) = 7
    go:`
    for (const [, c] of RESHAPES)
      await expectCallsDiffer(`${write}\n${c}\nr0 = 0\nexit`, `r6 = r1\n${c}\nr0 = 0\nexit`)
  })
  it('other arguments get no answer (never equal)', async () => {
    await expectCallsDiffer(
      `r6 = r1\n${call(38, 'r2 = 40\nr3 = 0')}\nr0 = 0\nexit`,
      `r6 = r1\n${call(38, 'r2 = 41\nr3 = 0')}\nr0 = 0\nexit`
    )
    await expectCallsDiffer(
      `r6 = r1\n${call(50, 'r2 = 8\nr3 = 1\nr4 = 0')}\nr0 = 0\nexit`,
      `r6 = r1\n${call(50, 'r2 = 8\nr3 = 1\nr4 = 2')}\nr0 = 0\nexit`
    )
    // A changed context field (the mark) before the call: the call saw another socket buffer.
    await expectCallsDiffer(
      `r6 = r1\n*(u32 *)(r6 + ${SK_BUFF.mark}) = 1\n${call(31, 'r2 = 8\nr3 = 0')}\nr0 = 0\nexit`,
      `r6 = r1\n${call(31, 'r2 = 8\nr3 = 0')}\nr0 = 0\nexit`
    )
  })
  it('optimizations across the call still prove', async () => {
    // A dead stack store and a constant computed before the call.
    await expectEqual(
      `r6 = r1\nr8 = 3\nr8 += 4\n*(u64 *)(r10 - 8) = r8\n${call(38, 'r2 = 40\nr3 = 0')}\nr0 = r8\nexit`,
      `r6 = r1\n${call(38, 'r2 = 40\nr3 = 0')}\nr0 = 7\nexit`
    )
    // The packet after the call read directly or with skb_load_bytes; len is data_end - data.
    const direct = `
      r6 = r1
      ${call(50, 'r2 = 8\nr3 = 1\nr4 = 0')}
      r2 = *(u32 *)(r6 + ${DATA})
      r3 = *(u32 *)(r6 + ${END})
      r0 = 0
      r4 = r2
      r4 += 4
      if r4 > r3 goto out
      r0 = *(u32 *)(r2 + 0)
    out:
      r1 = *(u32 *)(r6 + ${LEN})
      r3 -= r2
      r1 -= r3
      r0 += r1
      exit`
    const helper = `
      r6 = r1
      ${call(50, 'r2 = 8\nr3 = 1\nr4 = 0')}
      r1 = r6
      r2 = 0
      r3 = r10
      r3 += -4
      r4 = 4
      call 26
      r0 = *(u32 *)(r10 - 4)
      exit`
    await expectEqual(direct, helper)
  })
  it('a difference after the call is refuted with the answer as input', async () => {
    const byte = `
      r6 = r1
      ${call(38, 'r2 = 40\nr3 = 0')}
      r2 = *(u32 *)(r6 + ${DATA})
      r3 = *(u32 *)(r6 + ${END})
      r0 = 0
      r4 = r2
      r4 += 1
      if r4 > r3 goto out
      r0 = *(u8 *)(r2 + 0)
    out:
      exit`
    await refuted(byte, `r6 = r1\n${call(38, 'r2 = 40\nr3 = 0')}\nr0 = 0\nexit`)
    await refuted(
      `r6 = r1\n${call(31, 'r2 = 8\nr3 = 0')}\nr0 = *(u32 *)(r6 + ${PROTO})\nexit`,
      `r6 = r1\n${call(31, 'r2 = 8\nr3 = 0')}\nr0 = 0x86dd\nexit`
    )
    await refuted(
      `r6 = r1\n${call(50, 'r2 = 8\nr3 = 1\nr4 = 0')}\nexit`,
      `r6 = r1\n${call(50, 'r2 = 8\nr3 = 1\nr4 = 0')}\nr0 = 0\nexit`
    )
  })
  it('the packet before the call is not the packet after it (refuted)', async () => {
    const read = `
      r2 = *(u32 *)(r6 + ${DATA})
      r3 = *(u32 *)(r6 + ${END})
      r0 = 0
      r4 = r2
      r4 += 1
      if r4 > r3 goto out
      r0 = *(u8 *)(r2 + 0)
    out:`
    await refuted(
      `r6 = r1\n${read}\nr8 = r0\n${call(31, 'r2 = 8\nr3 = 0')}\nr0 = r8\nexit`,
      `r6 = r1\n${call(31, 'r2 = 8\nr3 = 0')}\n${read}\nexit`
    )
  })
  it('a packet may grow past the largest input packet (refuted when a program looks)', async () => {
    const longer = `
      r6 = r1
      ${call(38, 'r2 = 100\nr3 = 0')}
      r2 = *(u32 *)(r6 + ${DATA})
      r3 = *(u32 *)(r6 + ${END})
      r3 -= r2
      r0 = 0
      if r3 <= 64 goto out
      r0 = 1
    out:
      exit`
    await refuted(longer, `r6 = r1\n${call(38, 'r2 = 100\nr3 = 0')}\nr0 = 0\nexit`)
  })
  it('a packet write after the call that one program leaves out is refuted', async () => {
    const after = (v: number): string => `
      r6 = r1
      ${call(38, 'r2 = 40\nr3 = 0')}
      r2 = *(u32 *)(r6 + ${DATA})
      r3 = *(u32 *)(r6 + ${END})
      r4 = r2
      r4 += 1
      if r4 > r3 goto out
      *(u8 *)(r2 + 0) = ${v}
    out:
      r0 = 0
      exit`
    await refuted(after(1), after(2))
  })
})
