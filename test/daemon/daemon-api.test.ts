/**
 * @fileoverview A real daemon process: daemon.json and the lock, auth refusals (no token, wrong
 * token, foreign Origin, foreign Host), import errors as the CLI's, a bounded fuzz of malformed
 * requests after which it still serves and its database passes quick_check, clean SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteStore } from '../../src-daemon/store/sqlite-store'
import { ROOT, startTestDaemon, summitProcess, type TestDaemon } from './daemon-support'

/** Sends one raw HTTP request (any Host/Origin); resolves with status and body (or the error). */
function raw(
  port: number,
  o: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer }
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: o.method ?? 'GET',
        path: o.path ?? '/api/health',
        headers: o.headers ?? {},
        timeout: 10_000
      },
      (res) => {
        let body = ''
        res.on('data', (d: Buffer) => (body += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
        res.on('error', () => resolve({ status: -1, body }))
      }
    )
    req.on('error', (e) => resolve({ status: -1, body: e.message }))
    req.on('timeout', () => req.destroy())
    if (o.body !== undefined) req.write(o.body)
    req.end()
  })
}

describe('daemon API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'summit-daemon-api-'))
  let d: TestDaemon
  beforeAll(async () => {
    d = await startTestDaemon(dir)
  })
  afterAll(() => {
    if (d.child.exitCode === null) d.child.kill('SIGKILL')
  })

  it('writes daemon.json (0600) and a second start reports the running daemon', async () => {
    const file = join(dir, 'daemon.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(d.info.url).toBe(`http://127.0.0.1:${d.info.port}`)
    expect(d.info.token).toMatch(/^[0-9a-f]{64}$/)
    const second = summitProcess(['daemon', '--data-dir', dir])
    const r = await second.done
    expect(r.code).toBe(0)
    expect(r.out).toContain(`already running for ${dir} (pid ${d.info.pid}`)
    expect(readFileSync(file, 'utf8')).toContain(d.info.token)
  })

  it('refuses no token, a wrong token, a foreign Origin and a foreign Host', async () => {
    const host = `127.0.0.1:${d.info.port}`
    const auth = `Bearer ${d.info.token}`
    const ok = await raw(d.info.port, { headers: { host, authorization: auth } })
    expect(ok.status).toBe(200)
    const cases: [Record<string, string>, number, string][] = [
      [{ host }, 401, 'AUTH_REQUIRED'],
      [{ host, authorization: `Bearer ${'0'.repeat(64)}` }, 401, 'AUTH_REQUIRED'],
      [{ host, authorization: 'Basic abc' }, 401, 'AUTH_REQUIRED'],
      [{ host, authorization: auth, origin: 'http://evil.example' }, 403, 'FORBIDDEN_ORIGIN'],
      [
        { host, authorization: auth, origin: `http://127.0.0.1:${d.info.port + 1}` },
        403,
        'FORBIDDEN_ORIGIN'
      ],
      [{ host: `evil.example:${d.info.port}`, authorization: auth }, 403, 'FORBIDDEN_HOST'],
      [{ host: `127.0.0.1:${d.info.port + 1}`, authorization: auth }, 403, 'FORBIDDEN_HOST']
    ]
    for (const [headers, status, code] of cases) {
      const r = await raw(d.info.port, { headers })
      expect(r.status, JSON.stringify(headers)).toBe(status)
      expect((JSON.parse(r.body) as { code: string }).code).toBe(code)
      expect(r.body).not.toContain(d.info.token)
    }
    // CORS stays closed: a preflight gets no Access-Control-* answer.
    const pre = await new Promise<Record<string, unknown>>((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: d.info.port,
          method: 'OPTIONS',
          path: '/api/jobs',
          headers: { host, origin: 'http://evil.example', 'access-control-request-method': 'POST' }
        },
        (res) => {
          res.resume()
          resolve(res.headers)
        }
      )
      req.end()
    })
    expect(Object.keys(pre).some((k) => k.startsWith('access-control'))).toBe(false)
  })

  it("imports programs and reports unreadable files with the CLI's codes", async () => {
    const bytes = new Uint8Array(readFileSync(join(ROOT, 'resources/samples/redundant_xdp.o')))
    const p = await d.client.importProgram([{ name: 'redundant_xdp.o', bytes }])
    expect(p.format).toBe('elf')
    expect(p.sections.find((s) => s.section === 'xdp')).toMatchObject({ type: 'xdp', slots: 6 })
    expect(p.sections[0]!.latency).toBeGreaterThan(0)
    expect((await d.client.importProgram([{ name: 'redundant_xdp.o', bytes }])).id).toBe(p.id)
    const dis = await d.client.disassemble(p.id, 'xdp')
    expect(dis.text).toContain('Disassembly of section xdp')
    expect(dis.lines.length).toBeGreaterThan(0)
    const schema = await d.client.configSchema()
    expect(Object.keys(schema.searchConfig.properties)).toContain('seed')
    const bad = [
      { name: 'junk.o', bytes: new TextEncoder().encode('\x7fELF but not really') },
      { name: 'bad.s', bytes: new TextEncoder().encode('r0 = frobnicate 3\nexit\n') }
    ]
    const codes: string[] = []
    for (const f of bad) {
      try {
        await d.client.importProgram([f])
      } catch (e) {
        codes.push((e as { code: string }).code)
        expect((e as { status: number }).status).toBe(422)
        expect((e as Error).message).toContain(f.name)
      }
    }
    expect(codes).toHaveLength(2)
    await expect(
      d.client.createJob({ programId: p.id, config: { seed: -1 } })
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    await expect(d.client.createJob({ programId: 'nope' })).rejects.toMatchObject({
      code: 'NOT_FOUND'
    })
    await expect(
      d.client.createJob({ programId: p.id, extras: { windows: [[0, 99]] } })
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', status: 400 })
    const created = await d.client.createJob({ programId: p.id, config: { seed: 2 } })
    expect(created).toMatchObject({ state: 'created', section: 'xdp', originalSlots: 6 })
    await expect(d.client.jobAction(created.id, 'pause')).rejects.toMatchObject({
      code: 'JOB_STATE'
    })
    expect((await d.client.setPriority(created.id, 20)).priority).toBe(20)
    expect(await d.client.deleteJob(created.id)).toEqual({ deleted: created.id })
    await expect(d.client.getJob(created.id)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      status: 404
    })
  })

  it('survives a bounded fuzz of malformed requests and its database stays sound', async () => {
    const host = `127.0.0.1:${d.info.port}`
    const auth = `Bearer ${d.info.token}`
    let seed = 12345
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % n
    }
    const paths = [
      '/api/jobs',
      '/api/jobs/1',
      '/api/jobs/x/start',
      '/api/jobs/99999999999999999999',
      '/api/programs',
      '/api/programs/%00',
      '/api/candidates/1/export?format=zz',
      '/api/jobs/1/metrics?maxPoints=-1',
      '/api/events',
      '/../../etc/passwd',
      '/api/jobs/1/priority',
      '/' + 'a'.repeat(3000)
    ]
    const bodies = [
      '',
      '{',
      'null',
      '[]',
      '{"files":[]}',
      '{"files":[{"name":"a","base64":"!!"}]}',
      '{"programId":1}',
      '{"programId":"x","config":{"nope":1}}',
      '{"priority":1e9}',
      JSON.stringify({
        files: [{ name: 'b.o', base64: Buffer.from('garbage').toString('base64') }]
      }),
      '\u0000\u0001\u0002'
    ]
    const methods = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH']
    const statuses = new Map<number, number>()
    const N = 1500
    for (let i = 0; i < N; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const body = bodies[rnd(bodies.length)]!
          const r = await raw(d.info.port, {
            method: methods[rnd(methods.length)]!,
            path: paths[rnd(paths.length)]!,
            headers: {
              host,
              authorization: auth,
              'content-type': rnd(4) === 0 ? 'text/plain' : 'application/json'
            },
            body
          })
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
          if (r.status >= 400 && r.status < 600 && r.body !== '') {
            const e = JSON.parse(r.body) as { code: unknown; message: unknown }
            expect(typeof e.code, r.body).toBe('string')
            expect(typeof e.message).toBe('string')
          }
        })
      )
    }
    expect([...statuses.keys()].some((s) => s >= 500)).toBe(false)
    // Oversized and slow requests are cut off.
    const big = await raw(d.info.port, {
      method: 'POST',
      path: '/api/programs',
      headers: { host, authorization: auth, 'content-type': 'application/json' },
      body: Buffer.alloc(100 * 1024 * 1024, 0x20)
    })
    expect([413, -1]).toContain(big.status)
    expect((await d.client.health()).store.ok).toBe(true)
  }, 120_000)

  it('stops on SIGTERM with exit 0, removing daemon.json; the database passes quick_check', async () => {
    d.child.kill('SIGTERM')
    expect(await d.exited).toBe(0)
    expect(existsSync(join(dir, 'daemon.json'))).toBe(false)
    const s = SqliteStore.open(join(dir, 'summit.db'))
    expect(s.quickCheck()).toBe('ok')
    expect(s.listPrograms()).toHaveLength(1)
    s.close()
  })
})
