/**
 * @fileoverview K2's published claims (bench/k2-outputs): recomputes, for every benchmark, whether
 * the original and K2's output agree on generated inputs (interpreter, and kernel when BPF is
 * available), and checks the verdicts recorded in test/fixtures/equiv/k2-claims.json still hold;
 * a refuted claim's stored witness must still separate the two programs.
 */
import { readFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { missingKernelFeatures, skipUnlessKernelHas } from '../support/environment'
import {
  BENCH_NAMES,
  EQUIV_DIR,
  HAVE_K2,
  K2_DIR,
  loadK2Output,
  loadOriginal
} from './corpus-program'
import { differsOn } from './differential'
import { inputFromJson } from './input-json'
import { checkClaim, type ClaimRecord } from './k2-claims'
import { kernelInputFor, kernelOutcomesEqual, kernelRun, kernelRunFeatures } from './kernel-diff'
import { openKernelOracle } from '../kernel/kernel-test-support'

const records = JSON.parse(readFileSync(`${EQUIV_DIR}k2-claims.json`, 'utf8')) as ClaimRecord[]
const { oracle, available } = await openKernelOracle('equiv-corpus k2-claims')
afterAll(() => oracle.dispose())

describe.skipIf(!HAVE_K2)('K2 claims', () => {
  it('records a verdict for each of the 11 programs (socket-1 refuted, the others hold)', () => {
    expect(records.map((r) => r.name).sort()).toEqual([...BENCH_NAMES].sort())
    expect(records.filter((r) => r.verdict === 'refuted').map((r) => r.name)).toEqual(['socket-1'])
  })

  for (const name of BENCH_NAMES) {
    const rec = records.find((r) => r.name === name)
    it(`${name}: claim ${rec?.verdict ?? 'missing'} on recomputation`, async () => {
      const original = loadOriginal(name)
      const k2 = loadK2Output(name)
      // Without a kernel feature the programs need, the claim is checked without the kernel.
      const kernel =
        available &&
        (
          await missingKernelFeatures(
            `k2/${name} claim in the kernel`,
            kernelRunFeatures(original, k2)
          )
        ).length === 0
      const c = await checkClaim(name, {
        inputs: 600,
        kernelInputs: 12,
        seed: 3,
        ...(kernel ? { oracle } : {})
      })
      expect(c.record.verdict).toBe(rec?.verdict)
      expect(c.safety).toEqual({})
      if (kernel) expect(c.verifier).toEqual({})
      if (kernel && rec?.verdict === 'holds') expect(c.kernel).toBe('same')
      expect(k2.slots.length).toBe(original.slots.length)
      expect(original.slots.length - c.nops).toBe(k2NativeBest(name))
    })
  }

  it('socket-1: cb[0] = 256 on an all-zero buffer also separates original and K2 output', () => {
    const ctx = new Uint8Array(68)
    ctx[49] = 1
    expect(differsOn(loadOriginal('socket-1'), loadK2Output('socket-1'), { ctx })).toBe(true)
    expect(differsOn(loadOriginal('socket-0'), loadK2Output('socket-0'), { ctx })).toBe(false)
  })

  for (const rec of records.filter((r) => r.verdict === 'refuted')) {
    it(`${rec.name}: the stored witness separates original and K2 output (interpreter${available ? ' and kernel' : ''})`, async () => {
      expect(rec.witness).toBeDefined()
      const input = inputFromJson(rec.witness!)
      const original = loadOriginal(rec.name)
      const k2 = loadK2Output(rec.name)
      expect(differsOn(original, k2, input)).toBe(true)
      if (!available) return
      await skipUnlessKernelHas(`k2/${rec.name} witness`, kernelRunFeatures(original, k2))
      const k = kernelInputFor(original.env, input)
      expect(k).toBeDefined()
      const a = await kernelRun(oracle, original, k!)
      const b = await kernelRun(oracle, k2, k!)
      if (!a.ok || !b.ok) throw new Error('kernel run failed')
      expect(kernelOutcomesEqual(a.value, b.value)).toBe(false)
    })
  }
})

/** The instruction count of K2's run recorded in bench/k2/manifest.json (`k2_native.best`). */
function k2NativeBest(name: string): number {
  const m = JSON.parse(readFileSync(`${K2_DIR ?? ''}manifest.json`, 'utf8')) as {
    programs: { name: string; k2_native: { best: number } }[]
  }
  return m.programs.find((p) => p.name === name)?.k2_native.best ?? -1
}
