/**
 * @fileoverview Property: for random calls of helpers outside the model with random answers
 * (results in and out of the helper's range, random bytes, random kept bytes), the encoding
 * evaluated at the input gives what the interpreter computes: r0 and every byte of the buffer
 * (a map value the helper writes into), and the same recorded calls.
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
