/** @fileoverview Soundness of the scalar domain: every concrete result lies in the abstract result. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { constReg, rangeReg, sync, UNKNOWN } from '../../src-daemon/core/analysis/reg'
import { evalAlu, scalarAlu } from '../../src-daemon/core/analysis/scalar-alu'
import { branchTaken, negate, refine, type Cond } from '../../src-daemon/core/analysis/scalar-cmp'
import { M32, M64, tAdd, tContains, tMul, tRange, tSub } from '../../src-daemon/core/analysis/tnum'
import type { Reg } from '../../src-daemon/core/analysis/types'
import type { AluOp } from '../../src-daemon/core/isa/opcodes'

/** Whether concrete 64-bit `v` is a value of `r`. */
function holds(r: Reg, v: bigint): boolean {
  const u = BigInt.asUintN(64, v)
  const s = BigInt.asIntN(64, v)
  return r.umin <= u && u <= r.umax && r.smin <= s && s <= r.smax && (u & ~r.tm & M64) === r.tv
}

const u64 = fc.bigInt({ min: 0n, max: M64 })
const small = fc.bigInt({ min: 0n, max: 300n })
const interesting = fc.oneof(
  u64,
  small,
  fc.constantFrom(0n, 1n, 63n, 64n, M32, M32 + 1n, 1n << 63n, M64)
)

/** A concrete value and an abstract value containing it. */
const member = fc
  .tuple(interesting, fc.nat({ max: 3 }), interesting, interesting)
  .map(([v, how, x, y]) => {
    let r: Reg
    if (how === 0) r = constReg(v)
    else if (how === 1) {
      const lo = v - (x % 1000n) < 0n ? 0n : v - (x % 1000n)
      const hi = v + (y % 1000n) > M64 ? M64 : v + (y % 1000n)
      r = rangeReg(lo, hi)
    } else if (how === 2) {
      const mask = x & 0xffffn
      r = sync({ ...UNKNOWN, tv: v & ~mask & M64, tm: mask })
    } else r = UNKNOWN
    return { v, r }
  })

const OPS: readonly AluOp[] = [
  'add',
  'sub',
  'mul',
  'div',
  'mod',
  'or',
  'and',
  'xor',
  'lsh',
  'rsh',
  'arsh',
  'neg',
  'mov'
]

describe('scalar ALU transfer functions', () => {
  for (const op of OPS) {
    for (const is64 of [true, false]) {
      it(`${op}${is64 ? 64 : 32} contains every concrete result`, () => {
        fc.assert(
          fc.property(member, member, (a, b) => {
            const shiftOp = op === 'lsh' || op === 'rsh' || op === 'arsh'
            const bits = is64 ? 64 : 32
            const bv = shiftOp ? b.v % BigInt(bits) : b.v
            const br = shiftOp ? constReg(bv) : b.r
            expect(holds(a.r, a.v)).toBe(true)
            const mask = is64 ? M64 : M32
            const concrete = evalAlu(op, a.v & mask, bv & mask, bits)
            const abs = scalarAlu(op, a.r, br, is64)
            expect(
              holds(abs, concrete),
              `${op} ${a.v} ${bv} -> ${concrete} not in ${JSON.stringify(abs, (_, x) => (typeof x === 'bigint' ? x.toString() : x))}`
            ).toBe(true)
          }),
          { numRuns: 300 }
        )
      })
    }
  }

  it('computes constants exactly', () => {
    expect(scalarAlu('add', constReg(2n), constReg(3n), true).tv).toBe(5n)
    expect(scalarAlu('sub', constReg(0n), constReg(1n), false).tv).toBe(M32)
    expect(evalAlu('div', 7n, 0n, 64)).toBe(0n)
    expect(evalAlu('mod', 7n, 0n, 64)).toBe(7n)
    expect(scalarAlu('arsh', constReg(M64), constReg(4n), true).tv).toBe(M64)
  })

  it('like the kernel, learns nothing from division and modulo', () => {
    expect(scalarAlu('div', constReg(10n), constReg(2n), true)).toEqual(UNKNOWN)
    // 32-bit too: the kernel marks the whole register unknown, upper half included.
    expect(scalarAlu('mod', constReg(10n), constReg(3n), false)).toEqual(UNKNOWN)
  })

  it('keeps useful ranges: masking bounds the value', () => {
    const r = scalarAlu('and', UNKNOWN, constReg(7n), true)
    expect([r.umin, r.umax, r.smin, r.smax]).toEqual([0n, 7n, 0n, 7n])
    const s = scalarAlu('add', rangeReg(14n, 22n), constReg(4n), true)
    expect([s.umin, s.umax]).toEqual([18n, 26n])
  })
})

