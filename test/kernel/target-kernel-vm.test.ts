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
import { atLeast, parseKernelVersion } from '../../src-daemon/core/analysis/kernel-target'
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
async function optimize(bench: string, name: string, target: string[]): Promise<string> {
  const out = join(dir, `${name}.insns`)
  for (const ext of ['desc', 'maps'])
    copyFileSync(bench.replace(/insns$/, ext), join(dir, `${name}.${ext}`))
  const r = await cli([
    'optimize',
    bench,
    '--iterations',
    '300000',
    '--chains',
    '1',
    '--seed',
    '1',
    ...target,
    '--out',
    out
  ])
  expect(r.code, r.err).toBe(0)
  return out
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
    if (!hasTool('qemu-system-x86_64', WHAT, 'qemu-system-x86')) return
    if (!hasTool('busybox', WHAT, 'busybox-static')) return
    const bench = sharedPath('bench/k2/sys_enter_open.insns', WHAT)
    if (bench === undefined) return
    const running = parseKernelVersion(release())
    if (!running.ok || !atLeast(running.value, { major: 6, minor: 14 })) {
      printSkip(WHAT, `the running kernel ${release()} keeps array lookups nullable itself`)
      return
    }
    const image = testKernelImage(WHAT)
    if (image === undefined) return
    const forRunning = await optimize(bench, 'running', [])
    const for61 = await optimize(bench, 'for61', ['--target-kernel', '6.1'])
    const a = await checkIn(image, forRunning)
    expect(a.kernel).toMatch(/^6\.1\.\d+-.*\(VM\)$/)
    expect(a.accepted).toBe(false)
    expect(a.log).toMatch(/R0 invalid mem access 'map_value_or_null'/)
    const b = await checkIn(image, for61)
    expect(b.accepted, b.log).toBe(true)
  }, 900_000)
})
