/**
 * @fileoverview Property: for perf_event_output with random computed flags (sample lengths from
 * the packet length, bits above the mask) on random packets, in tc and XDP programs, the
 * encoding evaluated at the input gives what the interpreter computes: r0, whether the record
 * goes out, its flags and record bytes, and the packet sample (bytes below N, zeros after).
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
import { SK_BUFF, XDP_MD } from '../../src-daemon/core/interp/layout'

const RUNS = Number(process.env['SUMMIT_PROPERTY_RUNS'] ?? 200)
const SEED = Number(process.env['SUMMIT_PROPERTY_SEED'] ?? 20261207)

const PERF = { name: 'events', type: 4, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 }
const tc: EncodeModel = { ctx: 'skb', maxPacket: 64, ctxSize: 192, maps: [PERF] }
const xdp: EncodeModel = { ctx: 'xdp', maxPacket: 64, ctxSize: 24, maps: [PERF] }

/** Variables left out: the perf event of the current CPU (0) is installed, the rest are 0. */
function completeEnv(env: Map<string, TermValue>, terms: readonly Term[]): void {
  for (const v of freeVars(terms))
    if (!env.has(v.name)) env.set(v.name, v.sort === 'bool' ? v.name.startsWith('pres_') : 0n)
}

/** Encodes `text`, runs it on `packet` (CPU 0, whose event is installed), compares the outputs. */
function agrees(text: string, model: EncodeModel, packet: Uint8Array): void {
  const r = assemble(text, 'llvm')
  if (!r.ok) throw new Error(r.error.message)
  const decoded = decodeProgram(r.value)
  if (!decoded.ok) throw new Error(decoded.error.message)
  const { layout } = makeLayout(model)
  const enc = encodeExecution(decoded.value, model, layout, 'A')
  const env = new Map<string, TermValue>([
    ['pkt_len', BigInt(packet.length)],
    ['env_cpu', 0n]
  ])
  packet.forEach((b, o) => env.set(`in_pkt_${o.toString(16)}`, BigInt(b)))
  const at = (t: Term): TermValue => {
    for (const read of layout.inputs.namedBytes('pkt')) {
      const name = (read.value as { name?: string }).name ?? ''
      if (env.has(name)) continue
      completeEnv(env, [read.place[0]!])
      const o = Number(BigInt.asIntN(64, evalTerm(read.place[0]!, env) as bigint))
      env.set(name, BigInt(packet[o] ?? 0))
    }
    completeEnv(env, [t])
    return evalTerm(t, env)
  }
  const input = { packet, maps: [[{ key: new Uint8Array(4), value: Uint8Array.of(7, 0, 0, 0) }]] }
  const result = runProgram(r.value, model, { ...input, cpu: 0 })
  expect(result.kind, text).toBe('exit')
  if (result.kind !== 'exit') return
  // Paths outside the model (an index that is not BPF_F_CURRENT_CPU, a sample longer than the
  // model's packets) may be recorded, but no input here takes them.
  for (const b of enc.beyond) expect(at(b.cond), `${text}\n${b.reason}`).toBe(false)
  const exits = enc.exits.filter((x) => at(x.cond) === true)
  expect(exits, text).toHaveLength(1)
  expect(at(exits[0]!.r0), text).toBe(result.r0)
  const sent = enc.effects.filter((e) => at(e.cond) === true)
  expect(sent.length, text).toBe(result.outputs.length)
  sent.forEach((e, k) => {
    const out = result.outputs[k]!
    if (out.kind !== 'perf_output') throw new Error(`unexpected ${out.kind}`)
    const flags = at(e.args[1]!) as bigint
    expect(flags, text).toBe(out.flags)
    const n = Number((flags >> 32n) & 0xfffffn)
    expect(out.data.length, text).toBe(4 + n)
    const record = at(e.args[3]!) as bigint
    const sample = at(e.args[4]!) as bigint
    for (let i = 0; i < 4; i++)
      expect(Number((record >> BigInt(8 * i)) & 0xffn), text).toBe(out.data[i])
    for (let i = 0; i < model.maxPacket; i++)
      expect(Number((sample >> BigInt(8 * i)) & 0xffn), `${text}\nsample byte ${i}`).toBe(
        i < n ? out.data[4 + i] : 0
      )
  })
}

/** The packet length (r7) as the program type reads it. */
const LENGTH = {
  skb: `r7 = *(u32 *)(r1 + ${SK_BUFF.len})`,
  xdp: `r2 = *(u32 *)(r1 + ${XDP_MD.data})\nr7 = *(u32 *)(r1 + ${XDP_MD.data_end})\nr7 -= r2`
}

/** How the sample length is made from the packet length in r7. */
const lengthArb = fc.oneof(
  fc.constant(''),
  fc.integer({ min: -2, max: 2 }).map((d) => `r7 += ${d}`),
  fc.integer({ min: 0, max: 70 }).map((k) => `if r7 < ${k} goto short\nr7 = ${k}\nshort:`),
  fc.integer({ min: 0, max: 70 }).map((c) => `r7 = ${c}`)
)

/** Bits ORed into the flags besides the length: none, above the mask, the mask's top bit. */
const extraArb = fc.constantFrom(0n, 1n << 52n, 1n << 63n, 1n << 51n, 1n << 32n)

function program(model: EncodeModel, length: string, extra: bigint, poke: number): string {
  const dataField = model.ctx === 'xdp' ? XDP_MD : SK_BUFF
  // Sets packet byte `poke` to 0x55 before the call when the packet has it.
  const write =
    poke < 0
      ? ''
      : `r2 = *(u32 *)(r6 + ${dataField.data})\nr3 = *(u32 *)(r6 + ${dataField.data_end})\nr4 = r2\nr4 += ${poke + 1}\nif r4 > r3 goto nowrite\n*(u8 *)(r2 + ${poke}) = 0x55\nnowrite:`
  return [
    'r6 = r1',
    LENGTH[model.ctx === 'xdp' ? 'xdp' : 'skb'],
    length,
    'r7 <<= 32',
    `r2 = ${extra | 0xffffffffn} ll`,
    'r7 |= r2',
    write,
    'r1 = 0x01020304',
    '*(u32 *)(r10 - 4) = r1',
    'r1 = r6',
    'ld_pseudo r2, 1, 0',
    'r3 = r7',
    'r4 = r10',
    'r4 += -4',
    'r5 = 4',
    'call 25',
    'exit'
  ].join('\n')
}

describe('perf_event_output sample encoding agrees with the interpreter', () => {
  for (const model of [tc, xdp])
    it(`${model.ctx}: computed lengths, flag bits and packet writes`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 0, maxLength: 64 }),
          lengthArb,
          extraArb,
          fc.integer({ min: -1, max: 40 }),
          (packet, length, extra, poke) => {
            agrees(program(model, length, extra, poke), model, packet)
          }
        ),
        { numRuns: RUNS, seed: SEED }
      )
    })
})
