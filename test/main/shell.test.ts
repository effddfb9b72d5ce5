/**
 * @fileoverview The desktop shell's parts that run without Electron: the security policy (which
 * URLs are the app, which files the app scheme may serve), recent files, reading K2 companions,
 * and finding, starting and watching the daemon through its runtime file.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { APP_CSP, appFilePath, isAppUrl } from '../../src-main/policy'
import { loadRecent, RECENT_MAX, saveRecent, withRecent } from '../../src-main/recent-files'
import { readProgramFiles } from '../../src-main/program-files'
import { DaemonWatcher, findDaemon } from '../../src-main/daemon-link'

describe('security policy', () => {
  it('knows the app origin and nothing else', () => {
    expect(isAppUrl('summit://app/index.html')).toBe(true)
    expect(isAppUrl('summit://app/assets/x.js?y')).toBe(true)
    for (const u of [
      'https://evil.example/',
      'summit://other/index.html',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'not a url'
    ])
      expect(isAppUrl(u), u).toBe(false)
  })

  it('serves only files inside the renderer directory', () => {
    const root = '/opt/summit/renderer'
    expect(appFilePath(root, 'summit://app/index.html')).toBe('/opt/summit/renderer/index.html')
    expect(appFilePath(root, 'summit://app/')).toBe('/opt/summit/renderer/index.html')
    expect(appFilePath(root, 'summit://app/assets/a.js')).toBe('/opt/summit/renderer/assets/a.js')
    // The URL parser resolves dot segments (also %2e%2e) first: these stay inside the root.
    for (const u of ['summit://app/../../etc/passwd', 'summit://app/%2e%2e/%2e%2e/etc/passwd'])
      expect(appFilePath(root, u)).toBe('/opt/summit/renderer/etc/passwd')
    // Encoded separators are decoded after parsing: refused.
    for (const u of [
      'summit://app/assets/%2e%2e%2f%2e%2e%2fsecret',
      'summit://app/a%5c..%5c..%5cx',
      'summit://app/%00',
      'https://evil.example/index.html'
    ])
      expect(appFilePath(root, u), u).toBeUndefined()
  })

  it('has a CSP that allows only own scripts and the loopback daemon', () => {
    expect(APP_CSP).toContain("script-src 'self'")
    expect(APP_CSP).toContain('connect-src http://127.0.0.1:* ws://127.0.0.1:*')
    expect(APP_CSP).toContain("object-src 'none'")
    expect(APP_CSP).not.toContain('unsafe-eval')
  })
})

describe('recent files and program files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'summit-shell-'))

  it('keeps the newest first, without duplicates, at most ten, across restarts', () => {
    let list: string[] = []
    for (let i = 0; i < 14; i++) list = withRecent(list, `/p/${i % 12}.o`)
    expect(list).toHaveLength(RECENT_MAX)
    expect(list[0]).toBe('/p/1.o')
    expect(new Set(list).size).toBe(list.length)
    const file = join(dir, 'recent.json')
    saveRecent(file, list)
    expect(loadRecent(file)).toEqual(list)
    writeFileSync(file, '{not json')
    expect(loadRecent(file)).toEqual([])
  })

  it('reads a K2 program with the .maps and .desc beside it', () => {
    writeFileSync(join(dir, 'p.insns'), '1 2 3')
    writeFileSync(join(dir, 'p.maps'), 'm')
    writeFileSync(join(dir, 'p.desc'), 'd')
    expect(readProgramFiles(join(dir, 'p.insns')).map((f) => f.name)).toEqual([
      'p.insns',
      'p.maps',
      'p.desc'
    ])
    writeFileSync(join(dir, 'x.o'), 'x')
    expect(readProgramFiles(join(dir, 'x.o')).map((f) => [f.name, f.bytes.length])).toEqual([
      ['x.o', 1]
    ])
  })
})

describe('finding and watching the daemon', () => {
  const servers: Server[] = []
  afterAll(() => servers.forEach((s) => s.close()))

  /** A stand-in daemon: answers /api/health with 200 for `token`, 401 otherwise. */
  async function fakeDaemon(token: string): Promise<string> {
    const s = createServer((req, res) => {
      const ok = req.url === '/api/health' && req.headers.authorization === `Bearer ${token}`
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end('{}')
    })
    servers.push(s)
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    const addr = s.address()
    return `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`
  }

  it('accepts a live process that answers with its token, and nothing stale', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'summit-find-'))
    mkdirSync(dir, { recursive: true })
    expect(await findDaemon(dir)).toBeUndefined()
    const url = await fakeDaemon('t1')
    writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ pid: process.pid, url, token: 't1' }))
    expect(await findDaemon(dir)).toEqual({ url, token: 't1', pid: process.pid })
    writeFileSync(
      join(dir, 'daemon.json'),
      JSON.stringify({ pid: process.pid, url, token: 'wrong' })
    )
    expect(await findDaemon(dir)).toBeUndefined()
    // A crashed daemon's file: the pid is gone.
    writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ pid: 2 ** 22 + 17, url, token: 't1' }))
    expect(await findDaemon(dir)).toBeUndefined()
    writeFileSync(
      join(dir, 'daemon.json'),
      JSON.stringify({ pid: process.pid, url: 'http://evil.example:80', token: 't1' })
    )
    expect(await findDaemon(dir)).toBeUndefined()
  })

  it('reports a restarted daemon once, and starts one when none answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'summit-watch-'))
    const seen: string[] = []
    const startedMarker = join(dir, 'started')
    // The "daemon command" here only records its arguments.
    const script = join(dir, 'fake-daemon.cjs')
    writeFileSync(
      script,
      `require('fs').writeFileSync(${JSON.stringify(startedMarker)}, process.argv.slice(2).join(' '))`
    )
    const command = { cmd: process.execPath, args: [script] }
    const w = new DaemonWatcher(dir, command, (e) => seen.push(e.token), { restartAfterMs: 0 })
    const a = await fakeDaemon('a')
    writeFileSync(
      join(dir, 'daemon.json'),
      JSON.stringify({ pid: process.pid, url: a, token: 'a' })
    )
    await w.poll()
    await w.poll()
    const b = await fakeDaemon('b')
    writeFileSync(
      join(dir, 'daemon.json'),
      JSON.stringify({ pid: process.pid, url: b, token: 'b' })
    )
    await w.poll()
    expect(seen).toEqual(['a', 'b'])
    expect(w.endpoint).toEqual({ url: b, token: 'b' })
    writeFileSync(join(dir, 'daemon.json'), '{}')
    const { existsSync, readFileSync } = await import('node:fs')
    // ensureDaemon waits for an answer that never comes here; the spawn itself is what we check.
    void w.poll()
    for (let i = 0; i < 50 && !existsSync(startedMarker); i++)
      await new Promise((r) => setTimeout(r, 100))
    expect(readFileSync(startedMarker, 'utf8')).toBe(`--data-dir ${dir}`)
  })
})
