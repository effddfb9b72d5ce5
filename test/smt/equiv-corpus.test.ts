import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { Z3Instance } from '../../src-daemon/engine/z3/z3-instance'
import { checkEquivalence, checkWindowEquivalence } from '../../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'
import { resultEquals } from '../../src-daemon/core/interp/api'
import { assemble } from '../../src-daemon/core/isa/asm'
import {
  BENCH_NAMES,
  EQUIV_DIR,
  HAVE_K2,
  loadK2Output,
  loadOriginal,
  type CorpusProgram
} from '../equiv-corpus/corpus-program'
import { loadPair, mutate, readPairs } from '../equiv-corpus/pairs'

/**
 * The prover on programs whose status is known by other means: K2's claimed outputs (checked in
 * the kernel and the interpreter by test/equiv-corpus), hand-optimized equal pairs in whole and
 * window form, and near misses that must be refuted with a counterexample the interpreter
 * confirms.
 */

let z3: Z3Instance
beforeAll(async () => {
  z3 = await Z3Instance.create()
})
afterAll(async () => {
  await z3.dispose()
})

function modelOf(p: CorpusProgram): EncodeModel {
  return {
    ctx: p.env.model.ctxKind,
    maxPacket: p.env.model.maxPktSz,
    ctxSize: p.env.model.maxPktSz,
    maps: p.env.maps
  }
}

const OPTIONS = { timeoutMs: 60_000 }

describe.skipIf(!HAVE_K2)("K2's claims", () => {
  const claims = JSON.parse(readFileSync(`${EQUIV_DIR}k2-claims.json`, 'utf8')) as {
    name: string
    verdict: 'holds' | 'refuted'
  }[]
  it('proves the true claims equal and refutes the false ones with a confirmed counterexample', async () => {
    expect(claims.map((c) => c.name).sort()).toEqual([...BENCH_NAMES].sort())
    for (const c of claims) {
      const original = loadOriginal(c.name)
      const k2 = loadK2Output(c.name)
      const r = await checkEquivalence(original.slots, k2.slots, modelOf(original), z3, OPTIONS)
      if (c.verdict === 'holds') expect(r.kind, c.name).toBe('equal')
      else {
        expect(r.kind, c.name).toBe('notEqual')
        if (r.kind === 'notEqual') expect(resultEquals(r.resultA, r.resultB)).toBe(false)
      }
    }
  })
})

describe.skipIf(!HAVE_K2)('hand-optimized pairs', () => {
  const pairs = readPairs()
  it('proves every pair equal as whole programs', async () => {
    expect(pairs.length).toBeGreaterThanOrEqual(11)
    for (const e of pairs) {
      const { original, optimized } = loadPair(e)
      const r = await checkEquivalence(
        original.slots,
        optimized.slots,
        modelOf(original),
        z3,
        OPTIONS
      )
      expect(r.kind, `${e.id}: ${'reason' in r ? r.reason : ''}`).toBe('equal')
    }
  })

  it('proves the window forms equal, checking only the window', async () => {
    let proven = 0
    for (const e of pairs) {
      const { original, optimized } = loadPair(e)
      const { start, end } = e.window
      const grow = optimized.slots.length - original.slots.length
      const replacement = optimized.slots.slice(start, end + 1 + grow)
      const r = await checkWindowEquivalence(
        original.slots,
        start,
        end,
        replacement,
        modelOf(original),
        z3,
        OPTIONS
      )
      expect(r.kind, `${e.id}: ${'reason' in r ? r.reason : ''}`).toBe('equal')
      proven++
    }
    // Every pair is provable in window form, including windows that branch, call helpers or load
    // with ld_ind, and those deleting dead stack stores (core/smt/stack-liveness.ts).
    expect(proven).toBe(pairs.length)
  })

  it('refutes near misses with counterexamples the interpreter confirms', async () => {
    let refuted = 0
    for (const e of pairs) {
      const { original, optimized } = loadPair(e)
      for (const m of e.nearMisses) {
        if (m.safety !== 'ok') continue // unsafe mutants are the analysis's job, not the prover's
        const mutant = mutate(optimized, m.mutation, m.id)
        const r = await checkEquivalence(
          original.slots,
          mutant.slots,
          modelOf(original),
          z3,
          OPTIONS
        )
        expect(r.kind, `${m.id}: ${'reason' in r ? r.reason : ''}`).toBe('notEqual')
        if (r.kind === 'notEqual') {
          expect(r.scope).toBeUndefined()
          expect(resultEquals(r.resultA, r.resultB)).toBe(false)
          refuted++
        }
      }
    }
    console.log(`near misses refuted: ${refuted}`)
    expect(refuted).toBeGreaterThan(20)
  })
})

describe.skipIf(!HAVE_K2)('answers that are not proofs', () => {
  it('reports a construct outside the model as unknown, never equal', async () => {
    const p = loadOriginal('xdp1')
    // A helper the prover does not model (bpf_skb_vlan_push).
    const call = assemble('call 18\nexit', 'llvm')
    if (!call.ok) throw new Error('assembly failed')
    const r = await checkEquivalence(call.value, call.value, modelOf(p), z3, OPTIONS)
    expect(r).toMatchObject({
      kind: 'unknown',
      reason: 'unsupported: slot 0 (call 18): helper 18 is not modelled by the prover'
    })
  })
  it('refuses a window that a jump enters in the middle', async () => {
    // Entered at its start, `r0 = 1; r0 += 2` equals `r0 = 3`; but the jump at slot 2 lands
    // on slot 4, inside the window, where the two differ.
    const prog = assemble(
      'r0 = 0\nr2 = *(u64 *)(r1 + 0)\nif r2 == 0 goto +1\nr0 = 1\nr0 += 2\nexit',
      'llvm'
    )
    const rep = assemble('r0 = 3', 'llvm')
    if (!prog.ok || !rep.ok) throw new Error('assembly failed')
    const model: EncodeModel = { ctx: 'flat', maxPacket: 0, ctxSize: 8, maps: [] }
    const r = await checkWindowEquivalence(prog.value, 3, 4, rep.value, model, z3, OPTIONS)
    expect(r.kind).toBe('unknown')
    if (r.kind === 'unknown') expect(r.reason).toMatch(/lands inside the window/)
  })
  it('reports a timeout as unknown', async () => {
    // (a*b) % c == ((a%c)*(b%c)) % c holds for 64-bit words (and for c = 0 under eBPF's
    // modulo), but proving it takes the solver far longer than 50 ms.
    const load = 'r2 = *(u64 *)(r1 + 0)\nr3 = *(u64 *)(r1 + 8)\nr4 = *(u64 *)(r1 + 16)\n'
    const a = assemble(`${load}r0 = r2\nr0 *= r3\nr0 %= r4\nexit`, 'llvm')
    const b = assemble(`${load}r2 %= r4\nr3 %= r4\nr0 = r2\nr0 *= r3\nr0 %= r4\nexit`, 'llvm')
    if (!a.ok || !b.ok) throw new Error('assembly failed')
    const model: EncodeModel = { ctx: 'flat', maxPacket: 0, ctxSize: 24, maps: [] }
    const r = await checkEquivalence(a.value, b.value, model, z3, { timeoutMs: 50 })
    expect(r).toEqual({ kind: 'unknown', reason: 'timeout' })
  })
})
