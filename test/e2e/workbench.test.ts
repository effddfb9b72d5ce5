/**
 * @fileoverview End to end: the browser UI (`summit ui`'s page) in Debian's Chromium against a
 * real daemon process. A broken file gives its code in place and the app keeps working; a real
 * program is imported, searched, watched; the daemon is killed and restarted mid-search and the
 * page reconnects while the job resumes; the improvement's diff is opened (and checked in the
 * kernel with Check in kernel) and the export is read
 * back with our reader (and loaded by the kernel where BPF is available); jobs are controlled.
 * Every view is scanned with axe-core (no serious or critical violations) and photographed in
 * light and dark (test-results/screenshots).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { uiUrl } from '../../src-daemon/api/protocol/ui-address'
import { ensureWebBuild } from '../../src-daemon/cli/web-build'
import { kernelCheckCommand } from '../../src-daemon/cli/cmd-kernel-check'
import { loadInput } from '../../src-daemon/engine/program/load'
import { ROOT, startTestDaemon, until, type TestDaemon } from '../daemon/daemon-support'
import { runCli } from '../differential/cli-support'
import { openOracle } from '../differential/diff-test-support'
import { k2BenchDir, printSkip } from '../support/environment'

const CHROMIUM = '/usr/bin/chromium'
const SHOTS = join(ROOT, 'test-results/screenshots')
const VIEWS = ['import', 'program', 'search', 'progress', 'diff', 'export', 'jobs'] as const
const browserAvailable = existsSync(CHROMIUM)
if (!browserAvailable)
  printSkip('end-to-end tests of the workbench', `${CHROMIUM} is missing (Debian package chromium)`)

/**
 * The program the search runs on: K2's xdp_map_access benchmark (a K2 triple, imported as three
 * files) where ../shared is beside the checkout, else the shipped sample object.
 */
const K2_DIR = k2BenchDir()
const SAMPLE =
  K2_DIR !== undefined
    ? {
        files: ['insns', 'maps', 'desc'].map((e) => join(K2_DIR, `xdp_map_access.${e}`)),
        section: 'xdp_map_access.insns',
        kind: 'k2' as const
      }
    : {
        files: [join(ROOT, 'resources/samples/redundant_xdp.o')],
        section: 'xdp',
        kind: 'elf' as const
      }
if (K2_DIR === undefined)
  printSkip(
    "the workbench's search on a K2 benchmark program",
    '../shared is absent; the search runs on resources/samples/redundant_xdp.o instead'
  )

/** The text of the first element matching `sel`. */
const textOf = async (page: Page, sel: string): Promise<string> =>
  (await page.locator(sel).first().textContent()) ?? ''

/** The job's iteration count as the progress view shows it. */
const iterations = async (page: Page): Promise<number> =>
  Number((await textOf(page, '[data-testid=iterations]')).replace(/\D/g, '') || '0')

