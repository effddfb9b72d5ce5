/** @fileoverview Starting real daemon processes for tests, and a client to them. */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { SummitClient, type ClientOptions } from '../../src-daemon/api/protocol/client'
import type { DaemonInfo } from '../../src-daemon/daemon/runtime-file'

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const MAIN = join(ROOT, 'src-daemon/cli/main.ts')

/** A daemon process under test. */
export interface TestDaemon {
  readonly child: ChildProcess
  readonly info: DaemonInfo
  readonly client: SummitClient
  /** Everything it wrote to stderr. */
  stderr(): string
  /** Resolves with the exit code when it exits. */
  readonly exited: Promise<number | null>
}

/** Runs `summit ARGS` as a process; resolves with its exit code and output. */
export function summitProcess(args: readonly string[]): {
  child: ChildProcess
  done: Promise<{ code: number | null; out: string; err: string }>
} {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, out, err }))
  )
  return { child, done }
}

/** A client of `info`. */
export function clientOf(info: DaemonInfo): SummitClient {
  return new SummitClient({
    url: info.url,
    token: info.token,
    WebSocket: WebSocket as unknown as NonNullable<ClientOptions['WebSocket']>
  })
}

/** Starts `summit daemon --data-dir DIR` and waits until it answers. */
export async function startTestDaemon(
  dir: string,
  extra: readonly string[] = []
): Promise<TestDaemon> {
  const { child, done } = summitProcess(['daemon', '--data-dir', dir, '--json', ...extra])
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const line = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('\n')) resolve(out)
    })
    void done.then((r) => reject(new Error(`daemon exited (${r.code}): ${r.err}`)))
  })
  const first = JSON.parse(line.split('\n')[0]!) as { pid: number }
  const info = JSON.parse(readFileSync(join(dir, 'daemon.json'), 'utf8')) as DaemonInfo
  if (info.pid !== first.pid) throw new Error('daemon.json names another process')
  const client = clientOf(info)
  await client.health()
  return { child, info, client, stderr: () => err, exited: done.then((r) => r.code) }
}

/** Polls `f` every `ms` until it returns a value (not undefined), at most `limitMs`. */
export async function until<T>(
  f: () => Promise<T | undefined> | T | undefined,
  limitMs: number,
  ms = 200
): Promise<T> {
  const end = Date.now() + limitMs
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`condition not met within ${limitMs} ms`)
    await new Promise((r) => setTimeout(r, ms))
  }
}
