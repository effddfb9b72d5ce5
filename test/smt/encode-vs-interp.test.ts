import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { insn, type Insn } from '../../src-daemon/core/isa/insn'
import { OPS, type OpSpec } from '../../src-daemon/core/isa/opcodes'
import { decodeProgram } from '../../src-daemon/core/isa/decode'
import { makeLayout } from '../../src-daemon/core/smt/enc-equiv'
import { encodeExecution } from '../../src-daemon/core/smt/enc-exec'
import { evalTerm, freeVars } from '../../src-daemon/core/smt/terms'
import type { Term, TermValue } from '../../src-daemon/core/smt/term'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'
import { runProgram } from '../../src-daemon/core/smt/equiv'

/**
 * Property: for random programs and random inputs, the encoding evaluated at the input gives
 * exactly what the interpreter computes (r0 and the context bytes), for every ALU, byte-order,
 * jump, load/store and atomic family.
 */

const CTX = 64
const model: EncodeModel = { ctx: 'flat', maxPacket: 0, ctxSize: CTX, maps: [] }
const ALU = OPS.filter((s) => s.kind === 'alu' || s.kind === 'end')
const JMP = OPS.filter((s) => s.kind === 'jmp')
const ATOMIC = OPS.filter((s) => s.kind === 'atomic')
const SIZES = [1, 2, 4, 8] as const
const CODE = {
  ldx: { 1: 0x71, 2: 0x69, 4: 0x61, 8: 0x79 },
  stx: { 1: 0x73, 2: 0x6b, 4: 0x63, 8: 0x7b }
} as const

const IMMS = [0, 1, -1, 2, 7, 31, 32, 63, 0x7fffffff, -0x80000000, 0x1234, -5, 16, 64]

function aluInsn(spec: OpSpec, dst: number, src: number, imm: number): Insn {
  if (spec.kind === 'end') return insn(spec.code, dst, 0, 0, [16, 32, 64][Math.abs(imm) % 3]!)
  if (spec.kind !== 'alu') throw new Error('not alu')
  const off = spec.match?.field === 'off' ? spec.match.value : 0
  if (spec.op === 'neg') return insn(spec.code, dst, 0, 0, 0)
  if (spec.source === 'reg') return insn(spec.code, dst, src, off, 0)
  let v = imm
  if (spec.op === 'lsh' || spec.op === 'rsh' || spec.op === 'arsh')
    v = Math.abs(imm) % (spec.is64 ? 64 : 32)
  return insn(spec.code, dst, 0, off, v)
}

/** A random loop-free program over r0-r5 reading the flat context and using the stack. */
const programArb = fc
  .array(
    fc.record({
      kind: fc.integer({ min: 0, max: 9 }),
      pick: fc.nat(),
      dst: fc.integer({ min: 0, max: 5 }),
      src: fc.integer({ min: 0, max: 5 }),
      imm: fc.constantFrom(...IMMS),
      off: fc.integer({ min: 0, max: 7 })
    }),
    { minLength: 1, maxLength: 24 }
  )
  .map((steps) => {
    const out: Insn[] = [insn(0xbf, 6, 1)] // r6 = ctx
    for (let r = 0; r <= 5; r++) out.push(insn(0x79, r, 6, r * 8, 0)) // rR = *(u64 *)(ctx + 8R)
    out.push(insn(0x7b, 10, 0, -8, 0), insn(0x7b, 10, 0, -16, 0)) // initialise two stack slots
    steps.forEach((s, i) => {
      const size = SIZES[s.off % 4]!
      if (s.kind <= 4) out.push(aluInsn(ALU[s.pick % ALU.length]!, s.dst, s.src, s.imm))
      else if (s.kind === 5) {
        const j = JMP[s.pick % JMP.length]!
        const skip = Math.min(2, steps.length - i - 1)
        out.push(
          j.kind === 'jmp' && j.source === 'reg'
            ? insn(j.code, s.dst, s.src, skip, 0)
            : insn(j.code, s.dst, 0, skip, s.imm)
        )
      } else if (s.kind === 6)
        out.push(insn(CODE.stx[size], 10, s.src, -16 + ((s.off & ~(size - 1)) % 16), 0))
      else if (s.kind === 7)
        out.push(insn(CODE.ldx[size], s.dst, 10, -16 + ((s.off & ~(size - 1)) % 16), 0))
      else if (s.kind === 8) out.push(insn(CODE.stx[size], 6, s.src, 48 + (s.off & ~(size - 1)), 0))
      else {
        const a = ATOMIC[s.pick % ATOMIC.length]!
        if (a.kind === 'atomic')
          out.push(
            insn(a.code, 10, s.src === 0 ? 1 : s.src, a.bytes === 8 ? -8 : -16, a.match?.value ?? 0)
          )
      }
    })
    out.push(insn(0x95))
    return out
  })

function completeEnv(env: Map<string, TermValue>, terms: readonly Term[]): void {
  for (const v of freeVars(terms))
    if (!env.has(v.name)) env.set(v.name, v.sort === 'bool' ? false : 0n)
}

describe('encoding agrees with the interpreter', () => {
  it('on random programs and random contexts', () => {
    let checked = 0
    fc.assert(
      fc.property(
        programArb,
        fc.uint8Array({ minLength: CTX, maxLength: CTX }),
        (slots, ctxBytes) => {
          const decoded = decodeProgram(slots, {}, { profile: 'rfc' })
          if (!decoded.ok) return true // e.g. an atomic fetch into r10: not a valid program
          const { layout } = makeLayout(model)
          const enc = encodeExecution(decoded.value, model, layout, 'A')
          const env = new Map<string, TermValue>()
          for (let o = 0; o < CTX; o++) env.set(`in_ctx_${o.toString(16)}`, BigInt(ctxBytes[o]!))
          const result = runProgram(slots, model, { ctx: ctxBytes, stackSeed: 0 })
          expect(result.kind).toBe('exit')
          if (result.kind !== 'exit') return false
          const taken = enc.exits.filter((x) => {
            completeEnv(env, [x.cond, x.r0])
            return evalTerm(x.cond, env) === true
          })
          expect(taken).toHaveLength(1)
          expect(evalTerm(taken[0]!.r0, env)).toBe(result.r0)
          for (const place of enc.mem.writtenPlaces('ctx')) {
            const t = enc.mem.readByte('ctx', place)
            completeEnv(env, [t, ...place])
            const o = Number(evalTerm(place[0]!, env))
            expect(evalTerm(t, env)).toBe(BigInt(result.ctx[o]!))
          }
          checked++
          return true
        }
      ),
      {
        numRuns: Number(process.env['SUMMIT_PROPERTY_RUNS'] ?? 400),
        seed: Number(process.env['SUMMIT_PROPERTY_SEED'] ?? 20261125)
      }
    )
    expect(checked).toBeGreaterThan(Number(process.env['SUMMIT_PROPERTY_RUNS'] ?? 400) * 0.75)
  })
})
