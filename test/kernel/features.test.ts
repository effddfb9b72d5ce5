/**
 * @fileoverview Kernel features: what a program needs (derived from its instructions), the
 * simulated kernel of SUMMIT_KERNEL_FEATURES_OFF, and the probe against this machine's kernel.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { assemble } from '../../src-daemon/core/isa/asm'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { MapType, ProgType } from '../../src-daemon/engine/kernel/bpf-constants'
import { KernelFeatureProbe } from '../../src-daemon/engine/kernel/feature-probe'
import {
  describeFeature,
  featureKey,
  requiredFeatures,
  simulatedRejection
} from '../../src-daemon/engine/kernel/features'
import { openKernelOracle } from './kernel-test-support'
import { main } from '../../src-daemon/cli/main'
import { REPO_ROOT } from '../support/environment'
import { join } from 'node:path'

function asm(text: string): Insn[] {
  const r = assemble(text, 'llvm')
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  return r.value
}

const keys = (slots: Insn[], progType: number, maps: number[] = [], testRun = false): string[] =>
  requiredFeatures(slots, progType, maps, { testRun }).map(featureKey).sort()

describe('requiredFeatures', () => {
  it('names helpers per program type, map types and the test run', () => {
    const p = asm('r2 = -4\ncall 54\nr0 = 2\nexit')
    expect(keys(p, ProgType.xdp, [MapType.ringbuf], true)).toEqual([
      'helper:xdp:54',
      'map:ringbuf',
      'testrun:xdp'
    ])
    expect(describeFeature(requiredFeatures(p, ProgType.xdp)[0]!)).toBe(
      'helper bpf_xdp_adjust_meta#54 in xdp programs'
    )
  })

  it("does not count libbpf's poisoned CO-RE call (0xbad2310) as a helper the program needs", () => {
    const p = asm(`r0 = 0\nif r0 == 0 goto +1\ncall ${0xbad2310}\ncall 5\nexit`)
    expect(keys(p, ProgType.schedCls)).toEqual(['helper:schedCls:5'])
  })

  it('finds instruction classes newer kernels added', () => {
    expect(keys(asm('r0 = 0\nLBB0_1:\nr0 += 1\nif r0 < 4 goto LBB0_1\nexit'), 1)).toEqual([
      'insn:bounded_loops'
    ])
    expect(keys(asm('w0 = 1\nif w0 > 0 goto +0\nexit'), 1)).toEqual(['insn:jmp32'])
    expect(keys(asm('r1 = 1\nr0 = (s8)r1\nexit'), 1)).toEqual(['insn:isa_v4'])
    const fetch = asm(
      'r1 = 1\n*(u64 *)(r10 - 8) = r1\nr1 = atomic_fetch_add((u64 *)(r10 - 8), r1)\nexit'
    )
    expect(keys(fetch, 1)).toEqual(['insn:atomic_fetch'])
    // Plain atomic read-modify-writes (lock add since BPF_XADD, or/and/xor since 5.12) are a
    // feature of their own, so that a simulated kernel can refuse what the search's
    // load/op/store idiom creates.
    expect(
      keys(asm('r1 = 1\n*(u64 *)(r10 - 8) = r1\nlock *(u64 *)(r10 - 8) += r1\nexit'), 1)
    ).toEqual(['insn:atomic'])
    expect(
      keys(
        asm('call 1\nexit\nr0 = 0\nexit').map((s, i) => (i === 0 ? { ...s, src: 1, imm: 1 } : s)),
        1
      )
    ).toEqual(['insn:bpf_to_bpf'])
  })
})

describe('SUMMIT_KERNEL_FEATURES_OFF', () => {
  afterEach(() => {
    delete process.env['SUMMIT_KERNEL_FEATURES_OFF']
  })

  it('turns the listed features off, and only those', () => {
    const p = asm('r2 = -4\ncall 54\nr0 = 2\nexit')
    process.env['SUMMIT_KERNEL_FEATURES_OFF'] = ''
    expect(simulatedRejection(p, ProgType.xdp, [])).toBeUndefined()
    process.env['SUMMIT_KERNEL_FEATURES_OFF'] = 'insn:jmp32, helper:xdp:54'
    const r = simulatedRejection(p, ProgType.xdp, [])
    expect(r?.code).toBe('KERNEL_VERIFIER_REJECTED')
    expect(r?.message).toContain('bpf_xdp_adjust_meta#54')
    expect(simulatedRejection(p, ProgType.schedCls, [])).toBeUndefined()
    expect(simulatedRejection(asm('r0 = 2\nexit'), ProgType.xdp, [])).toBeUndefined()
  })
})

const { oracle, available } = await openKernelOracle('kernel feature probe')

describe.skipIf(!available)('the feature probe on this kernel', () => {
  it('finds what every BPF kernel has and refuses what none has', async () => {
    const probe = new KernelFeatureProbe(oracle)
    const has = async (f: Parameters<KernelFeatureProbe['check']>[0]): Promise<boolean> =>
      (await probe.check(f)).available
    expect(await has({ kind: 'helper', progType: ProgType.xdp, helper: 1 })).toBe(true)
    expect(await has({ kind: 'helper', progType: ProgType.xdp, helper: 5 })).toBe(true)
    expect(await has({ kind: 'testRun', progType: ProgType.xdp })).toBe(true)
    expect(await has({ kind: 'mapType', mapType: MapType.hash })).toBe(true)
    // Helpers of one program type are refused in another, and unknown ids everywhere.
    const meta = await probe.check({ kind: 'helper', progType: ProgType.socketFilter, helper: 54 })
    expect(meta.available).toBe(false)
    expect(meta.detail).toMatch(/cannot use helper|unknown func/)
    expect(await has({ kind: 'helper', progType: ProgType.xdp, helper: 100_000 })).toBe(false)
    // Every map type Summit knows is created; a type it cannot make attributes for is not
    // probed (so never reported missing by mistake).
    expect(await has({ kind: 'mapType', mapType: MapType.stackTrace })).toBe(true)
    expect((await probe.check({ kind: 'mapType', mapType: 999 })).detail).toMatch(/not probed/)
    // Tracepoint programs have no test run.
    expect(await has({ kind: 'testRun', progType: ProgType.tracepoint })).toBe(false)
    const answers = await probe.answers()
    expect(Object.keys(answers)).toHaveLength(9)
    // A later probe trusts the answers it is given instead of asking again.
    const known = new Map(Object.entries(answers))
    known.set('helper:xdp:5', { ...answers['helper:xdp:5']!, detail: 'from an earlier probe' })
    const cached = new KernelFeatureProbe(oracle, known)
    expect((await cached.check({ kind: 'helper', progType: ProgType.xdp, helper: 5 })).detail).toBe(
      'from an earlier probe'
    )
  })
})

describe.skipIf(!available)('summit kernel-features', () => {
  const run = async (...argv: string[]): Promise<{ code: number; out: string }> => {
    let out = ''
    const code = await main(['kernel-features', ...argv], {
      out: (t) => void (out += t),
      err: () => undefined
    })
    return { code, out }
  }
  const encap = join(REPO_ROOT, 'test/fixtures/obj/xdp_encap.o')

  afterEach(() => {
    delete process.env['SUMMIT_KERNEL_FEATURES_OFF']
  })

  it('lists what a program needs; exit 1 names what this kernel lacks', async () => {
    const has = await run(encap, '--json')
    const doc = JSON.parse(has.out) as { features: { key: string; available: boolean }[] }
    expect(doc.features.map((f) => f.key).sort()).toEqual([
      'helper:xdp:44',
      'helper:xdp:54',
      'helper:xdp:65',
      'testrun:xdp'
    ])
    // This kernel may lack some of them; the exit code says whether it has them all.
    expect(has.code).toBe(doc.features.every((f) => f.available) ? 0 : 1)
    process.env['SUMMIT_KERNEL_FEATURES_OFF'] = 'helper:xdp:54'
    const lacks = await run(encap)
    expect(lacks.code).toBe(1)
    expect(lacks.out).toMatch(/NO +helper bpf_xdp_adjust_meta#54 in xdp programs/)
  })
})