/** Serious and critical axe-core violations on the page now. */
async function axeViolations(page: Page): Promise<string[]> {
  const source = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(source)
  const found = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run(
            c: unknown,
            o: object
          ): Promise<{
            violations: { id: string; impact: string; nodes: { target: string[] }[] }[]
          }>
        }
      }
    ).axe
    const doc = (globalThis as unknown as { document: unknown }).document
    const r = await axe.run(doc, { resultTypes: ['violations'] })
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      where: v.nodes.slice(0, 3).map((n) => n.target.join(' '))
    }))
  })
  return found
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.where.join(', ')}`)
}

describe.skipIf(!browserAvailable)('the workbench in Chromium against a real daemon', () => {
  const dir = mkdtempSync(join(tmpdir(), 'summit-e2e-'))
  let daemon: TestDaemon
  let browser: Browser
  let page: Page
  let jobId = 0
  let beforeKill = 0

  beforeAll(async () => {
    const failed = ensureWebBuild(() => undefined)
    if (failed !== undefined) throw new Error(failed)
    mkdirSync(SHOTS, { recursive: true })
    daemon = await startTestDaemon(dir)
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run'
      ]
    })
    page = await browser.newPage({
      viewport: { width: 1360, height: 900 },
      colorScheme: 'light',
      acceptDownloads: true
    })
    page.on('pageerror', (e) => console.log(`[e2e workbench] page error: ${e.message}`))
  })

  afterAll(async () => {
    await browser?.close()
    if (daemon?.child.exitCode === null) {
      daemon.child.kill('SIGTERM')
      await daemon.exited
    }
  })

  it('connects; a broken file gets its code in place and the app keeps working', async () => {
    await page.goto(uiUrl(daemon.info.url, daemon.info.token))
    await page.waitForSelector('[data-testid=connection]:has-text("daemon connected")')
    // The token moved out of the address bar into session storage.
    expect(page.url()).not.toContain('token=')
    await page.setInputFiles('[data-testid=file-input]', {
      name: 'broken.o',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('\x7fELF this is not an object file')
    })
    const err = page.locator('[data-testid=error]')
    await err.waitFor()
    expect(await err.getAttribute('role')).toBe('alert')
    const text = (await err.textContent()) ?? ''
    expect(text).toMatch(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/) // a stable code, e.g. ELF_...
    expect(text).toContain('broken.o')
    await page.screenshot({ path: join(SHOTS, 'import-error-light.png') })
    await page.setInputFiles(
      '[data-testid=file-input]',
      join(ROOT, 'resources/samples/xdp_udp_filter.o')
    )
    await page.waitForSelector('[data-testid=sections]:has-text("xdp_udp_filter")')
    expect(await err.count()).toBe(0)
    await page.click('[data-testid=open-program]')
    await page.waitForSelector('table.asm')
    const listing = await textOf(page, 'table.asm')
    expect(listing).toContain('goto <L0>')
    expect(listing).toContain('<L0>:')
    expect(await page.locator('figure.cfg svg').count()).toBe(1)
  })

  it('starts a search from the schema form and shows progress moving', async () => {
    await page.click('[data-view=import]')
    await page.setInputFiles('[data-testid=file-input]', SAMPLE.files)
    await page.waitForSelector(
      `[data-testid=sections]:has-text("${SAMPLE.kind === 'k2' ? SAMPLE.section : 'redundant_pass'}")`
    )
    await page.click('[data-testid=open-program]')
    await page.click('[data-view=search]')
    await page.fill('[data-field=timeSeconds] input', '300')
    // Bounded by time only, so the job is still running when the Jobs view controls it.
    await page.fill('[data-field=iterations] input', '0')
    await page.click('[data-testid=start-search]')
    await page.waitForSelector('[data-testid=job-state]:has-text("running")')
    jobId = (await daemon.client.listJobs()).find((j) => j.state === 'running')!.id
    const first = await until(
      async () => ((await iterations(page)) > 0 ? iterations(page) : undefined),
      90_000
    )
    await until(async () => ((await iterations(page)) > first ? true : undefined), 60_000)
    beforeKill = await iterations(page)
  })

  it('reconnects after the daemon is killed and restarted mid-search; the job resumes', async () => {
    daemon.child.kill('SIGKILL')
    await daemon.exited
    await page.waitForSelector('[data-testid=connection]:not(:has-text("daemon connected"))')
    daemon = await startTestDaemon(dir)
    await page.waitForSelector('[data-testid=connection]:has-text("daemon connected")', {
      timeout: 30_000
    })
    expect((await daemon.client.getJob(jobId)).state).toBe('running')
    await page.waitForSelector('[data-testid=job-state]:has-text("running")')
    // Progress moves again, from the checkpoint (not from zero).
    const resumedAt = await until(async () => {
      const n = await iterations(page)
      return n > 0 ? n : undefined
    }, 60_000)
    await until(async () => ((await iterations(page)) > resumedAt ? true : undefined), 90_000)
    expect(await iterations(page)).toBeGreaterThan(0)
    console.log(
      `[e2e workbench] job ${jobId}: ${beforeKill} iterations before the kill, moving again from ${resumedAt}`
    )
  })

  it('finds an improvement, shows the diff, and exports a file our reader parses', async () => {
    await page.waitForSelector('[data-testid=improvements] button:has-text("Diff")', {
      timeout: 150_000
    })
    await page.click('[data-testid=improvements] button:has-text("Diff")')
    await page.waitForSelector('[data-testid=diff-tally]')
    const tally = await textOf(page, '[data-testid=diff-tally]')
    const removed = Number(/(\d+) removed/.exec(tally)?.[1] ?? '0')
    expect(removed).toBeGreaterThan(0)
    expect(await textOf(page, '[data-testid=verdicts]')).toContain('proven equal')
    const best = (await daemon.client.improvements(jobId)).at(-1)!
    await page.click('[data-view=export]')
    const download = page.waitForEvent('download')
    await page.click('[data-testid=export-button]')
    const file = join(dir, (await download).suggestedFilename())
    await (await download).saveAs(file)
    await page.waitForSelector('[data-testid=export-result]')
    if (SAMPLE.kind === 'k2') {
      // A K2 program is exported as its .insns; the maps and description stay as they were.
      const base = file.replace(/\.insns$/, '')
      copyFileSync(SAMPLE.files[1]!, `${base}.maps`)
      copyFileSync(SAMPLE.files[2]!, `${base}.desc`)
    }
    const input = loadInput(file)
    expect(input.kind).toBe(SAMPLE.kind)
    const searched = (i: typeof input): (typeof input.programs)[number] =>
      SAMPLE.kind === 'k2' ? i.programs[0]! : i.programs.find((p) => p.section === 'xdp')!
    expect(searched(input).slots.length).toBe(best.slots)
    expect(best.slots).toBeLessThan(searched(loadInput(SAMPLE.files[0]!)).slots.length)
    const { oracle, available } = await openOracle('e2e workbench: kernel load of the export')
    oracle.dispose()
    if (available) {
      const r = await runCli(kernelCheckCommand, file)
      expect(r.code).toBe(0)
      expect(r.out).toMatch(/accepted by the kernel verifier/)
    }
  })

  it('checks the improvement in the kernel from the Diff view', async () => {
    await page.click('[data-view=diff]')
    await page.click('[data-testid=kernel-check-button]')
    const verdict = page.locator('[data-testid=kernel-verdict]')
    await page.waitForSelector('[data-testid=kernel-verdict]:not(:has-text("not checked"))')
    const { oracle, available } = await openOracle('e2e workbench: Check in kernel accepted')
    await oracle.dispose()
    // Without BPF the badge must say it could not check: never accepted.
    const expected = available ? 'kernel verifier: accepted' : 'could not check'
    await page.waitForSelector(`[data-testid=kernel-verdict]:has-text("${expected}")`, {
      timeout: 120_000
    })
    expect(await verdict.textContent()).toContain(expected)
    if (available) await page.waitForSelector('[data-testid=kernel-latency]')
  })

  it('every view passes axe-core (no serious or critical) in light and dark; screenshots kept', async () => {
    const problems: string[] = []
    for (const theme of ['light', 'dark'] as const) {
      const now = await page.evaluate(
        () =>
          (
            globalThis as unknown as {
              document: { documentElement: { dataset: Record<string, string> } }
            }
          ).document.documentElement.dataset['theme']
      )
      if (now !== theme) await page.keyboard.press('Control+Shift+L')
      await page.waitForFunction(
        (t) =>
          (
            globalThis as unknown as {
              document: { documentElement: { dataset: Record<string, string> } }
            }
          ).document.documentElement.dataset['theme'] === t,
        theme
      )
      for (const [i, view] of VIEWS.entries()) {
        await page.keyboard.press(`Alt+${i + 1}`)
        await page.waitForSelector(`[data-view=${view}][aria-current=page]`)
        await page.waitForTimeout(view === 'progress' ? 600 : 250)
        await page.screenshot({ path: join(SHOTS, `${view}-${theme}.png`) })
        for (const v of await axeViolations(page)) problems.push(`${view} (${theme}): ${v}`)
      }
    }
    expect(problems).toEqual([])
    for (const view of VIEWS)
      for (const theme of ['light', 'dark'])
        expect(existsSync(join(SHOTS, `${view}-${theme}.png`))).toBe(true)
  })

  it('pauses, resumes and cancels the job from the Jobs view', async () => {
    await page.keyboard.press('Alt+7')
    const row = page.locator(`[data-job="${jobId}"]`)
    await row.locator('[data-action=pause]').click()
    await row.locator('.badge:has-text("paused")').waitFor({ timeout: 30_000 })
    await row.locator('[data-action=resume]').click()
    await row.locator('.badge:has-text("running")').waitFor({ timeout: 30_000 })
    await row.locator('[data-action=cancel]').click()
    await row.locator('.badge:has-text("cancelled")').waitFor({ timeout: 30_000 })
    expect((await daemon.client.getJob(jobId)).state).toBe('cancelled')
  })
})
