/**
 * @fileoverview Property: for random calls of helpers outside the model with random answers
 * (results in and out of the helper's range, random bytes, random kept bytes), the encoding
 * evaluated at the input gives what the interpreter computes: r0 and every byte of the buffer
 * (a map value the helper writes into), and the same recorded calls. Likewise for the tc helpers
 * that reshape the packet (skb_change_proto, skb_change_tail, skb_adjust_room): r0, the packet
 * and context after the run, and the recorded calls.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { assemble } from '../../src-daemon/core/isa/asm'
import { decodeProgram } from '../../src-daemon/core/isa/decode'
import type { HelperResponse } from '../../src-daemon/core/interp/types'
import { makeLayout } from '../../src-daemon/core/smt/enc-equiv'
import { encodeExecution } from '../../src-daemon/core/smt/enc-exec'
import { bv, evalTerm, freeVars } from '../../src-daemon/core/smt/terms'
import type { Term, TermValue } from '../../src-daemon/core/smt/term'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'
import { runProgram } from '../../src-daemon/core/smt/equiv'
import { RESHAPE_STRIDE } from '../../src-daemon/core/smt/enc-skb-change'
import { RESHAPED_FIELDS } from '../../src-daemon/core/interp/skb-reshape'

const RUNS = Number(process.env['SUMMIT_PROPERTY_RUNS'] ?? 300)
const SEED = Number(process.env['SUMMIT_PROPERTY_SEED'] ?? 20261126)

const VALUE = 24
const model: EncodeModel = {
  ctx: 'tracepoint',
  maxPacket: 0,
  ctxSize: 32,
  maps: [{ type: 2, keySize: 4, valueSize: VALUE, maxEntries: 2 }]
}

/** Helper calls writing into the map value at r7 (`n` bytes), with their argument setup. */
const CALLS: readonly ((n: number) => string)[] = [
  (n) => `r1 = r7\nr2 = ${n}\nr3 = *(u64 *)(r6 + 8)\ncall 113`,
  (n) => `r1 = r7\nr2 = ${n}\nr3 = *(u64 *)(r6 + 8)\ncall 4`,
  (n) => `r1 = r7\nr2 = ${n}\nr3 = *(u64 *)(r6 + 8)\ncall 114`,
  (n) => `r1 = r7\nr2 = ${n}\nr3 = *(u64 *)(r6 + 8)\ncall 45`,
  (n) => `r1 = r7\nr2 = ${n}\ncall 16`,
  (n) => `r1 = r6\nr2 = r7\nr3 = ${n}\nr4 = 0\ncall 67`,
  (n) => `r1 = r6\nr2 = r7\nr3 = ${n}\nr4 = 0\ncall 69`,
  (n) => `r1 = 5\nr2 = 6\nr3 = r7\nr4 = ${n}\ncall 120`,
  // The string form reading the program's own stack (an exact copy, no answer used).
  (n) => `r3 = r10\nr3 += -40\nr1 = r7\nr2 = ${n}\ncall 115`
]

function program(call: string, fill: bigint, stack: bigint): string {
  return `
    r6 = r1
    r1 = ${stack} ll
    *(u64 *)(r10 - 40) = r1
    *(u64 *)(r10 - 32) = r1
    r1 = 0x00ffffff
    *(u64 *)(r10 - 24) = r1
    r1 = 0
    *(u32 *)(r10 - 4) = r1
    r2 = r10
    r2 += -4
    ld_pseudo r1, 1, 0
    call 1
    if r0 == 0 goto +${7 + call.split('\n').length}
    r7 = r0
    r1 = ${fill} ll
    *(u64 *)(r7 + 0) = r1
    *(u64 *)(r7 + 8) = r1
    *(u64 *)(r7 + 16) = r1
    ${call}
    exit
    r0 = 99
    exit`
}

/** Fills unset variables: region bases far apart above 2^32 (as the layout requires), others 0. */
function completeEnv(env: Map<string, TermValue>, terms: readonly Term[]): void {
  for (const v of freeVars(terms)) {
    if (env.has(v.name)) continue
    const region = v.name.startsWith('base_') ? BigInt(env.size + 1) << 36n : undefined
    env.set(v.name, v.sort === 'bool' ? false : (region ?? 0n))
  }
}

