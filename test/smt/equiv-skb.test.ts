/**
 * @fileoverview Equivalence of tc programs using the socket-buffer helpers: skb_load_bytes and
 * skb_store_bytes against direct packet access, the checksum helpers' ones'-complement
 * arithmetic (including its two zeros) and csum_diff. Refutations are confirmed by the
 * interpreter.
 */
import { describe, expect, it } from 'vitest'
import { asm, expectRefuted, useZ3, type Refutation } from './prover-support'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { checkEquivalence } from '../../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'
import { SK_BUFF } from '../../src-daemon/core/interp/layout'

const z3 = useZ3()

const model: EncodeModel = { ctx: 'skb', maxPacket: 64, ctxSize: 192, maps: [] }
const OPTS = { timeoutMs: 60_000 }
const DATA = SK_BUFF.data
const END = SK_BUFF.data_end

async function refuted(a: Insn[], b: Insn[]): Promise<Refutation> {
  return expectRefuted(z3(), a, b, model, OPTS)
}

/** Reads the 32-bit word at packet offset `off` through direct access (0 when out of range). */
const directLoad = (off: number): Insn[] =>
  asm(`
    r0 = 0
    r2 = *(u32 *)(r1 + ${DATA})
    r3 = *(u32 *)(r1 + ${END})
    r4 = r2
    r4 += ${off + 4}
    if r4 > r3 goto out
    r0 = *(u32 *)(r2 + ${off})
  out:
    exit`)

/** Reads the 32-bit word at packet offset `off` with skb_load_bytes (zero-filled on failure). */
const helperLoad = (off: number): Insn[] =>
  asm(`
    r2 = ${off}
    r3 = r10
    r3 += -4
    r4 = 4
    call 26
    r0 = *(u32 *)(r10 - 4)
    exit`)

/** Writes the halfword `value` at packet offset 0 with skb_store_bytes. */
const helperStore = (value: number): Insn[] =>
  asm(`
    *(u16 *)(r10 - 2) = ${value}
    r2 = 0
    r3 = r10
    r3 += -2
    r4 = 2
    r5 = 0
    call 9
    r0 = 0
    exit`)

/** Replaces 16-bit value `from` by `to` in the checksum at packet offset 24 with `helper` (10 or 11). */
const replace = (helper: number, from: string, to: string, flags = 2): string => `
    r1 = r6
    r2 = 24
    r3 = ${from}
    r4 = ${to}
    r5 = ${flags}
    call ${helper}`

describe('skb_load_bytes and skb_store_bytes', () => {
  it('proves skb_load_bytes equal to a bounds-checked direct load', async () => {
    expect(await checkEquivalence(helperLoad(12), directLoad(12), model, z3(), OPTS)).toEqual({
      kind: 'equal'
    })
    await refuted(helperLoad(12), directLoad(13))
  })

  it('proves skb_store_bytes equal to a bounds-checked direct store', async () => {
    const direct = asm(`
      r2 = *(u32 *)(r1 + ${DATA})
      r3 = *(u32 *)(r1 + ${END})
      r4 = r2
      r4 += 2
      if r4 > r3 goto out
      *(u16 *)(r2 + 0) = 772
    out:
      r0 = 0
      exit`)
    expect(await checkEquivalence(helperStore(772), direct, model, z3(), OPTS)).toEqual({
      kind: 'equal'
    })
    await refuted(helperStore(773), direct)
  })
})

describe('checksum helpers', () => {
  it('proves l3 and l4 replacement of a 2-byte field the same arithmetic', async () => {
    const l3 = asm(`r6 = r1\n${replace(10, 'r1', '7')}\nr0 = 0\nexit`)
    const l4 = asm(`r6 = r1\n${replace(11, 'r1', '7')}\nr0 = 0\nexit`)
    expect(await checkEquivalence(l3, l4, model, z3(), OPTS)).toEqual({ kind: 'equal' })
  })

  it('refutes "replacing there and back is the identity": ones\' complement has two zeros', async () => {
    const thereAndBack = asm(`
      r6 = r1
      ${replace(10, '1', '2')}
      ${replace(10, '2', '1')}
      r0 = 0
      exit`)
    const r = await refuted(thereAndBack, asm('r0 = 0\nexit'))
    // Only a checksum field holding 0x0000 or 0xffff comes back different.
    const pkt = r.input.packet ?? new Uint8Array(0)
    const field = (pkt[24] ?? 0) | ((pkt[25] ?? 0) << 8)
    expect([0, 0xffff]).toContain(field)
  })

  it('keeps a zero checksum with BPF_F_MARK_MANGLED_0 (l4 only)', async () => {
    const mangled = asm(`r6 = r1\n${replace(11, '1', '2', 0x22)}\nr0 = 0\nexit`)
    const plain = asm(`r6 = r1\n${replace(11, '1', '2', 0x2)}\nr0 = 0\nexit`)
    const r = await refuted(mangled, plain)
    // They differ only where the field was 0 (left alone) or the plain result is 0 (→ 0xffff).
    const field = (b: Uint8Array | undefined): number => (b?.[24] ?? 0) | ((b?.[25] ?? 0) << 8)
    const after = r.resultB.kind === 'exit' ? field(r.resultB.packet) : -1
    expect(field(r.input.packet) === 0 || after === 0).toBe(true)
  })

  it('proves that BPF_F_MARK_MANGLED_0 never turns a checksum into 0', async () => {
    /** Replaces 1 by 2 with `flags`; r0 = `mark` when a non-zero checksum field became 0. */
    const becameZero = (flags: number, mark = 1): Insn[] =>
      asm(`
        r6 = r1
        r0 = 0
        r2 = *(u32 *)(r1 + ${DATA})
        r3 = *(u32 *)(r1 + ${END})
        r2 += 26
        if r2 > r3 goto out
        r2 = *(u32 *)(r6 + ${DATA})
        r7 = *(u16 *)(r2 + 24)
        ${replace(11, '1', '2', flags)}
        r0 = 0
        if r7 == 0 goto out
        r2 = *(u32 *)(r6 + ${DATA})
        r3 = *(u32 *)(r6 + ${END})
        r4 = r2
        r4 += 26
        if r4 > r3 goto out
        r1 = *(u16 *)(r2 + 24)
        if r1 != 0 goto out
        r0 = ${mark}
      out:
        exit`)
    const r = await checkEquivalence(becameZero(0x22), becameZero(0x22, 0), model, z3(), OPTS)
    expect(r).toEqual({ kind: 'equal' })
    await refuted(becameZero(0x2), becameZero(0x2, 0))
  })

  it('proves csum_diff over one word with seed 0 equal to the word itself', async () => {
    const diff = (seed: number): Insn[] =>
      asm(`
        r2 = *(u32 *)(r1 + ${SK_BUFF.mark})
        *(u32 *)(r10 - 4) = r2
        r1 = 0
        r2 = 0
        r3 = r10
        r3 += -4
        r4 = 4
        r5 = ${seed}
        call 28
        exit`)
    const word = asm(`r0 = *(u32 *)(r1 + ${SK_BUFF.mark})\nexit`)
    expect(await checkEquivalence(diff(0), word, model, z3(), OPTS)).toEqual({ kind: 'equal' })
    await refuted(diff(1), word)
  })
})
