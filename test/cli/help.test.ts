/** @fileoverview Every `summit` command and every benchmark answers `--help` without running. */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { COMMANDS } from '../../src-daemon/cli/commands'
import { main } from '../../src-daemon/cli/main'
import { REPO_ROOT } from '../support/environment'

async function summit(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t) })
  return { code, out, err }
}

describe('summit --help', () => {
  for (const c of COMMANDS) {
    it(`${c.name} --help and help ${c.name} print its usage and exit 0`, async () => {
      for (const argv of [
        [c.name, '--help'],
        [c.name, '-h'],
        ['help', c.name]
      ]) {
        const r = await summit(...argv)
        expect(r.code, argv.join(' ')).toBe(0)
        expect(r.err).toBe('')
        expect(r.out).toContain(`usage: summit ${c.usage}`)
        expect(r.out).toContain(c.summary)
      }
    })
  }

  it('help alone lists every command; no arguments is a usage error', async () => {
    const r = await summit('help')
    expect(r.code).toBe(0)
    for (const c of COMMANDS) expect(r.out).toContain(c.usage)
    expect((await summit()).code).toBe(2)
  })
})

describe('npm run bench -- NAME --help', () => {
  const benches = readdirSync(join(REPO_ROOT, 'bench'))
    .filter((f) => f.endsWith('.ts') && f !== 'main.ts')
    .map((f) => f.slice(0, -3))
  const bench = (...argv: string[]): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench/main.ts'), ...argv], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000
    })

  it('lists every benchmark', () => {
    const r = bench('--help')
    expect(r.status).toBe(0)
    for (const b of benches) expect(String(r.stdout)).toContain(`${b}\n`)
  })

  for (const b of benches) {
    it(`${b} describes itself instead of running`, () => {
      const r = bench(b, '--help')
      expect(r.status, String(r.stderr)).toBe(0)
      const out = String(r.stdout)
      expect(out.startsWith(`npm run bench -- ${b}\n`)).toBe(true)
      expect(out.length).toBeGreaterThan(80)
    })
  }
})
