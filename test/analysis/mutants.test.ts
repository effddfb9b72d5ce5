/** @fileoverview Seeded mutants, and a sample of the analysis-vs-kernel agreement on them. */
import { afterAll, describe, expect, it } from 'vitest'
import { requiredFeatures } from '../../src-daemon/engine/kernel/features'
import { kernelHas } from '../support/environment'
import { makeMutants } from '../../src-daemon/core/analysis/mutants'
import { analyze } from '../../src-daemon/core/analysis/verifier'
import { lookupSpec } from '../../src-daemon/core/isa/lookup'
import { ProgType } from '../../src-daemon/engine/kernel/bpf-constants'
import { openKernelOracle } from '../kernel/kernel-test-support'
import { BENCH_NAMES, HAVE_K2, loadBench } from './k2-bench'

describe.skipIf(!HAVE_K2)('makeMutants', () => {
  const base = HAVE_K2 ? loadBench('xdp_fw') : { slots: [] }
  it('is reproducible from its seed and differs between seeds', () => {
    const a = makeMutants(base.slots, 7, 20)
    const b = makeMutants(base.slots, 7, 20)
    const c = makeMutants(base.slots, 8, 20)
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
  })

  it('changes one or two slots and keeps every ld_imm64 pair intact', () => {
    for (const m of makeMutants(base.slots, 3, 50)) {
      expect(m.slots).toHaveLength(base.slots.length)
      const changed = m.slots.filter(
        (s, i) => JSON.stringify(s) !== JSON.stringify(base.slots[i])
      ).length
      expect(changed).toBeGreaterThanOrEqual(0)
      expect(changed).toBeLessThanOrEqual(4)
      expect(m.mutations.length).toBeGreaterThanOrEqual(1)
      base.slots.forEach((s, i) => {
        if (lookupSpec(s)?.kind === 'lddw') expect(m.slots[i + 1]).toEqual(base.slots[i + 1])
      })
    }
  })
})

const { oracle, available } = await openKernelOracle('analysis-mutants')
afterAll(() => oracle.dispose())

const KERNEL_TYPE = {
  xdp: ProgType.xdp,
  socket_filter: ProgType.socketFilter,
  tracepoint: ProgType.tracepoint
} as const

describe.skipIf(!available || !HAVE_K2)(
  'agreement with the kernel on mutants of the K2 benchmark',
  () => {
    it('never accepts a mutant the kernel rejects, and agrees on nearly all', async () => {
      const m = { bothAccept: 0, onlyOurs: 0, onlyKernel: 0, bothReject: 0 }
      const disagreements: string[] = []
      const has = kernelHas('mutants of the K2 benchmark')
      for (const name of BENCH_NAMES) {
        const b = loadBench(name)
        const maps = []
        for (const def of b.maps) {
          const h = await oracle.createMap(def)
          if (!h.ok) throw new Error(h.error.message)
          maps.push(h.value)
        }
        const kernelType = KERNEL_TYPE[b.progType as keyof typeof KERNEL_TYPE]
        for (const mu of makeMutants(b.slots, 42, 25)) {
          // A mutant needing an instruction class or map type this kernel lacks has no kernel
          // verdict to compare (helpers are: every kernel refuses another type's helper).
          const needs = requiredFeatures(
            mu.slots,
            kernelType,
            b.maps.map((d) => d.type)
          ).filter((f) => f.kind !== 'helper')
          if (!(await has(needs))) continue
          const ours = analyze(mu.slots, {
            progType: b.progType,
            maps: b.maps,
            insnBudget: 100_000,
            ...(b.ctxSize ? { ctxSize: b.ctxSize } : {})
          })
          const k = await oracle.load(mu.slots, maps, { progType: kernelType })
          if (k.ok) await oracle.close(k.value)
          if (ours.ok && k.ok) m.bothAccept++
          else if (ours.ok) {
            m.onlyOurs++
            disagreements.push(
              `${name} ${JSON.stringify(mu.mutations)}: kernel ${(k.ok ? '' : (k.error.log ?? '')).slice(-200)}`
            )
          } else if (k.ok) {
            m.onlyKernel++
            disagreements.push(
              `${name} ${JSON.stringify(mu.mutations)}: ours ${ours.error.code} ${ours.error.message}`
            )
          } else m.bothReject++
        }
        for (const h of maps) await oracle.close(h)
      }
      console.log('[analysis-mutants] confusion matrix', m, disagreements)
      expect(m.onlyOurs).toBe(0)
      expect(m.bothAccept).toBeGreaterThan(20)
      expect(m.onlyKernel).toBeLessThanOrEqual(5)
    })
  }
)
