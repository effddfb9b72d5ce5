/**
 * @fileoverview The comparison of exits, effect and call sequences: the pairwise form and the
 * by-value form of long lists say the same (Z3 finds no input where they disagree), the
 * by-value form stays linear, and identical lists never differ without asking a solver.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { useZ3 } from './prover-support'
import { effectsDiffer, exitsDiffer } from '../../src-daemon/core/smt/enc-outputs'
import type { EffectPoint, ExitPoint } from '../../src-daemon/core/smt/enc-state'
import type { BoolTerm } from '../../src-daemon/core/smt/term'
import { dagSize } from '../../src-daemon/core/smt/term-walk'
import {
  and,
  boolVar,
  bv,
  bvVar,
  eq,
  FALSE,
  iff,
  ite,
  not,
  or
} from '../../src-daemon/core/smt/terms'

const z3 = useZ3()
const RUNS = Number(process.env['SUMMIT_PROPERTY_RUNS'] ?? 300) > 100 ? 40 : 10
const SEED = Number(process.env['SUMMIT_PROPERTY_SEED'] ?? 20261207)

/** `n` calls on paths of their own, each with one argument. */
function calls(tag: string, n: number): EffectPoint[] {
  return Array.from({ length: n }, (_, i) => ({
    cond: boolVar(`${tag}_c${i}`),
    kind: 'helper1',
    args: [bvVar(`${tag}_a${i}`, 64)]
  }))
}

/**
 * Effects of a program whose branches are the shared booleans b0..b3: effect i happens where
 * its condition (a conjunction of some b's, possibly negated) holds, with a kind and arguments
 * drawn from a few shared values, so that the two lists often agree and sometimes do not.
 */
const effectArb = fc.record({
  lits: fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean()), { maxLength: 2 }),
  kind: fc.constantFrom('helper1', 'helper2', 'trace_printk'),
  args: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 3, maxLength: 3 }),
  unset: fc.boolean()
})
type EffectSpec = typeof effectArb extends fc.Arbitrary<infer T> ? T : never

function effect(tag: string, e: EffectSpec, i: number): EffectPoint {
  const cond = and(...e.lits.map(([b, pos]) => (pos ? boolVar(`b${b}`) : not(boolVar(`b${b}`)))))
  const value = (v: number) => (v === 2 ? bvVar('x', 64) : bv(v, 64))
  const args = e.args.map(value)
  // A trace_printk argument the program left unset: private to the program.
  if (e.kind === 'trace_printk' && e.unset) args[2] = bvVar(`${tag}_uninit_r5_${i}`, 64)
  return { cond, kind: e.kind, args }
}

describe('effectsDiffer', () => {
  it('builds the comparison of 400 calls against 400 in size linear in the lists', () => {
    const d = effectsDiffer(calls('A', 400), calls('B', 400))
    expect(d).not.toBe(FALSE)
    expect(dagSize([d])).toBeLessThan(20_000)
  })

  it('never finds identical long lists different, without a solver', () => {
    const same = calls('A', 400)
    expect(effectsDiffer(same, same)).toBe(FALSE)
    const short: EffectPoint[] = [{ cond: boolVar('c'), kind: 'helper1', args: [bv(1, 64)] }]
    expect(effectsDiffer(short, short)).toBe(FALSE)
  })

  it('says what the pairwise form says, on random effect lists (checked by Z3)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(effectArb, { maxLength: 5 }),
        fc.array(effectArb, { maxLength: 5 }),
        async (sa, sb) => {
          const ea = sa.map((e, i) => effect('A', e, i))
          const eb = sb.map((e, i) => effect('B', e, i))
          const pairwise = effectsDiffer(ea, eb, 'k', Infinity)
          // The by-value form differs for some position k: never where the pairwise form
          // does not, and for one of the positions 0..5 wherever it does.
          const someK = effectsDiffer(ea, eb, 'k', 0)
          const extra = await z3().check([someK, not(pairwise)], { timeoutMs: 20_000 })
          expect(extra.kind).toBe('unsat')
          const everyK = [0, 1, 2, 3, 4, 5].flatMap((k) => [
            not(effectsDiffer(ea, eb, `k${k}`, 0)),
            eq(bvVar(`k${k}`, 16), bv(k, 16))
          ])
          const missed = await z3().check([pairwise, ...everyK], { timeoutMs: 20_000 })
          expect(missed.kind).toBe('unsat')
        }
      ),
      { numRuns: RUNS, seed: SEED }
    )
  })
})

describe('exitsDiffer', () => {
  /** Exits on the leaves of a decision over b0..b2 (exactly one is taken), r0 from `r0s`. */
  function exits(r0s: readonly number[], vias: readonly boolean[]): ExitPoint[] {
    const leaves: BoolTerm[] = []
    for (let i = 0; i < 8; i++)
      leaves.push(
        and(...[0, 1, 2].map((b) => ((i >> b) & 1 ? boolVar(`b${b}`) : not(boolVar(`b${b}`)))))
      )
    return leaves.map((cond, i) => ({
      cond,
      via: vias[i] === true ? 'tail_call' : 'exit',
      r0: (r0s[i] ?? 0) === 3 ? bvVar('x', 64) : bv(r0s[i] ?? 0, 64),
      pkt: { meta: bv(0, 64), data: bv(0, 64), end: bv(0, 64) },
      rings: []
    }))
  }

  it('says what the pairwise form says where every input takes one exit (checked by Z3)', async () => {
    const r0s = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 8, maxLength: 8 })
    const vias = fc.array(fc.boolean(), { minLength: 8, maxLength: 8 })
    await fc.assert(
      fc.asyncProperty(r0s, vias, r0s, vias, async (ra, va, rb, vb) => {
        const xa = exits(ra, va)
        const xb = exits(rb, vb)
        const r = await z3().check(
          [not(iff(exitsDiffer(xa, xb, Infinity), exitsDiffer(xa, xb, 0)))],
          { timeoutMs: 20_000 }
        )
        expect(r.kind).toBe('unsat')
      }),
      { numRuns: RUNS, seed: SEED }
    )
  })

  it('never finds identical long lists of exits different, without a solver', () => {
    const many: ExitPoint[] = Array.from({ length: 100 }, (_, i) => ({
      cond: boolVar(`e${i}`),
      via: 'exit',
      r0: ite(boolVar(`f${i}`), bv(i, 64), bvVar(`v${i}`, 64)),
      pkt: { meta: bv(0, 64), data: bv(0, 64), end: bv(0, 64) },
      rings: []
    }))
    expect(exitsDiffer(many, many)).toBe(FALSE)
    expect(exitsDiffer(many, many.slice(1))).not.toBe(FALSE)
    expect(or(exitsDiffer(many, many))).toBe(FALSE)
  })
})