/** Runs and encodes; compares r0, the map value bytes and the recorded calls. */
function agrees(text: string, ctx: Uint8Array, answer: HelperResponse): void {
  const r = assemble(text, 'llvm')
  if (!r.ok) throw new Error(r.error.message)
  const decoded = decodeProgram(r.value)
  if (!decoded.ok) throw new Error(decoded.error.message)
  const { layout } = makeLayout(model)
  const enc = encodeExecution(decoded.value, model, layout, 'A')
  expect(enc.beyond, text).toEqual([])
  const env = new Map<string, TermValue>([['call0_r0', BigInt.asUintN(64, answer.r0)]])
  ctx.forEach((b, o) => env.set(`in_ctx_${o.toString(16)}`, BigInt(b)))
  const data = answer.data ?? new Uint8Array(0)
  for (let i = 0; i < VALUE; i++) {
    env.set(`call0_d${i}`, BigInt(data[i] ?? 0))
    env.set(`call0_k${i}`, answer.keep?.includes(i) ?? false)
  }
  const result = runProgram(r.value, model, { ctx, calls: [answer] })
  expect(result.kind, text).toBe('exit')
  if (result.kind !== 'exit') return
  const at = (t: Term): TermValue => {
    completeEnv(env, [t])
    return evalTerm(t, env)
  }
  const taken = enc.exits.filter((x) => at(x.cond) === true)
  expect(taken, text).toHaveLength(1)
  expect(at(taken[0]!.r0), text).toBe(result.r0)
  const value = result.maps[0]!.entries[0]!.value
  const key = enc.mem.writtenPlaces('map0')[0]![0]!
  for (let o = 0; o < VALUE; o++) {
    const byte = enc.mem.readByte('map0', [key, bv(o, 64)])
    expect(at(byte), `${text}\nbyte ${o}`).toBe(BigInt(value[o]!))
  }
  const calls = result.outputs.filter((e) => e.kind === 'helper_call')
  const made = enc.calls.filter((c) => at(c.cond) === true)
  expect(made.length, text).toBe(calls.length)
  made.forEach((c, i) => {
    const e = calls[i]
    if (e?.kind !== 'helper_call') return
    expect(c.kind).toBe(`helper${e.id}`)
    // Recorded values: the interpreter's argument values, then (in the encoding) the effects
    // before the call; bytes read come last in both.
    expect(c.args.slice(0, e.args.length).map(at), text).toEqual(e.args)
  })
}

const answerArb = fc.record({
  r0: fc.oneof(
    fc.constantFrom(0n, 1n, 3n, 8n, 16n, 24n, 25n, 255n, 256n, -1n, -14n, -4095n, -4096n),
    fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })
  ),
  data: fc.uint8Array({ minLength: 0, maxLength: VALUE }),
  keep: fc.uniqueArray(fc.nat({ max: VALUE - 1 }), { maxLength: 6 })
})

describe('opaque helper encodings agree with the interpreter', () => {
  it('random helpers, sizes and answers', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: CALLS.length - 1 }),
        fc.integer({ min: 0, max: VALUE }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        answerArb,
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (which, n, ctx, answer, fill, stack) => {
          agrees(program(CALLS[which]!(n), fill, stack), ctx, answer)
        }
      ),
      { numRuns: RUNS, seed: SEED }
    )
  })
})

const tc: EncodeModel = { ctx: 'skb', maxPacket: 64, ctxSize: 192, maps: [] }

/** Reshaping tc helper calls (skb_change_proto, skb_change_tail, skb_adjust_room) with their arguments. */
const RESHAPES: readonly string[] = [
  'r2 = 0xdd86\nr3 = 0\ncall 31',
  'r2 = 40\nr3 = 0\ncall 38',
  'r2 = -8\nr3 = 1\nr4 = 0\ncall 50',
  'r2 = 20\nr3 = 0\nr4 = 2\ncall 50'
]

/**
 * Runs and encodes a program making the reshaping calls `which` (with a write of packet byte 0
 * before each when the packet has one) on `packet` and `ctx` with `answers`; compares r0, the
 * packet after the run, the context after the run and the recorded calls (arguments, context
 * and packet bytes).
 */
