/**
 * @fileoverview Property: for random calls of the packet helpers (checksums, csum_diff,
 * skb_load/store_bytes, skb_change_type, skb_pull_data, xdp_adjust_*) on random packets, the encoding evaluated at the input
 * gives what the interpreter computes: r0, the packet bounds and every written packet byte.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { assemble } from '../../src-daemon/core/isa/asm'
import { decodeProgram } from '../../src-daemon/core/isa/decode'
import { makeLayout } from '../../src-daemon/core/smt/enc-equiv'
import { encodeExecution } from '../../src-daemon/core/smt/enc-exec'
import { evalTerm, freeVars } from '../../src-daemon/core/smt/terms'
import type { Term, TermValue } from '../../src-daemon/core/smt/term'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'
import { runProgram } from '../../src-daemon/core/smt/equiv'

const RUNS = Number(process.env['SUMMIT_PROPERTY_RUNS'] ?? 300)
const SEED = Number(process.env['SUMMIT_PROPERTY_SEED'] ?? 20261126)

function completeEnv(env: Map<string, TermValue>, terms: readonly Term[]): void {
  for (const v of freeVars(terms))
    if (!env.has(v.name)) env.set(v.name, v.sort === 'bool' ? false : 0n)
}

/** Encodes `text`, runs it on `packet` (and `ctx`), and compares r0, bounds and written bytes. */
function agrees(
  text: string,
  model: EncodeModel,
  packet: Uint8Array,
  noMeta = false,
  ctx?: Uint8Array
): void {
  const r = assemble(text, 'llvm')
  if (!r.ok) throw new Error(r.error.message)
  const decoded = decodeProgram(r.value)
  if (!decoded.ok) throw new Error(decoded.error.message)
  const { layout } = makeLayout(model)
  const enc = encodeExecution(decoded.value, model, layout, 'A')
  expect(enc.beyond, text).toEqual([])
  const env = new Map<string, TermValue>([
    ['pkt_len', BigInt(packet.length)],
    ['env_xdp_no_meta', noMeta]
  ])
  packet.forEach((b, o) => env.set(`in_pkt_${o.toString(16)}`, BigInt(b)))
  ctx?.forEach((b, o) => env.set(`in_ctx_${o.toString(16)}`, BigInt(b)))
  // Reads at computed places have their own input variables: give them the packet's byte there
  // (what the shared-input consistency constraints force); the headroom and tailroom are zeros.
  // Reading a written place below can create more of them, so this runs before every evaluation.
  const fillReads = (): void => {
    for (const read of layout.inputs.namedBytes('pkt')) {
      const name = (read.value as { name?: string }).name ?? ''
      if (env.has(name)) continue
      const place = read.place[0]!
      completeEnv(env, [place])
      const o = Number(BigInt.asIntN(64, evalTerm(place, env) as bigint))
      env.set(name, BigInt(packet[o] ?? 0))
    }
  }
  const result = runProgram(r.value, model, { packet, xdpNoMeta: noMeta, ...(ctx ? { ctx } : {}) })
  expect(result.kind, text).toBe('exit')
  if (result.kind !== 'exit') return
  const taken = enc.exits.filter((x) => {
    fillReads()
    completeEnv(env, [x.cond])
    return evalTerm(x.cond, env) === true
  })
  expect(taken, text).toHaveLength(1)
  const exit = taken[0]!
  const at = (t: Term): bigint => {
    fillReads()
    completeEnv(env, [t])
    return evalTerm(t, env) as bigint
  }
  expect(at(exit.r0), text).toBe(result.r0)
  const data = BigInt.asIntN(64, at(exit.pkt.data))
  const end = BigInt.asIntN(64, at(exit.pkt.end))
  const meta = BigInt.asIntN(64, at(exit.pkt.meta))
  expect(Number(data), text).toBe(result.dataOffset)
  expect(Number(end - data), text).toBe(result.packet.length)
  expect(Number(data - meta), text).toBe(result.meta.length)
  for (const place of enc.mem.writtenPlaces('pkt')) {
    const o = BigInt.asIntN(64, at(place[0]!))
    if (o < data || o >= end) continue
    const byte = enc.mem.readByte('pkt', place)
    expect(at(byte), `${text}\nbyte ${o}`).toBe(BigInt(result.packet[Number(o - data)]!))
  }
}

const tc: EncodeModel = { ctx: 'skb', maxPacket: 64, ctxSize: 192, maps: [] }
const xdp: EncodeModel = { ctx: 'xdp', maxPacket: 64, ctxSize: 24, maps: [] }
const packetArb = fc.uint8Array({ minLength: 0, maxLength: 64 })
const u32 = fc.oneof(
  fc.constantFrom(0, 1, 0xffff, 0xfffe, 0x10000, 0xffffffff, 0x80000000),
  fc.nat({ max: 0xffffffff })
)

