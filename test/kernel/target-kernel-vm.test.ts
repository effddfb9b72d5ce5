/**
 * @fileoverview Target kernels end to end: K2's sys_enter_open optimized for the running kernel
 * drops the null check after its constant-key array lookup, which Debian 12's 6.1 kernel (booted
 * in a QEMU VM by `kernel-check --kernel`) rejects; optimized with `--target-kernel 6.1` it
 * keeps the check and 6.1 accepts it.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { release, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../src-daemon/cli/main'
import {
  atLeast,
  KERNEL_FEATURES,
  parseKernelVersion,
  targetHas
} from '../../src-daemon/core/analysis/kernel-target'
import { hasTool, printSkip, sharedPath, testKernelImage } from '../support/environment'

const WHAT = 'target kernel 6.1 in a VM'
const dir = mkdtempSync(join(tmpdir(), 'summit-target-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t) })
  return { code, out, err }
}

/** Optimizes sys_enter_open (fixed seed and budget, one chain) into `name`.insns beside its K2 files. */
async function optimize(
  bench: string,
  name: string,
  target: string[]
): Promise<{ file: string; slots: number }> {
  const out = join(dir, `${name}.insns`)
  for (const ext of ['desc', 'maps'])
    copyFileSync(bench.replace(/insns$/, ext), join(dir, `${name}.${ext}`))
  const r = await cli([
    'optimize',
    bench,
    '--iterations',
    '100000',
    '--chains',
    '1',
    '--seed',
    '1',
    ...target,
    '--out',
    out,
    '--json'
  ])
  expect(r.code, r.err).toBe(0)
  return { file: out, slots: (JSON.parse(r.out) as { bestSlots: number }).bestSlots }
}

interface Report {
  readonly accepted: boolean
  readonly log?: string
  readonly kernel?: string
}

async function checkIn(image: string, file: string): Promise<Report> {
  const r = await cli(['kernel-check', file, '--kernel', image, '--json'])
  expect([0, 1], r.err).toContain(r.code)
  return JSON.parse(r.out) as Report
}

describe('target kernels', () => {
  it('a result for the running kernel is rejected by 6.1; one made for 6.1 is accepted', async () => {
    const bench = sharedPath('bench/k2/sys_enter_open.insns', WHAT)
    if (bench === undefined) return
    const running = parseKernelVersion(release())
    if (!running.ok || !atLeast(running.value, { major: 6, minor: 14 })) {
      printSkip(WHAT, `the running kernel ${release()} keeps array lookups nullable itself`)
      return
    }
    const forRunning = await optimize(bench, 'running', [])
    const for61 = await optimize(bench, 'for61', ['--target-kernel', '6.1'])
    // The null check is what the 6.1 result keeps and the other drops.
    expect(forRunning.slots).toBeLessThan(for61.slots)
    // verify --target-kernel: equal, but only the 6.1 result passes the analysis for 6.1.
    const unsafe = await cli(['verify', bench, forRunning.file, '--target-kernel', '6.1'])
    expect(unsafe.code).toBe(1)
    expect(unsafe.out).toMatch(/^unsafe for Linux 6\.1: VERIFY_NULL_DEREF .*map_value_or_null/)
    const safe = await cli(['verify', bench, for61.file, '--target-kernel', '6.1'])
    expect(safe.code, safe.out).toBe(0)
    if (!hasTool('qemu-system-x86_64', WHAT, 'qemu-system-x86')) return
    if (!hasTool('busybox', WHAT, 'busybox-static')) return
    const image = testKernelImage(WHAT)
    if (image === undefined) return
    const a = await checkIn(image, forRunning.file)
    expect(a.kernel).toMatch(/^6\.1\.\d+-.*\(VM\)$/)
    expect(a.accepted).toBe(false)
    expect(a.log).toMatch(/R0 invalid mem access 'map_value_or_null'/)
    const b = await checkIn(image, for61.file)
    expect(b.accepted, b.log).toBe(true)
  }, 900_000)

  it("the feature table agrees with what 6.1's verifier accepts", async () => {
    if (!hasTool('qemu-system-x86_64', WHAT, 'qemu-system-x86')) return
    if (!hasTool('busybox', WHAT, 'busybox-static')) return
    const image = testKernelImage(WHAT)
    if (image === undefined) return
    const r = await cli(['kernel-features', '--kernel', image, '--json'])
    expect([0, 1], r.err).toContain(r.code)
    const doc = JSON.parse(r.out) as {
      kernel: string
      features: { key: string; available: boolean }[]
    }
    const v61 = parseKernelVersion(doc.kernel)
    expect(v61.ok && v61.value).toEqual({ major: 6, minor: 1 })
    const probed = new Map(doc.features.map((f) => [f.key, f.available]))
    let compared = 0
    for (const row of KERNEL_FEATURES) {
      const seen = probed.get(`insn:${row.feature}`)
      if (seen === undefined) continue
      expect(seen, row.feature).toBe(targetHas({ major: 6, minor: 1 }, row.feature))
      compared++
    }
    expect(compared).toBeGreaterThanOrEqual(5)
  }, 300_000)
})
