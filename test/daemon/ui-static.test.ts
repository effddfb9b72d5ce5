/**
 * @fileoverview The browser UI served by the daemon: public static files under /ui/ with a strict
 * CSP and no framing (Host and Origin still checked), the API still behind the token, no path
 * escapes, UI_NOT_BUILT until built; and the port and token kept across restarts.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildServer } from '../../src-daemon/api/server'
import type { ApiBackend } from '../../src-daemon/api/backend'
import { startDaemon } from '../../src-daemon/daemon/daemon'
import { readEndpoint } from '../../src-daemon/daemon/runtime-file'
import { tokenFromFragment, uiUrl } from '../../src-daemon/api/protocol/ui-address'

const TOKEN = 'a'.repeat(64)
const PORT = 40123
const host = `127.0.0.1:${PORT}`

async function server(uiDir: string): Promise<FastifyInstance> {
  const backend = { health: () => ({ ok: true }) } as unknown as ApiBackend
  return buildServer(backend, { auth: { token: TOKEN, port: PORT, allowedOrigins: [] }, uiDir })
}

describe('the UI served by the daemon', () => {
  const dir = mkdtempSync(join(tmpdir(), 'summit-ui-'))
  const ui = join(dir, 'web')
  mkdirSync(join(ui, 'assets'), { recursive: true })
  writeFileSync(join(ui, 'index.html'), '<!doctype html><title>Summit</title>')
  writeFileSync(join(ui, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(dir, 'secret.txt'), 'secret')
  let app: FastifyInstance
  afterAll(async () => app?.close())

  it('serves index and assets without the token, with CSP, no framing and nosniff', async () => {
    app = await server(ui)
    const index = await app.inject({ url: '/ui/', headers: { host } })
    expect(index.statusCode).toBe(200)
    expect(index.body).toContain('<title>Summit</title>')
    expect(index.headers['content-security-policy']).toContain("script-src 'self'")
    expect(index.headers['content-security-policy']).toContain(`ws://127.0.0.1:${PORT}`)
    expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    expect(index.headers['x-frame-options']).toBe('DENY')
    expect(index.headers['x-content-type-options']).toBe('nosniff')
    expect(index.headers['cache-control']).toBe('no-cache')
    const js = await app.inject({ url: '/ui/assets/app.js', headers: { host } })
    expect(js.statusCode).toBe(200)
    expect(js.headers['content-type']).toContain('javascript')
    const root = await app.inject({ url: '/', headers: { host } })
    expect([root.statusCode, root.headers.location]).toEqual([302, '/ui/'])
  })

  it('keeps the API behind the token and the UI behind Host and Origin checks', async () => {
    expect((await app.inject({ url: '/api/health', headers: { host } })).statusCode).toBe(401)
    const ok = await app.inject({
      url: '/api/health',
      headers: { host, authorization: `Bearer ${TOKEN}` }
    })
    expect(ok.statusCode).toBe(200)
    const rebound = await app.inject({ url: '/ui/', headers: { host: `evil.example:${PORT}` } })
    expect(rebound.statusCode).toBe(403)
    const foreign = await app.inject({
      url: '/ui/',
      headers: { host, origin: 'http://evil.example' }
    })
    expect(foreign.statusCode).toBe(403)
    // A POST under /ui/ is not a static file: it needs the token like any other request.
    expect((await app.inject({ method: 'POST', url: '/ui/x', headers: { host } })).statusCode).toBe(
      401
    )
  })

  it('never serves a file outside the UI directory', async () => {
    for (const url of [
      '/ui/../secret.txt',
      '/ui/%2e%2e/secret.txt',
      '/ui/..%2fsecret.txt',
      '/ui/assets/%2e%2e/%2e%2e/secret.txt'
    ]) {
      const r = await app.inject({ url, headers: { host } })
      expect(r.body, url).not.toContain('secret')
    }
  })

  it('answers UI_NOT_BUILT until the UI is built', async () => {
    const empty = join(dir, 'none')
    const bare = await server(empty)
    const r = await bare.inject({ url: '/ui/', headers: { host } })
    expect(r.statusCode).toBe(404)
    expect(JSON.parse(r.body)).toMatchObject({ code: 'UI_NOT_BUILT' })
    writeFileSync(join(empty, 'index.html'), '<title>now</title>')
    expect((await bare.inject({ url: '/ui/', headers: { host } })).statusCode).toBe(200)
    await bare.close()
  })

  it('puts the token in the fragment of the UI address', () => {
    const url = uiUrl('http://127.0.0.1:5', 'f00')
    expect(url).toBe('http://127.0.0.1:5/ui/#token=f00')
    expect(tokenFromFragment(new URL(url).hash)).toBe('f00')
    expect(tokenFromFragment('#other=1')).toBeUndefined()
  })
})

describe('the port and token across daemon restarts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'summit-endpoint-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('reuses them (file mode 0600), and makes a new token when asked', async () => {
    const ui = join(dir, 'web')
    const a = await startDaemon({ dataDir: dir, uiDir: ui, coreLimit: 1 })
    if (a.kind !== 'started') throw new Error('first daemon did not start')
    const first = a.daemon.info
    await a.daemon.stop()
    expect(statSync(join(dir, 'endpoint.json')).mode & 0o777).toBe(0o600)
    expect(readEndpoint(dir)).toEqual({ port: first.port, token: first.token })
    const b = await startDaemon({ dataDir: dir, uiDir: ui, coreLimit: 1 })
    if (b.kind !== 'started') throw new Error('second daemon did not start')
    expect([b.daemon.info.port, b.daemon.info.token]).toEqual([first.port, first.token])
    await b.daemon.stop()
    const c = await startDaemon({ dataDir: dir, uiDir: ui, coreLimit: 1, newToken: true })
    if (c.kind !== 'started') throw new Error('third daemon did not start')
    expect(c.daemon.info.token).not.toBe(first.token)
    expect(c.daemon.info.token).toMatch(/^[0-9a-f]{64}$/)
    await c.daemon.stop()
  })
})