describe('helper encodings agree with the interpreter', () => {
  it('l3/l4_csum_replace on random fields, values and flags', () => {
    fc.assert(
      fc.property(
        packetArb,
        fc.constantFrom(10, 11),
        fc.integer({ min: 0, max: 70 }),
        u32,
        u32,
        fc.constantFrom(0, 2, 4, 3, 0x12, 0x22, 0x24, 0x20, 0x100, 0x60, 0x62, 0x64, 0x42),
        (packet, helper, off, from, to, flags) => {
          agrees(
            `r2 = ${off}\nr3 = ${from} ll\nr4 = ${to} ll\nr5 = ${flags}\ncall ${helper}\nexit`,
            tc,
            packet
          )
        }
      ),
      { numRuns: RUNS, seed: SEED }
    )
  })

  it('l3/l4_csum_replace with flags computed from the packet length (Cilium ors the size in)', () => {
    fc.assert(
      fc.property(
        packetArb,
        fc.constantFrom(10, 11),
        fc.integer({ min: 0, max: 70 }),
        fc.constantFrom(0, 1, 0x1234),
        u32,
        fc.constantFrom(0x6, 0x66, 0x7f, 0x106),
        fc.constantFrom(0, 0x20, 0x40, 0x10),
        (packet, helper, off, from, to, mask, base) => {
          agrees(
            `r2 = ${off}\nr3 = ${from}\nr4 = ${to} ll\nr5 = *(u32 *)(r1 + 0)\nr5 &= ${mask}\nr5 |= ${base}\ncall ${helper}\nexit`,
            tc,
            packet
          )
        }
      ),
      { numRuns: RUNS, seed: SEED }
    )
  })

  it('csum_diff over random words and seeds', () => {
    fc.assert(
      fc.property(
        packetArb,
        fc.array(u32, { minLength: 4, maxLength: 4 }),
        fc.constantFrom(0, 4, 8, 3),
        fc.constantFrom(0, 4, 8),
        u32,
        (packet, words, fs, ts, seed) => {
          const stores = words.map((w, i) => `r1 = ${w} ll\n*(u32 *)(r10 - ${16 - 4 * i}) = r1`)
          agrees(
            `${stores.join('\n')}\nr1 = r10\nr1 += -16\nr2 = ${fs}\nr3 = r10\nr3 += -8\nr4 = ${ts}\nr5 = ${seed} ll\ncall 28\nexit`,
            tc,
            packet
          )
        }
      ),
      { numRuns: RUNS, seed: SEED }
    )
  })

  it('skb_load_bytes and skb_store_bytes at random offsets, lengths and flags', () => {
    fc.assert(
      fc.property(
        packetArb,
        fc.boolean(),
        fc.integer({ min: 0, max: 70 }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(0, 1, 2, 4),
        u32,
        (packet, store, off, len, flags, value) => {
          const text = store
            ? `r1 = ${value} ll\n*(u64 *)(r10 - 8) = r1\nr1 = r6\nr2 = ${off}\nr3 = r10\nr3 += -8\nr4 = ${len}\nr5 = ${flags}\ncall 9\nexit`
            : `r2 = ${off}\nr3 = r10\nr3 += -8\nr4 = ${len}\ncall 26\nr1 = *(u64 *)(r10 - 8)\nr0 ^= r1\nexit`
          // The load reads 8 stack bytes: initialise them first.
          agrees(`r6 = r1\nr1 = 0\n*(u64 *)(r10 - 8) = r1\nr1 = r6\n${text}`, tc, packet)
        }
      ),
      { numRuns: RUNS, seed: SEED }
    )
  })

  it('skb_change_type and skb_pull_data sequences on random packets and packet types', () => {
    const arg = fc.oneof(
      fc.constantFrom(0, 1, 2, 3, 4, 7, 13, 14, 63, 64, 65, '0xffffffff ll'),
      fc.constantFrom('1 ll\nr2 <<= 32', '1 ll\nr2 <<= 32\nr2 |= 3', '-1')
    )
    fc.assert(
      fc.property(
        packetArb,
        fc.constantFrom(0, 1, 3, 4, 5, 7, 0x100),
        fc.array(fc.tuple(fc.constantFrom(32, 39), arg), { minLength: 1, maxLength: 4 }),
        (packet, type, calls) => {
          const ctx = new Uint8Array(192)
          new DataView(ctx.buffer).setUint32(4, type, true)
          // r7 sums the results, r8 the packet types after each call.
          const body = calls
            .map(
              ([id, a]) =>
                `r1 = r6\nr2 = ${a}\ncall ${id}\nr7 += r0\nr1 = *(u32 *)(r6 + 4)\nr8 += r1`
            )
            .join('\n')
          const text = `r6 = r1\nr7 = 0\nr8 = 0\n${body}\nr8 <<= 32\nr0 = r7\nr0 ^= r8\nexit`
          agrees(text, tc, packet, false, ctx)
        }
      ),
      { numRuns: RUNS, seed: SEED }
    )
  })

  it('xdp_adjust_head, _meta and _tail sequences on random packets', () => {
    const delta = fc.constantFrom(-300, -216, -200, -32, -8, -4, -1, 0, 1, 4, 8, 14, 40, 100)
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 64 }),
        fc.array(fc.tuple(fc.constantFrom(44, 54, 65), delta), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (packet, calls, noMeta) => {
          // r7 sums the results, r8 the distances data_meta - data after each call.
          const body = calls
            .map(([id, d]) =>
              [
                `r1 = r6\nr2 = ${d}\ncall ${id}\nr7 += r0`,
                'r1 = *(u32 *)(r6 + 8)\nr2 = *(u32 *)(r6 + 0)\nr1 -= r2\nr8 += r1'
              ].join('\n')
            )
            .join('\n')
          const text = `r6 = r1\nr7 = 0\nr8 = 0\n${body}\nr8 <<= 32\nr0 = r7\nr0 ^= r8\nexit`
          agrees(text, xdp, packet, noMeta)
        }
      ),
      { numRuns: RUNS, seed: SEED }
    )
  })
})
