/**
 * @fileoverview Differential test: every test-runnable program of the compiled C fixtures
 * (xdp, tc, socket filter; linked like a loader would) in the kernel and in the interpreter on
 * the same seeded inputs. Tracepoint, kprobe and cgroup_skb programs (no test run here) and the
 * iproute2 object's (no type in their section names) are listed.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { diffProgram, type DiffStats } from './diff-driver'
import { fixturePrograms } from './diff-programs'
import { INPUTS_PER_PROGRAM, openOracle, summarize, totals } from './diff-test-support'
import { skipUnlessKernelRuns } from '../support/environment'

const { oracle, available } = await openOracle('differential fixtures')
const { programs, skipped } = fixturePrograms()
const all: DiffStats[] = []
afterAll(async () => {
  if (all.length > 0) console.log(`[differential fixtures] ${totals(all)}`)
  await oracle.dispose()
})

describe.skipIf(!available)('C fixtures: kernel vs interpreter', () => {
  it('test-runs every fixture program except those of types without a test run', () => {
    for (const s of skipped)
      console.log(`[differential fixtures] not compared: ${s.label}: ${s.reason}`)
    expect(skipped.map((s) => s.label).sort()).toEqual([
      'obj/cgroup_traffic/account_ingress',
      'obj/kprobe_counter/count_openat2',
      'obj/kprobe_open_events/trace_openat2',
      // iproute2's section names carry no type (kernel-check takes --type for them)
      'obj/legacy_iproute2/tc_ingress',
      'obj/legacy_iproute2/tc_tail',
      // a 0-entry array and a ring buffer with a value type: only a loader's fixups create them
      'obj/loader_fixups/xdp_events',
      'obj/syscall_counts/on_enter_openat',
      'obj/syscall_counts/on_exit_openat',
      'obj/tc_iproute2/filter_short',
      'obj/tc_iproute2/mark_leg',
      'obj/tc_iproute2/redirect_ingress',
      'obj/tracepoint_openat/count_openat'
    ])
    expect(programs.length).toBeGreaterThanOrEqual(17)
  })

  for (const [i, p] of programs.entries()) {
    it(`${p.label} agrees with the kernel on ${INPUTS_PER_PROGRAM} seeded inputs`, async () => {
      await skipUnlessKernelRuns(
        p.label,
        p.insns,
        p.progType,
        p.specs.map((m) => m.type),
        { testRun: true }
      )
      const s = await diffProgram(oracle, p, INPUTS_PER_PROGRAM, 2000 + i)
      all.push(s)
      console.log(summarize(s))
      expect(s.refusedTiny).toBe(s.tiny)
      expect(s.comparisons).toBeGreaterThan(INPUTS_PER_PROGRAM * 0.6)
      expect(s.mismatches.filter((m) => m.known === undefined).map((m) => m.outcome.parts)).toEqual(
        []
      )
    }, 120_000)
  }
})