function reshapeAgrees(
  which: readonly number[],
  packet: Uint8Array,
  ctx: Uint8Array,
  answers: readonly HelperResponse[]
): void {
  const body = which
    .map((w, k) =>
      [
        'r2 = *(u32 *)(r6 + 76)\nr3 = *(u32 *)(r6 + 80)\nr4 = r2\nr4 += 1',
        `if r4 > r3 goto +1\n*(u8 *)(r2 + 0) = ${k + 1}`,
        `r1 = r6\n${RESHAPES[w]!}\nr7 ^= r0`,
        'r1 = *(u32 *)(r6 + 0)\nr7 += r1\nr1 = *(u32 *)(r6 + 16)\nr7 += r1'
      ].join('\n')
    )
    .join('\n')
  const text = `r6 = r1\nr7 = 0\n${body}\nr0 = r7\nexit`
  const r = assemble(text, 'llvm')
  if (!r.ok) throw new Error(r.error.message)
  const decoded = decodeProgram(r.value)
  if (!decoded.ok) throw new Error(decoded.error.message)
  const { layout } = makeLayout(tc)
  const enc = encodeExecution(decoded.value, tc, layout, 'A')
  expect(enc.beyond, text).toEqual([])
  const env = new Map<string, TermValue>([['pkt_len', BigInt(packet.length)]])
  ctx.forEach((b, o) => env.set(`in_ctx_${o.toString(16)}`, BigInt(b)))
  answers.forEach((a, k) => {
    env.set(`call${k}_r0`, BigInt.asUintN(64, a.r0))
    env.set(`call${k}_len`, BigInt(a.packet?.length ?? 0))
    RESHAPED_FIELDS.forEach((f, i) =>
      env.set(`call${k}_f${i}`, BigInt((a.fields?.[i] ?? 0) >>> 0) & ((1n << BigInt(f.bits)) - 1n))
    )
  })
  // The packet region: the input packet at offsets 0.., answer k's packet at (k + 1) * stride.
  const byteAt = (o: number): number => {
    const k = Math.floor(o / RESHAPE_STRIDE) - 1
    return k < 0 ? (packet[o] ?? 0) : (answers[k]?.packet?.[o % RESHAPE_STRIDE] ?? 0)
  }
  const at = (t: Term): TermValue => {
    for (const read of layout.inputs.namedBytes('pkt')) {
      const name = (read.value as { name?: string }).name ?? ''
      if (env.has(name)) continue
      completeEnv(env, [read.place[0]!])
      env.set(name, BigInt(byteAt(Number(evalTerm(read.place[0]!, env) as bigint))))
    }
    completeEnv(env, [t])
    return evalTerm(t, env)
  }
  const result = runProgram(r.value, tc, { packet, ctx, calls: answers })
  expect(result.kind, text).toBe('exit')
  if (result.kind !== 'exit') return
  const taken = enc.exits.filter((x) => at(x.cond) === true)
  expect(taken, text).toHaveLength(1)
  const exit = taken[0]!
  expect(at(exit.r0), text).toBe(result.r0)
  const data = at(exit.pkt.data) as bigint
  expect(Number((at(exit.pkt.end) as bigint) - data), text).toBe(result.packet.length)
  result.packet.forEach((b, i) => {
    const byte = enc.mem.readByte('pkt', [bv(data + BigInt(i), 64)])
    expect(at(byte), `${text}\npacket byte ${i}`).toBe(BigInt(b))
  })
  result.ctx.forEach((b, o) => {
    if (o >= 76 && o < 84) return // data and data_end read as pointers
    expect(at(enc.mem.readByte('ctx', [bv(o, 64)])), `${text}\nctx byte ${o}`).toBe(BigInt(b))
  })
  const calls = result.outputs.filter((e) => e.kind === 'helper_call')
  const made = enc.calls.filter((c) => at(c.cond) === true)
  expect(made.length, text).toBe(calls.length)
  made.forEach((c, i) => {
    const e = calls[i]
    if (e?.kind !== 'helper_call') return
    expect(c.kind).toBe(`helper${e.id}`)
    // Recorded: the argument values and the packet length, then (in the encoding) the context
    // bytes; the packet it saw is compared byte by byte.
    const n = e.args.length
    expect(c.args.slice(0, n).map(at), text).toEqual(e.args)
    const ctxSeen = c.args.slice(n, n + 192).map((t) => Number(at(t)))
    expect(ctxSeen, text).toEqual(Array.from(e.data.slice(0, 192)))
    const pkt = c.pkt!
    const start = at(pkt.data) as bigint
    expect((at(pkt.end) as bigint) - start, text).toBe(e.args[n - 1])
    e.data.slice(192).forEach((b, j) => {
      expect(at(pkt.byte([bv(start + BigInt(j), 64)])), `${text}\nseen byte ${j}`).toBe(BigInt(b))
    })
  })
}

const reshapeAnswerArb = fc.record({
  r0: fc.oneof(
    fc.constantFrom(0n, 1n, -1n, -22n, -95n, -524n, -4095n, -4096n),
    fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })
  ),
  // Up to 80 bytes: longer than the largest packet (64), which caps it.
  packet: fc.oneof(
    fc.uint8Array({ minLength: 0, maxLength: 64 }),
    fc.uint8Array({ minLength: 65, maxLength: 80 })
  ),
  fields: fc.array(fc.nat({ max: 0xffffffff }), { minLength: 4, maxLength: 4 })
})

describe('reshaping tc helper encodings agree with the interpreter', () => {
  it('random calls, packets, contexts and answers', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: RESHAPES.length - 1 }), { minLength: 1, maxLength: 2 }),
        fc.uint8Array({ minLength: 0, maxLength: 64 }),
        fc.uint8Array({ minLength: 192, maxLength: 192 }),
        fc.array(reshapeAnswerArb, { minLength: 2, maxLength: 2 }),
        (which, packet, ctx, answers) => {
          reshapeAgrees(which, packet, ctx, answers)
        }
      ),
      { numRuns: Math.max(20, Math.floor(RUNS / 3)), seed: SEED }
    )
  })
})