describe('tnum arithmetic', () => {
  it('add, sub and mul contain every concrete result', () => {
    fc.assert(
      fc.property(interesting, interesting, fc.bigInt({ min: 0n, max: 0xffn }), (x, y, m) => {
        const a = { v: x & ~m & M64, m }
        const b = { v: y & ~(m << 3n) & M64, m: (m << 3n) & M64 }
        const cx = a.v | (x & m)
        const cy = b.v | (y & b.m)
        for (const [t, c] of [
          [tAdd(a, b), (cx + cy) & M64],
          [tSub(a, b), (cx - cy) & M64],
          [tMul(a, b), (cx * cy) & M64]
        ] as const) {
          expect(tContains(t, { v: c, m: 0n })).toBe(true)
        }
      }),
      { numRuns: 300 }
    )
  })

  it('range tnum covers the range ends', () => {
    const t = tRange(16n, 31n)
    expect(t).toEqual({ v: 16n, m: 15n })
  })
})

const CONDS: readonly Cond[] = [
  'jeq',
  'jne',
  'jgt',
  'jge',
  'jlt',
  'jle',
  'jsgt',
  'jsge',
  'jslt',
  'jsle',
  'jset'
]

function concreteCond(c: Cond, a: bigint, b: bigint, is32: boolean): boolean {
  const bits = is32 ? 32 : 64
  const ua = BigInt.asUintN(bits, a)
  const ub = BigInt.asUintN(bits, b)
  const sa = BigInt.asIntN(bits, a)
  const sb = BigInt.asIntN(bits, b)
  switch (c) {
    case 'jeq':
      return ua === ub
    case 'jne':
      return ua !== ub
    case 'jgt':
      return ua > ub
    case 'jge':
      return ua >= ub
    case 'jlt':
      return ua < ub
    case 'jle':
      return ua <= ub
    case 'jsgt':
      return sa > sb
    case 'jsge':
      return sa >= sb
    case 'jslt':
      return sa < sb
    case 'jsle':
      return sa <= sb
    case 'jset':
      return (ua & ub) !== 0n
    case 'jnset':
      return (ua & ub) === 0n
  }
}

describe('conditional jumps on scalars', () => {
  for (const is32 of [false, true]) {
    it(`${is32 ? 'jmp32' : 'jmp'}: decisions and refinements are sound`, () => {
      fc.assert(
        fc.property(member, member, fc.constantFrom(...CONDS), (a, b, c) => {
          const truth = concreteCond(c, a.v, b.v, is32)
          const decided = branchTaken(c, a.r, b.r, is32)
          if (decided !== undefined) expect(decided).toBe(truth)
          const edge = refine(truth ? c : negate(c), a.r, b.r, is32)
          expect(edge, `edge ${truth ? c : negate(c)} must stay feasible`).toBeDefined()
          if (edge !== undefined) {
            expect(holds(edge[0], a.v)).toBe(true)
            expect(holds(edge[1], b.v)).toBe(true)
          }
        }),
        { numRuns: 500 }
      )
    })
  }

  it('narrows the unsigned range on both edges', () => {
    const [t] = refine('jgt', rangeReg(0n, 100n), constReg(10n), false) ?? []
    const [f] = refine('jle', rangeReg(0n, 100n), constReg(10n), false) ?? []
    expect([t?.umin, t?.umax]).toEqual([11n, 100n])
    expect([f?.umin, f?.umax]).toEqual([0n, 10n])
  })
})
