/**
 * @fileoverview Equivalence of programs that write ring buffers: records are effects, the ring
 * may start partly full (so output and reserve can fail), reserved records start zeroed, and the
 * space in use at the end is observable. Refutations are confirmed by the interpreter.
 */
import { describe, expect, it } from 'vitest'
import { asm, expectRefuted, useZ3, type Refutation } from './prover-support'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { checkEquivalence } from '../../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'
import { loadInput, selectPrograms } from '../../src-daemon/engine/program/load'
import { runnable } from '../../src-daemon/engine/program/program-model'

const z3 = useZ3()

const RING = { name: 'events', type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 }
const model: EncodeModel = { ctx: 'xdp', maxPacket: 64, ctxSize: 24, maps: [RING] }
const OPTS = { timeoutMs: 60_000 }

async function refuted(a: Insn[], b: Insn[]): Promise<Refutation> {
  return expectRefuted(z3(), a, b, model, OPTS)
}

/** Outputs an 8-byte record (the packet length, then `tag`) built by `store`; `tail` ends it. */
function output(store: string, tail = 'r0 = 2'): Insn[] {
  return asm(`
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r3 -= r2
    ${store}
    ld_pseudo r1, 1, 0
    r2 = r10
    r2 += -8
    r3 = 8
    r4 = 0
    call 130
    ${tail}
    exit`)
}

/** Reserves a `size`-byte record, fills it by `fill` (r0 = record, r7 = packet length) and ends with `commit`. */
function reserved(fill: string, commit = 'call 132', size = 8): Insn[] {
  return asm(`
    r2 = *(u32 *)(r1 + 0)
    r7 = *(u32 *)(r1 + 4)
    r7 -= r2
    ld_pseudo r1, 1, 0
    r2 = ${size}
    r3 = 0
    call 131
    if r0 == 0 goto out
    ${fill}
    r1 = r0
    r2 = 0
    ${commit}
  out:
    r0 = 2
    exit`)
}

describe('ringbuf_output', () => {
  const words = output('*(u32 *)(r10 - 8) = r3\n*(u32 *)(r10 - 4) = 7')

  it('proves two stores equal to one doubleword store of the same record', async () => {
    const merged = output('r4 = 7\nr4 <<= 32\nr3 |= r4\n*(u64 *)(r10 - 8) = r3')
    expect(await checkEquivalence(words, merged, model, z3(), OPTS)).toEqual({ kind: 'equal' })
    await refuted(words, output('*(u32 *)(r10 - 8) = r3\n*(u32 *)(r10 - 4) = 8'))
  })

  it('refutes ignoring the result: a ring that starts almost full makes the output fail', async () => {
    const checked = output('*(u64 *)(r10 - 8) = r3', 'r0 += 2')
    const r = await refuted(checked, output('*(u64 *)(r10 - 8) = r3'))
    const used = r.input.ringUsed?.[0] ?? 0
    expect(used).toBeGreaterThan(4096 - 16)
  })

  it('refutes different wake-up flags', async () => {
    /** Outputs r1 (8 bytes) with wake-up `flags`. */
    const withFlags = (flags: number): Insn[] =>
      asm(`
        *(u64 *)(r10 - 8) = r1
        ld_pseudo r1, 1, 0
        r2 = r10
        r2 += -8
        r3 = 8
        r4 = ${flags}
        call 130
        r0 = 2
        exit`)
    const noWakeup = withFlags(1)
    const wakeup = withFlags(2)
    await refuted(noWakeup, wakeup)
  })
})

describe('ringbuf_reserve, submit and discard', () => {
  it('proves a reserved, filled and submitted record equal to the same record output', async () => {
    const viaReserve = reserved('*(u32 *)(r0 + 0) = r7\n*(u32 *)(r0 + 4) = 7')
    const viaOutput = output('*(u32 *)(r10 - 8) = r3\n*(u32 *)(r10 - 4) = 7')
    expect(await checkEquivalence(viaReserve, viaOutput, model, z3(), OPTS)).toEqual({
      kind: 'equal'
    })
  })

  it('proves that a reserved record starts zeroed', async () => {
    const partial = reserved('*(u32 *)(r0 + 0) = r7')
    const explicit = reserved('*(u32 *)(r0 + 0) = r7\n*(u32 *)(r0 + 4) = 0')
    expect(await checkEquivalence(partial, explicit, model, z3(), OPTS)).toEqual({ kind: 'equal' })
    await refuted(partial, reserved('*(u32 *)(r0 + 0) = r7\n*(u32 *)(r0 + 4) = 1'))
  })

  it('refutes submit against discard, and a discarded record against no record (it takes space)', async () => {
    const submitted = reserved('*(u64 *)(r0 + 0) = r7')
    const discarded = reserved('*(u64 *)(r0 + 0) = r7', 'call 133')
    await refuted(submitted, discarded)
    const r = await refuted(discarded, asm('r0 = 2\nexit'))
    if (r.resultA.kind === 'exit' && r.resultB.kind === 'exit')
      expect(r.resultA.ringUsed[0]).not.toBe(r.resultB.ringUsed[0])
  })
})

describe('records larger than 512 bytes (eunomia-tutorial profile: 2,088)', () => {
  const big: EncodeModel = { ...model, maps: [{ ...RING, maxEntries: 16384 }] }
  /** Reserves 2,088 bytes and writes the packet length at `at` (and 7 at 2,080). */
  const large = (at: number, extra = ''): Insn[] =>
    reserved(
      `*(u32 *)(r0 + ${at}) = r7\nr8 = 7\n*(u64 *)(r0 + 2080) = r8\n${extra}`,
      'call 132',
      2088
    )

  it('proves a 2,088-byte record equal to itself and refutes one byte moved', async () => {
    expect((await checkEquivalence(large(1000), large(1000), big, z3(), OPTS)).kind).toBe('equal')
    // Storing zero where the record is already zero changes nothing.
    expect(
      (
        await checkEquivalence(
          large(1000),
          large(1000, 'r9 = 0\n*(u64 *)(r0 + 16) = r9'),
          big,
          z3(),
          OPTS
        )
      ).kind
    ).toBe('equal')
    await expectRefuted(z3(), large(1000), large(1004), big, OPTS)
  })
})

describe('the ringbuf_events fixture', () => {
  it('encodes both programs completely: each is proven equal to itself', async () => {
    const input = loadInput('test/fixtures/obj/ringbuf_events.o')
    const programs = selectPrograms(input, undefined)
    expect(programs.map((p) => p.name).sort()).toEqual([
      'xdp_ringbuf_output',
      'xdp_ringbuf_reserve'
    ])
    for (const p of programs) {
      const r = runnable(input, p)
      const answer = await checkEquivalence(r.slots, r.slots, r.model, z3(), OPTS)
      expect(answer, p.name).toEqual({ kind: 'equal' })
    }
  })
})
