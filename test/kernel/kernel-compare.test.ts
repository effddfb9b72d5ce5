/**
 * @fileoverview `summit kernel-check FILE --against ORIGINAL`: verdicts, the differential run
 * (any difference fails), the instructions each input executes, and latency with an interval.
 * Only robust outcomes are asserted: a program made ~2 µs slower by a loop is measurably slower,
 * identical programs show no measurable difference, a changed verdict or counter is a mismatch.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { kernelCheckCommand } from '../../src-daemon/cli/cmd-kernel-check'
import type { CompareReport } from '../../src-daemon/engine/kernel/kernel-compare'
import { K2, OBJ, runCli } from '../differential/cli-support'
import { openKernelOracle } from './kernel-test-support'
import { skipUnlessKernelHas } from '../support/environment'
import { MapType, ProgType } from '../../src-daemon/engine/kernel/bpf-constants'
import type { KernelFeature } from '../../src-daemon/engine/kernel/features'

const { oracle, available } = await openKernelOracle('kernel-compare')
afterAll(() => oracle.dispose())
const K2DIR = K2 ?? ''
const hasK2 = K2 !== undefined && existsSync(join(K2DIR, 'xdp1.insns'))

const dir = mkdtempSync(join(tmpdir(), 'summit-compare-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function asm(name: string, text: string): string {
  const file = join(dir, `${name}.s`)
  writeFileSync(file, text)
  return file
}

/** Runs kernel-check --against with --json and returns the exit code and the report. */
async function compare(file: string, original: string, ...flags: string[]) {
  const r = await runCli(kernelCheckCommand, file, '--against', original, '--json', ...flags)
  expect(r.err).toBe('')
  return { code: r.code, report: JSON.parse(r.out) as CompareReport }
}

const PASS = 'r0 = 2\nexit\n'

const testRun = (progType: number): KernelFeature => ({ kind: 'testRun', progType })
const needs = (what: string, ...features: KernelFeature[]) =>
  skipUnlessKernelHas(`kernel-check --against: ${what}`, features)

