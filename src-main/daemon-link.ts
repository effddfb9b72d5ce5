/**
 * @fileoverview Finding the daemon of the data directory (`daemon.json`, a live process, a health
 * answer) or starting one detached, so searches outlive the window; and watching for restarts
 * (a new pid, port or token) so the renderer can reconnect. No Electron import: tests run it.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DAEMON_FILE } from '../src-daemon/api/protocol/data-dir'
import type { DaemonEndpoint } from '../src-preload/bridge'

/** What `daemon.json` holds that the shell needs. */
interface RuntimeFile {
  readonly pid: number
  readonly url: string
  readonly token: string
}

/** How to start a daemon: a command and its arguments (the data directory is appended). */
export interface DaemonCommand {
  readonly cmd: string
  readonly args: readonly string[]
  /** Working directory of the daemon process. */
  readonly cwd?: string
}

/** Whether process `pid` exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM'
  }
}

function readRuntime(dataDir: string): RuntimeFile | undefined {
  try {
    const v = JSON.parse(readFileSync(join(dataDir, DAEMON_FILE), 'utf8')) as Partial<RuntimeFile>
    if (typeof v.pid !== 'number' || typeof v.url !== 'string' || typeof v.token !== 'string')
      return undefined
    if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(v.url)) return undefined
    return { pid: v.pid, url: v.url, token: v.token }
  } catch {
    return undefined
  }
}

/** The running daemon of `dataDir` that answers its health check, if any. */
export async function findDaemon(
  dataDir: string,
  timeoutMs = 2000
): Promise<(DaemonEndpoint & { pid: number }) | undefined> {
  const rt = readRuntime(dataDir)
  if (rt === undefined || !alive(rt.pid)) return undefined
  try {
    const res = await fetch(`${rt.url}/api/health`, {
      headers: { authorization: `Bearer ${rt.token}` },
      signal: AbortSignal.timeout(timeoutMs)
    })
    return res.ok ? { url: rt.url, token: rt.token, pid: rt.pid } : undefined
  } catch {
    return undefined
  }
}

/** Starts a daemon for `dataDir` in its own process group, not tied to this process. */
export function spawnDaemon(dataDir: string, command: DaemonCommand): void {
  const child = spawn(command.cmd, [...command.args, '--data-dir', dataDir], {
    detached: true,
    stdio: 'ignore',
    ...(command.cwd !== undefined ? { cwd: command.cwd } : {})
  })
  child.on('error', () => undefined)
  child.unref()
}

/** The daemon of `dataDir`, started if none answers; undefined when none came up in time. */
export async function ensureDaemon(
  dataDir: string,
  command: DaemonCommand,
  waitMs = 30_000
): Promise<(DaemonEndpoint & { pid: number }) | undefined> {
  const found = await findDaemon(dataDir)
  if (found !== undefined) return found
  spawnDaemon(dataDir, command)
  const end = Date.now() + waitMs
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 200))
    const d = await findDaemon(dataDir)
    if (d !== undefined) return d
  }
  return undefined
}

/**
 * Watches the data directory's daemon: reports each new endpoint (after a restart the port or
 * token may differ) and starts a daemon again when none has answered for `restartAfterMs`.
 */
export class DaemonWatcher {
  private timer: ReturnType<typeof setInterval> | undefined
  private current: string | undefined
  private missingSince: number | undefined
  private busy = false

  constructor(
    private readonly dataDir: string,
    private readonly command: DaemonCommand,
    private readonly onChange: (e: DaemonEndpoint) => void,
    private readonly opts: { pollMs?: number; restartAfterMs?: number } = {}
  ) {}

  /** The last endpoint seen. */
  get endpoint(): DaemonEndpoint | undefined {
    if (this.current === undefined) return undefined
    return JSON.parse(this.current) as DaemonEndpoint
  }

  /** One check; resolves to the endpoint now answering, if any. */
  async poll(): Promise<DaemonEndpoint | undefined> {
    if (this.busy) return this.endpoint
    this.busy = true
    try {
      const d = await findDaemon(this.dataDir)
      if (d === undefined) {
        this.missingSince ??= Date.now()
        if (Date.now() - this.missingSince >= (this.opts.restartAfterMs ?? 5000)) {
          this.missingSince = undefined
          const started = await ensureDaemon(this.dataDir, this.command)
          if (started !== undefined) this.report({ url: started.url, token: started.token })
          return started
        }
        return undefined
      }
      this.missingSince = undefined
      this.report({ url: d.url, token: d.token })
      return d
    } finally {
      this.busy = false
    }
  }

  private report(e: DaemonEndpoint): void {
    const key = JSON.stringify({ url: e.url, token: e.token })
    if (key === this.current) return
    this.current = key
    this.onChange(e)
  }

  /** Polls every `pollMs` until {@link stop}. */
  start(): void {
    this.timer ??= setInterval(() => void this.poll(), this.opts.pollMs ?? 2000)
  }

  /** Stops polling (the daemon keeps running). */
  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }
}
