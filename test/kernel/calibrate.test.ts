/**
 * @fileoverview `summit calibrate`: measures the latency table in the kernel and stores it where
 * searches read it (root/BPF); without BPF permission it fails with one clear line.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ProgType, MapType } from '../../src-daemon/engine/kernel/bpf-constants'
import { calibrateCommand } from '../../src-daemon/cli/cmd-calibrate'
import { LATENCY_CLASSES } from '../../src-daemon/core/search/latency'
import { parseLatencyTable } from '../../src-daemon/core/search/latency-table'
import { readLatencyTable } from '../../src-daemon/engine/search/latency-file'
import { isRoot, printSkip, REPO_ROOT, skipUnlessKernelHas } from '../support/environment'
import { runCli } from '../differential/cli-support'
import { openKernelOracle } from './kernel-test-support'

const { oracle, available } = await openKernelOracle('summit calibrate')
afterAll(() => oracle.dispose())

describe('summit calibrate', () => {
  it('prints its usage with --help', async () => {
    const r = await runCli(calibrateCommand, '--help')
    expect(r.out + r.err).toMatch(/calibrate \[--data-dir D\] \[--rounds N\] \[--json\]/)
  })

  it.skipIf(!available)(
    'stores a table of sane shape: atomics dearer than adds, map lookups dearer than adds',
    async () => {
      await skipUnlessKernelHas('summit calibrate', [
        { kind: 'testRun', progType: ProgType.socketFilter },
        { kind: 'mapType', mapType: MapType.hash },
        { kind: 'insn', insn: 'atomic_fetch' }
      ])
      const dir = mkdtempSync(join(tmpdir(), 'summit-calibrate-'))
      const r = await runCli(calibrateCommand, '--data-dir', dir, '--rounds', '3', '--json')
      expect(r.err).toBe('')
      expect(r.code).toBe(0)
      const path = join(dir, 'latency.json')
      expect(existsSync(path)).toBe(true)
      const stored = parseLatencyTable(JSON.parse(readFileSync(path, 'utf8')), path)
      expect(stored.ok).toBe(true)
      const read = readLatencyTable(dir)
      if (!read.ok || read.value === undefined) throw new Error('table not readable back')
      const t = read.value
      expect(t.source).toBe('calibrated')
      expect(Object.keys(t.classes).sort()).toEqual([...LATENCY_CLASSES].sort())
      for (const v of [...Object.values(t.classes), ...Object.values(t.helpers)])
        expect(Number.isFinite(v) && v >= 0).toBe(true)
      // Robust orderings only: a locked read-modify-write against a plain add, a hash lookup
      // against a plain add, an update against a lookup.
      expect(t.classes.atomic).toBeGreaterThan(t.classes.alu)
      expect(t.helpers['1']!).toBeGreaterThan(t.classes.alu)
      expect(t.helpers['2']!).toBeGreaterThan(t.classes.alu)
      const doc = JSON.parse(r.out) as { path: string; measured: string[] }
      expect(doc.path).toBe(path)
      expect(doc.measured).toContain('atomic')
      expect(doc.measured).toContain('helper 1')
    },
    120_000
  )

  it('fails with one line and exit 2 without BPF permission (as user nobody)', () => {
    if (!isRoot('calibrate as nobody')) return
    if (spawnSync('sh', ['-c', 'command -v setpriv']).status !== 0) {
      printSkip('calibrate as nobody', 'setpriv missing (Debian: util-linux)')
      return
    }
    const dir = mkdtempSync(join(tmpdir(), 'summit-calibrate-nobody-'))
    const r = spawnSync(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        '--import',
        'tsx',
        join(REPO_ROOT, 'src-daemon/cli/main.ts'),
        'calibrate',
        '--data-dir',
        dir
      ],
      { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, HOME: tmpdir() }, timeout: 60_000 }
    )
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^summit calibrate: BPF is unavailable here: /)
    expect(existsSync(join(dir, 'latency.json'))).toBe(false)
  }, 90_000)
})
