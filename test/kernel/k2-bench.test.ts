/** @fileoverview The 11 K2 benchmark programs through the kernel verifier: which types accept them. */
import { afterAll, describe, expect, it } from 'vitest'
import { requiredFeatures } from '../../src-daemon/engine/kernel/features'
import { skipUnlessKernelHas, skipUnlessKernelRuns } from '../support/environment'
import { ProgType } from '../../src-daemon/engine/kernel/bpf-constants'
import { k2KernelRun } from '../../src-daemon/engine/kernel/k2-run-type'
import { K2_BENCH_DIR, k2BenchNames, k2MapRefsToIndices, readK2Bench } from './k2-bench-files'
import { openKernelOracle, readU64le, u32le, unwrap } from './kernel-test-support'

const { oracle, available } = await openKernelOracle('k2-bench')
afterAll(() => oracle.dispose())

const TYPES = {
  xdp: ProgType.xdp,
  socket: ProgType.socketFilter,
  sched_cls: ProgType.schedCls,
  tracepoint: ProgType.tracepoint,
  raw_tp: ProgType.rawTracepoint
} as const
type TypeName = keyof typeof TYPES

/** Program types whose verifier accepted each benchmark on this kernel (6.18), as measured. */
const ACCEPTED: Record<string, TypeName[]> = {
  'socket-0': ['socket', 'sched_cls'],
  'socket-1': ['socket', 'sched_cls'],
  sys_enter_open: ['xdp', 'socket', 'sched_cls', 'tracepoint', 'raw_tp'],
  xdp1: ['xdp'],
  xdp_cpumap_enqueue: ['socket', 'sched_cls', 'tracepoint', 'raw_tp'],
  xdp_devmap_xmit: ['socket', 'sched_cls', 'tracepoint', 'raw_tp'],
  xdp_exception: ['xdp', 'socket', 'sched_cls', 'tracepoint', 'raw_tp'],
  xdp_fw: ['xdp'],
  xdp_map_access: ['xdp', 'socket', 'sched_cls', 'raw_tp'],
  xdp_pktcntr: ['xdp', 'socket', 'sched_cls', 'tracepoint', 'raw_tp'],
  xdp_redirect_err: ['socket', 'sched_cls', 'tracepoint', 'raw_tp']
}

/** The run type `k2KernelRun` picks for each benchmark. */
const RUN_AS: Record<string, TypeName> = {
  'socket-0': 'socket',
  'socket-1': 'socket',
  sys_enter_open: 'raw_tp',
  xdp1: 'xdp',
  xdp_cpumap_enqueue: 'raw_tp',
  xdp_devmap_xmit: 'raw_tp',
  xdp_exception: 'raw_tp',
  xdp_fw: 'xdp',
  xdp_map_access: 'xdp',
  xdp_pktcntr: 'raw_tp',
  xdp_redirect_err: 'raw_tp'
}

describe.skipIf(!available || K2_BENCH_DIR === undefined)(
  'K2 benchmarks in the kernel verifier',
  () => {
    it('finds all 11 benchmark programs', () => {
      expect(k2BenchNames()).toEqual(Object.keys(ACCEPTED).sort())
    })

    for (const name of Object.keys(ACCEPTED)) {
      it(`${name}: accepted exactly as ${ACCEPTED[name]!.join(', ')}; runs as ${RUN_AS[name]}`, async () => {
        const bench = readK2Bench(name)
        const insns = k2MapRefsToIndices(bench)
        const plan = k2KernelRun(bench.inputType, bench.insns)
        const mapTypes = bench.maps.map((m) => m.type)
        await skipUnlessKernelHas(`k2/${name}`, [
          ...ACCEPTED[name]!.flatMap((t) => requiredFeatures(insns, TYPES[t], mapTypes)),
          ...requiredFeatures(insns, plan.progType, mapTypes, { testRun: true })
        ])
        const accepted: TypeName[] = []
        for (const [typeName, progType] of Object.entries(TYPES) as [TypeName, number][]) {
          const r = await oracle.verifyOnly(insns, bench.maps, { progType })
          if (r.ok) accepted.push(typeName)
          else expect(r.error.code).toBe('KERNEL_VERIFIER_REJECTED')
        }
        expect(accepted).toEqual(ACCEPTED[name])

        expect(plan.progType).toBe(TYPES[RUN_AS[name]!])
        const size = Math.min(Math.max(bench.maxPktSize, 14), plan.maxInputBytes)
        const buffer = new Uint8Array(size).map((_, i) => (i * 37 + 11) & 0xff)
        const input = plan.input === 'packet' ? { data: buffer } : { ctx: buffer }
        const out = unwrap(
          await oracle.runOnce(insns, bench.maps, { progType: plan.progType, ...input })
        )
        expect(out.run.retval).toBeGreaterThanOrEqual(0)
        expect(out.maps).toHaveLength(bench.maps.length)
      })
    }

    it('xdp_pktcntr (desc type 1, never reads r1) also runs as XDP and counts when enabled', async () => {
      const bench = readK2Bench('xdp_pktcntr')
      const insns = k2MapRefsToIndices(bench)
      await skipUnlessKernelRuns(
        'k2/xdp_pktcntr as XDP',
        insns,
        ProgType.xdp,
        bench.maps.map((m) => m.type),
        { testRun: true }
      )
      const data = new Uint8Array(bench.maxPktSize)
      const run = async (enabled: number): Promise<bigint> => {
        const out = unwrap(
          await oracle.runOnce(insns, bench.maps, {
            progType: ProgType.xdp,
            data,
            mapEntries: [undefined, [{ key: u32le(0), value: u32le(enabled) }]]
          })
        )
        expect(out.run.retval).toBe(2)
        const counters = out.maps[0]
        if (!counters?.readable) throw new Error('cntrs_array unreadable')
        return readU64le(counters.entries[0]!.value)
      }
      expect(await run(0)).toBe(0n)
      expect(await run(1)).toBe(1n)
    })
  }
)
