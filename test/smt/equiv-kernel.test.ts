import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Z3Instance } from '../../src-daemon/engine/z3/z3-instance'
import { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import { checkEquivalence } from '../../src-daemon/core/smt/equiv'
import type { RunInput } from '../../src-daemon/core/interp/types'
import { loadPair, mutate, readPairs } from '../equiv-corpus/pairs'
import { HAVE_K2 } from '../equiv-corpus/corpus-program'
import { kernelDifferential } from '../equiv-corpus/kernel-diff'
import { isRoot, printSkip } from '../support/environment'

/**
 * Soundness against the kernel: for near misses of the XDP benchmarks, the prover's
 * counterexample packet, run through the real kernel (BPF_PROG_TEST_RUN), shows the difference
 * too. Skips with a printed reason where BPF is unavailable.
 */

const oracle = new KernelOracle()
let z3: Z3Instance
let unavailable: string | undefined

beforeAll(async () => {
  const what = 'kernel confirmation of counterexamples'
  const a = isRoot(what) ? await oracle.availability() : undefined
  if (a === undefined || !a.available) {
    unavailable = a === undefined ? 'not root' : a.reason
    if (a !== undefined) printSkip(what, unavailable)
    return
  }
  z3 = await Z3Instance.create()
})
afterAll(async () => {
  await z3?.dispose()
  await oracle.dispose()
})

/** The kernel's xdp_md reports ingress ifindex 1 and rx queue 0: inputs assuming others cannot be replayed there. */
function kernelCanReplay(input: RunInput): boolean {
  const ctx = input.ctx instanceof Uint8Array ? input.ctx : new Uint8Array(24)
  const ifindex =
    (ctx[12] ?? 0) | ((ctx[13] ?? 0) << 8) | ((ctx[14] ?? 0) << 16) | ((ctx[15] ?? 0) << 24)
  const rest = ctx.subarray(16).every((b) => b === 0)
  return (input.packet?.length ?? 0) >= 14 && (ifindex === 0 || ifindex === 1) && rest
}

describe('counterexamples in the kernel', () => {
  it('XDP near misses differ in the kernel on the prover counterexample', async (ctx) => {
    if (unavailable !== undefined || !HAVE_K2) ctx.skip()
    let confirmed = 0
    let notReplayable = 0
    for (const e of readPairs().filter((p) => p.bench === 'xdp1' || p.bench === 'xdp_map_access')) {
      const { original, optimized } = loadPair(e)
      const model = {
        ctx: 'xdp' as const,
        maxPacket: original.env.model.maxPktSz,
        ctxSize: 24,
        maps: original.env.maps
      }
      for (const m of e.nearMisses) {
        if (m.safety !== 'ok') continue
        const mutant = mutate(optimized, m.mutation, m.id)
        const r = await checkEquivalence(original.slots, mutant.slots, model, z3, {
          timeoutMs: 60_000
        })
        expect(r.kind, m.id).toBe('notEqual')
        if (r.kind !== 'notEqual') continue
        if (!kernelCanReplay(r.input)) {
          notReplayable++
          continue
        }
        const report = await kernelDifferential(oracle, original, mutant, [r.input])
        expect(report.error, m.id).toBeUndefined()
        expect(report.difference, `${m.id}: the kernel agrees on the counterexample`).toBeDefined()
        confirmed++
      }
    }
    console.log(
      `kernel confirmed ${confirmed} counterexamples (${notReplayable} need a context the kernel cannot give)`
    )
    expect(confirmed).toBeGreaterThanOrEqual(5)
  })
})