describe.skipIf(!available)('kernel-check --against', () => {
  it('reports a program slowed by a 3,000-step loop as measurably slower, with equal behaviour', async () => {
    await needs('slow loop', testRun(ProgType.xdp), { kind: 'insn', insn: 'bounded_loops' })
    const slow = asm('slow', 'r1 = 0\nr1 += 1\nif r1 < 3000 goto -2\nr0 = 2\nexit\n')
    const { code, report } = await compare(
      slow,
      asm('pass', PASS),
      '--type',
      'xdp',
      '--rounds',
      '6',
      '--repeats',
      '100,1000',
      '--inputs',
      'realistic'
    )
    expect(code).toBe(0)
    expect(report.original.accepted && report.rewritten.accepted).toBe(true)
    expect(report.mismatches).toEqual([])
    expect(report.inputs.length).toBeGreaterThanOrEqual(15)
    expect(report.latency?.verdict).toBe('slower')
    expect(
      report.latency?.perRepeat.every((p) => p.interval !== undefined && p.interval.low > 0)
    ).toBe(true)
    expect(report.changed?.rewritten.length).toBeGreaterThan(0)
    expect(report.inputs.every((i) => i.reachesChange.rewritten.length > 0)).toBe(true)
    expect(report.warnings).toEqual([])
  })

  it.skipIf(!hasK2)('finds no measurable difference between a program and itself', async () => {
    await needs('xdp_fw', testRun(ProgType.xdp), { kind: 'mapType', mapType: MapType.hash })
    const { code, report } = await compare(
      join(K2DIR, 'xdp_fw.insns'),
      join(K2DIR, 'xdp_fw.insns'),
      '--rounds',
      '10',
      '--repeats',
      '200,2000'
    )
    expect(code).toBe(0)
    expect(report.mismatches).toEqual([])
    expect(report.changed).toEqual({ original: [], rewritten: [] })
    expect(report.latency?.verdict).toBe('no measurable difference')
    expect(report.latency?.perRepeat).toHaveLength(2)
  })

  it('fails (exit 1) when the rewritten program returns another verdict', async () => {
    await needs('verdicts', testRun(ProgType.xdp))
    const r = await runCli(
      kernelCheckCommand,
      asm('drop', 'r0 = 1\nexit\n'),
      '--against',
      asm('pass2', PASS),
      '--type',
      'xdp',
      '--rounds',
      '0',
      '--inputs',
      'realistic'
    )
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/differential: MISMATCH on \d+ input\(s\)/)
    expect(r.out).toMatch(/ipv4-tcp-syn: r0: original 2 \/ rewritten 1/)
  })

  it.skipIf(!hasK2)('fails when a map counter changes (K2 xdp1 counting by 2)', async () => {
    await needs('xdp1', testRun(ProgType.xdp), { kind: 'mapType', mapType: MapType.percpuArray })
    for (const ext of ['maps', 'desc'])
      copyFileSync(join(K2DIR, `xdp1.${ext}`), join(dir, `xdp1-by2.${ext}`))
    const bytes = new Uint8Array(readFileSync(join(K2DIR, 'xdp1.insns')))
    const at = bytes.length - 4 * 8 // r1 += 1, four slots before the end
    expect([bytes[at], bytes[at + 4]]).toEqual([0x07, 1])
    bytes[at + 4] = 2
    writeFileSync(join(dir, 'xdp1-by2.insns'), bytes)
    const { code, report } = await compare(
      join(dir, 'xdp1-by2.insns'),
      join(K2DIR, 'xdp1.insns'),
      '--rounds',
      '0'
    )
    expect(code).toBe(1)
    expect(report.mismatches.length).toBeGreaterThan(0)
    expect(report.mismatches.flatMap((m) => m.differences.map((d) => d.part))).toContain(
      'map rxcnt'
    )
  })

  it('runs different code with equal behaviour (atomic against plain per-CPU counters) and sees the inputs reach it', async () => {
    await needs('counters', testRun(ProgType.schedCls), {
      kind: 'mapType',
      mapType: MapType.percpuHash
    })
    const { code, report } = await compare(
      join(OBJ, 'counter_atomic.o'),
      join(OBJ, 'counter_plain.o'),
      '--rounds',
      '0'
    )
    expect(code).toBe(0)
    expect(report.original.loader).toBe('libbpf')
    expect(report.mismatches).toEqual([])
    expect(report.changed?.rewritten.length).toBeGreaterThan(0)
    // The first run inserts the entry, the repeated runs update it: the atomic adds are reached.
    const ran = report.inputs.filter((i) => i.outcome === 'same')
    expect(ran.length).toBeGreaterThan(10)
    expect(ran.every((i) => i.reachesChange.rewritten.length > 0)).toBe(true)
    expect(report.inputs.some((i) => i.source === 'generated')).toBe(true)
  })

  it('warns when no input reaches a changed instruction', async () => {
    await needs('guarded change', testRun(ProgType.xdp))
    // The change sits behind a length test no frame passes (longer than any frame tried).
    const head =
      'r2 = *(u32 *)(r1 + 4)\nr3 = *(u32 *)(r1 + 0)\nr2 -= r3\nif r2 > 9000 goto +2\nr0 = 2\nexit\n'
    const a = asm('guarded-a', `${head}r0 = 1\nexit\n`)
    const b = asm('guarded-b', `${head}r0 = 1\nr0 += 0\nexit\n`)
    const { code, report } = await compare(
      b,
      a,
      '--type',
      'xdp',
      '--rounds',
      '6',
      '--repeats',
      '100,1000'
    )
    expect(code).toBe(0)
    expect(report.mismatches).toEqual([])
    expect(report.warnings.join('\n')).toMatch(/no input reaches a changed instruction/)
  })

  it.skipIf(!hasK2)(
    'times raw_tracepoint programs with the kernel run-time statistics',
    async () => {
      await needs('raw_tracepoint', testRun(ProgType.rawTracepoint))
      const prog = join(K2DIR, 'sys_enter_open.insns')
      const { code, report } = await compare(prog, prog, '--rounds', '6', '--repeats', '50,200')
      expect(code).toBe(0)
      expect(report.original.progType).toBe('raw_tracepoint')
      if (report.latency === undefined) {
        // Without CAP_SYS_ADMIN the statistics are unavailable, and the report says so.
        expect(report.latencyNote).toMatch(/BPF_ENABLE_STATS/)
        return
      }
      expect(report.latency.method).toBe('stats')
      expect(report.latency.perRepeat[0]!.original.median).toBeGreaterThan(0)
    }
  )
})
