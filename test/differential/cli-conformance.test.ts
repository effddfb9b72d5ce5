/** @fileoverview `summit conformance DIR`: runs bpf_conformance `.data` files; last line `N passed, N failed`. */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { conformanceCommand } from '../../src-daemon/cli/cmd-conformance'
import { ROOT, runCli } from './cli-support'

const CORPUS = join(ROOT, 'test/data/conformance')

describe('summit conformance', () => {
  it('runs the whole corpus (DIR/tests found from DIR) and ends with the summary line', async () => {
    const files = readdirSync(join(CORPUS, 'tests')).filter((f) => f.endsWith('.data'))
    const r = await runCli(conformanceCommand, CORPUS)
    const last = r.out.trimEnd().split('\n').at(-1)
    expect(last).toMatch(/^\d+ passed, \d+ failed$/)
    const [, passed, failed] = /^(\d+) passed, (\d+) failed$/.exec(last ?? '') ?? []
    expect(Number(passed) + Number(failed)).toBe(files.length)
    // test/interp/conformance-known-failures.json lists no known failures.
    expect(Number(failed)).toBe(0)
    expect(r.code).toBe(0)
  }, 60_000)

  it('reports a failing test with its expectation and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'summit-conf-'))
    writeFileSync(join(dir, 'good.data'), '-- asm\nmov %r0, 3\nexit\n-- result\n0x3\n')
    writeFileSync(join(dir, 'bad.data'), '-- asm\nmov %r0, 3\nexit\n-- result\n0x4\n')
    const r = await runCli(conformanceCommand, dir)
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/FAIL .*bad\.data: expected r0 = 0x4, got r0 = 0x3/)
    expect(r.out).not.toMatch(/good\.data/)
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('1 passed, 1 failed')
    const verbose = await runCli(conformanceCommand, dir, '--verbose', '--filter', 'good')
    expect(verbose.out).toBe(
      `PASS ${join(dir, 'good.data')}: expected r0 = 0x3, got r0 = 0x3\n1 passed, 0 failed\n`
    )
  })

  it('prints one JSON document with --json (summary on stderr)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'summit-conf-'))
    writeFileSync(join(dir, 'one.data'), '-- asm\nmov %r0, 1\nexit\n-- result\n0x1\n')
    const r = await runCli(conformanceCommand, dir, '--json')
    expect(JSON.parse(r.out)).toMatchObject({ passed: 1, failed: 0 })
    expect(r.err).toBe('1 passed, 0 failed\n')
  })

  it('exits 2 for a missing directory or one without .data files', async () => {
    const missing = await runCli(conformanceCommand, join(tmpdir(), 'summit-no-such-dir'))
    expect(missing.code).toBe(2)
    expect(missing.err).toMatch(/INPUT_NOT_FOUND/)
    const empty = await runCli(conformanceCommand, mkdtempSync(join(tmpdir(), 'summit-conf-')))
    expect(empty.code).toBe(2)
    expect(empty.err).toMatch(/CONFORMANCE_EMPTY/)
  })
})
