/** @fileoverview ALU semantics: edge cases per operation and a seeded property test against a BigInt model. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { insn, type Insn } from '../../src-daemon/core/isa/insn'
import { opByName } from '../../src-daemon/core/isa/opcodes'
import { compileProgram, createMachine } from '../../src-daemon/core/interp'
import { alu32, alu64 } from './reference-alu'
import { exited, r0, u64le } from './support'

const OPS = [
  'add',
  'sub',
  'mul',
  'div',
  'mod',
  'sdiv',
  'smod',
  'or',
  'and',
  'xor',
  'lsh',
  'rsh',
  'arsh',
  'mov'
]
const INT64_MIN = -(1n << 63n)

/** `dst = dst op src` on two registers loaded from memory (r0 = result). */
function regProgram(op: string, is64: boolean): Insn[] {
  const w = is64 ? '64' : '32'
  const signed = op === 'sdiv' || op === 'smod'
  const row = opByName(`${signed ? op : op}${w}_reg`)
  return [
    insn(0x79, 2, 1, 8, 0),
    insn(0x79, 1, 1, 0, 0),
    insn(row.code, 1, 2, signed ? 1 : 0, 0),
    insn(0xbf, 0, 1, 0, 0),
    insn(0x95)
  ]
}

function lddw(dst: number, v: bigint): Insn[] {
  const u = BigInt.asUintN(64, v)
  return [
    insn(0x18, dst, 0, 0, Number(u & 0xffffffffn) | 0),
    insn(0, 0, 0, 0, Number(u >> 32n) | 0)
  ]
}

function mem(a: bigint, b: bigint): Uint8Array {
  const m = new Uint8Array(16)
  m.set(u64le(a), 0)
  m.set(u64le(b), 8)
  return m
}

function runBinary(op: string, is64: boolean, a: bigint, b: bigint): bigint {
  const m = createMachine(compileProgram(regProgram(op, is64), [], 'plain'))
  return exited(m.run({ mem: mem(a, b) })).r0
}

