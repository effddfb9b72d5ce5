/**
 * @fileoverview The desktop shell end to end (Playwright's Electron support), where Electron's
 * binary and a display exist: the window shows the renderer from summit://app, main found or
 * started the daemon and handed its address through the preload bridge, Node is out of reach,
 * and navigation away and new windows are refused. Elsewhere it prints why it was skipped.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { _electron, type ElectronApplication } from 'playwright-core'
import { findElectron } from '../../src-daemon/cli/electron-shell'
import { ROOT } from '../daemon/daemon-support'
import { printSkip } from '../support/environment'

/** Runs `electron-vite build` (it needs no Electron binary); returns its status and stderr. */
function buildDesktop(): { status: number | null; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'],
    { cwd: ROOT, encoding: 'utf8', timeout: 300_000 }
  )
  return { status: r.status, stderr: r.stderr }
}

describe('the desktop build', () => {
  it('builds main, a CommonJS preload for the sandbox and the renderer, without the binary', () => {
    const r = buildDesktop()
    expect(r.status, r.stderr).toBe(0)
    const preload = readFileSync(join(ROOT, 'out/preload/index.js'), 'utf8')
    // A sandboxed preload may require only electron: everything else is bundled in.
    expect([...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1])).toEqual([
      'electron'
    ])
    expect(preload).toContain('exposeInMainWorld')
    expect(readFileSync(join(ROOT, 'out/main/index.js'), 'utf8')).toContain('summit')
    expect(existsSync(join(ROOT, 'out/renderer/index.html'))).toBe(true)
  }, 300_000)
})

const shell = findElectron()
if (!shell.available) printSkip('the Electron desktop shell test', shell.reason)

describe.skipIf(!shell.available)('the Electron desktop shell', () => {
  let app: ElectronApplication | undefined
  afterAll(async () => app?.close())

  it('opens a locked-down window connected to the daemon', async () => {
    if (!shell.available) return
    const build = buildDesktop()
    expect(build.status, build.stderr).toBe(0)
    const dataDir = mkdtempSync(join(tmpdir(), 'summit-electron-'))
    app = await _electron.launch({
      executablePath: shell.binary,
      args: [ROOT],
      cwd: ROOT,
      env: { ...process.env, SUMMIT_DATA_DIR: dataDir }
    })
    const page = await app.firstWindow()
    expect(page.url()).toBe('summit://app/index.html')
    await page.waitForSelector('[data-testid=connection]:has-text("daemon connected")', {
      timeout: 60_000
    })
    const seen = await page.evaluate(() => {
      const g = globalThis as unknown as {
        summit?: { shell: string }
        require?: unknown
        process?: unknown
      }
      return { shell: g.summit?.shell, require: typeof g.require, process: typeof g.process }
    })
    expect(seen).toEqual({ shell: 'electron', require: 'undefined', process: 'undefined' })
    const opened = await page.evaluate(
      () =>
        (globalThis as unknown as { open(u: string): unknown }).open('https://example.com') === null
    )
    expect(opened).toBe(true)
    await page.evaluate(() => {
      ;(globalThis as unknown as { location: { href: string } }).location.href =
        'https://example.com/'
    })
    await page.waitForTimeout(500)
    expect(page.url()).toBe('summit://app/index.html')
    await page.screenshot({ path: join(ROOT, 'test-results/screenshots/electron-window.png') })
  })
})