describe('ALU edge cases', () => {
  it('64-bit signed division follows the kernel: INT64_MIN / -1 = INT64_MIN, % -1 = 0', () => {
    expect(runBinary('sdiv', true, INT64_MIN, -1n)).toBe(1n << 63n)
    expect(runBinary('smod', true, INT64_MIN, -1n)).toBe(0n)
    expect(runBinary('sdiv', true, -13n, 3n)).toBe(BigInt.asUintN(64, -4n))
    expect(runBinary('smod', true, -13n, 3n)).toBe(BigInt.asUintN(64, -1n))
    expect(runBinary('smod', true, 13n, -3n)).toBe(1n)
  })
  it('division by zero gives 0, modulo by zero keeps the dividend (32-bit: truncated)', () => {
    expect(runBinary('div', true, 123n, 0n)).toBe(0n)
    expect(runBinary('mod', true, 0xffff_ffff_0000_0007n, 0n)).toBe(0xffff_ffff_0000_0007n)
    expect(runBinary('mod', false, 0xffff_ffff_0000_0007n, 0n)).toBe(7n)
    expect(runBinary('div', false, 0xffff_ffff_0000_0007n, 0xffff_ffff_0000_0000n)).toBe(0n)
    expect(runBinary('sdiv', true, -5n, 0n)).toBe(0n)
    expect(runBinary('smod', true, -5n, 0n)).toBe(BigInt.asUintN(64, -5n))
    expect(runBinary('smod', false, -5n, 0n)).toBe(0xffff_fffbn)
  })
  it('unsigned 64-bit division of large operands (long-division path)', () => {
    const a = 0xfedc_ba98_7654_3210n
    for (const b of [
      3n,
      0x1_0000_0001n,
      0x8000_0000_0000_0001n,
      0xffff_ffff_ffff_ffffn,
      a,
      a + 1n
    ]) {
      expect(runBinary('div', true, a, b)).toBe(a / b)
      expect(runBinary('mod', true, a, b)).toBe(a % b)
    }
  })
  it('shift counts from registers are masked (64 → 0, 65 → 1; 32-bit: by 31)', () => {
    expect(runBinary('lsh', true, 1n, 64n)).toBe(1n)
    expect(runBinary('lsh', true, 1n, 63n)).toBe(1n << 63n)
    expect(runBinary('rsh', true, 1n << 63n, 65n)).toBe(1n << 62n)
    expect(runBinary('arsh', true, 1n << 63n, 63n)).toBe(BigInt.asUintN(64, -1n))
    expect(runBinary('lsh', false, 3n, 33n)).toBe(6n)
    expect(runBinary('arsh', false, 0x8000_0000n, 31n)).toBe(0xffff_ffffn)
  })
  it('32-bit results are zero-extended', () => {
    expect(runBinary('add', false, 0xffff_ffff_ffff_ffffn, 1n)).toBe(0n)
    expect(runBinary('mov', false, 0n, -1n)).toBe(0xffff_ffffn)
    expect(runBinary('sub', false, 0n, 1n)).toBe(0xffff_ffffn)
    expect(runBinary('mul', false, 0x1_0000_0003n, 0x1_0000_0005n)).toBe(15n)
  })
  it('immediates are sign-extended for ALU64 and used as 32 bits for ALU32', () => {
    expect(r0('mov %r0, -1\nexit')).toBe(0xffff_ffff_ffff_ffffn)
    expect(r0('mov32 %r0, -1\nexit')).toBe(0xffff_ffffn)
    expect(r0('mov %r0, 0\nadd %r0, -2\nexit')).toBe(BigInt.asUintN(64, -2n))
    expect(r0('mov %r0, 1\nlsh %r0, 63\nexit')).toBe(1n << 63n)
  })
  it('neg, movsx, byte swaps', () => {
    expect(r0([...lddw(0, INT64_MIN), insn(0x87, 0), insn(0x95)])).toBe(1n << 63n)
    expect(r0([...lddw(0, 0x1_0000_0002n), insn(0x84, 0), insn(0x95)])).toBe(0xffff_fffen)
    expect(r0([...lddw(1, 0x80n), insn(0xbf, 0, 1, 8), insn(0x95)])).toBe(BigInt.asUintN(64, -128n))
    expect(r0([...lddw(1, 0x8000n), insn(0xbc, 0, 1, 16), insn(0x95)])).toBe(0xffff_8000n)
    expect(r0([...lddw(1, 0x8000_0000n), insn(0xbf, 0, 1, 32), insn(0x95)])).toBe(
      0xffff_ffff_8000_0000n
    )
    const v = 0x0123_4567_89ab_cdefn
    expect(r0([...lddw(0, v), insn(0xdc, 0, 0, 0, 16), insn(0x95)])).toBe(0xefcdn)
    expect(r0([...lddw(0, v), insn(0xdc, 0, 0, 0, 32), insn(0x95)])).toBe(0xefcd_ab89n)
    expect(r0([...lddw(0, v), insn(0xdc, 0, 0, 0, 64), insn(0x95)])).toBe(0xefcd_ab89_6745_2301n)
    expect(r0([...lddw(0, v), insn(0xd4, 0, 0, 0, 16), insn(0x95)])).toBe(0xcdefn)
    expect(r0([...lddw(0, v), insn(0xd4, 0, 0, 0, 32), insn(0x95)])).toBe(0x89ab_cdefn)
    expect(r0([...lddw(0, v), insn(0xd4, 0, 0, 0, 64), insn(0x95)])).toBe(v)
    expect(r0([...lddw(0, v), insn(0xd7, 0, 0, 0, 16), insn(0x95)])).toBe(0xefcdn)
  })
})

const edge = fc.constantFrom(
  0n,
  1n,
  2n,
  31n,
  32n,
  63n,
  64n,
  0xffn,
  0x7fff_ffffn,
  0x8000_0000n,
  0xffff_ffffn,
  0x1_0000_0000n,
  0x7fff_ffff_ffff_ffffn,
  0x8000_0000_0000_0000n,
  0xffff_ffff_ffff_ffffn,
  0xffff_ffff_8000_0000n
)
const u64arb = fc.oneof(
  edge,
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: 0n, max: 1n << 40n })
)

describe('ALU property test against the BigInt reference', () => {
  for (const is64 of [true, false]) {
    for (const op of OPS) {
      it(`${op}${is64 ? 64 : 32} (register source)`, () => {
        const m = createMachine(compileProgram(regProgram(op, is64), [], 'plain'))
        fc.assert(
          fc.property(u64arb, u64arb, (a, b) => {
            const got = exited(m.run({ mem: mem(a, b) })).r0
            expect(got).toBe(is64 ? alu64(op, a, b) : alu32(op, a, b))
          }),
          { seed: 42, numRuns: 300 }
        )
      })
    }
  }
  it('immediate forms (sign-extended imm32)', () => {
    const imm = fc.oneof(
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fc.constantFrom(0, 1, -1, 63, 64, -2147483648)
    )
    fc.assert(
      fc.property(fc.constantFrom(...OPS), fc.boolean(), u64arb, imm, (op, is64, a, k) => {
        const signed = op === 'sdiv' || op === 'smod'
        const row = opByName(`${op}${is64 ? '64' : '32'}_imm`)
        const prog = [...lddw(0, a), insn(row.code, 0, 0, signed ? 1 : 0, k), insn(0x95)]
        const b = BigInt.asUintN(64, BigInt(k))
        expect(r0(prog)).toBe(is64 ? alu64(op, a, b) : alu32(op, a, b))
      }),
      { seed: 7, numRuns: 1500 }
    )
  })
})
