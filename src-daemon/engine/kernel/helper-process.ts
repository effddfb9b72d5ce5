/** @fileoverview A running summit-bpf process: pipelined JSON-lines requests, replies in order. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { HelperReply, HelperRequest } from './helper-protocol'

/**
 * A helper reached through a channel that first needs a handshake (a virtual machine's serial
 * port): output before `marker` is ignored, then an id-0 ping is sent and everything up to its
 * reply is dropped (bytes lost while the port was set up).
 */
export interface HelperBoot {
  /** Line prefix the channel prints when the helper is about to read requests. */
  readonly marker: string
  /** Milliseconds until the helper must have answered the handshake. */
  readonly timeoutMs: number
  /** Milliseconds a request may wait for its reply before the channel is stopped. */
  readonly requestTimeoutMs: number
  /** Where the boot log goes, for the reason given when the boot fails. */
  readonly describeFailure?: () => string
}

/** How to start the helper. */
export interface HelperLaunch {
  /** Arguments after the command. */
  readonly args?: readonly string[]
  /** A handshake before the first request (see {@link HelperBoot}). */
  readonly boot?: HelperBoot
}

function isHandshakeReply(line: string): boolean {
  try {
    const r = JSON.parse(line) as { id?: unknown; ok?: unknown } | null
    return r !== null && r.id === 0 && r.ok === true
  } catch {
    return false
  }
}

/** One child process of the helper; replies arrive in request order. */
export class HelperProcess {
  private readonly child: ChildProcessWithoutNullStreams
  private readonly pending: Array<(reply: HelperReply) => void> = []
  private readonly queued: string[] = []
  private nextId = 1
  private exitReason: string | undefined
  private stderrTail = ''
  private state: 'booting' | 'syncing' | 'ready'
  private readonly boot: HelperBoot | undefined
  private bootTimer: ReturnType<typeof setTimeout> | undefined
  private watchdog: ReturnType<typeof setTimeout> | undefined
  private syncTimer: ReturnType<typeof setInterval> | undefined
  /** The marker line the boot printed (e.g. with the kernel release), when there was one. */
  bootLine: string | undefined

  /** Spawns `path` (the helper binary, or a command whose channel reaches it). */
  constructor(path: string, launch: HelperLaunch = {}) {
    this.boot = launch.boot
    this.state = this.boot === undefined ? 'ready' : 'booting'
    this.child = spawn(path, [...(launch.args ?? [])], { stdio: ['pipe', 'pipe', 'pipe'] })
    const lines = createInterface({ input: this.child.stdout })
    lines.on('line', (line) => this.onLine(line))
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000)
    })
    this.child.on('error', (e) => this.onExit(`helper failed to start: ${e.message}`))
    this.child.on('exit', (code, signal) =>
      this.onExit(`helper exited (${signal ?? `code ${String(code)}`}) ${this.stderrTail}`.trim())
    )
    this.child.stdin.on('error', () => {
      /* the exit handler reports the failure */
    })
    if (this.boot !== undefined) {
      const boot = this.boot
      this.bootTimer = setTimeout(() => {
        const why = `the helper did not answer within ${boot.timeoutMs / 1000} s of starting ${path}`
        this.onExit(`${why}${boot.describeFailure ? `: ${boot.describeFailure()}` : ''}`)
        this.child.kill('SIGKILL')
      }, boot.timeoutMs)
    }
  }

  /** Sends one request; resolves with its reply (an `ok:false` reply if the helper died). */
  request(req: HelperRequest): Promise<HelperReply> {
    if (this.exitReason !== undefined) {
      return Promise.resolve({ ok: false, error: this.exitReason })
    }
    const id = this.nextId++
    return new Promise((resolve) => {
      this.pending.push(resolve)
      const line = JSON.stringify({ id, ...req }) + '\n'
      if (this.state === 'ready') this.child.stdin.write(line)
      else this.queued.push(line)
      this.armWatchdog()
    })
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return this.exitReason === undefined
  }

  /**
   * Closes stdin (the helper exits, closing every fd it holds) and waits for the exit. A helper
   * behind a handshake (a virtual machine) never sees the end of its input: it is stopped.
   */
  async dispose(): Promise<void> {
    if (this.exitReason !== undefined) return
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    this.child.stdin.end()
    if (this.boot !== undefined) this.child.kill('SIGKILL')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000)
    await exited
    clearTimeout(timer)
  }

  private onLine(line: string): void {
    if (this.state === 'booting') {
      if (!line.startsWith(this.boot!.marker)) return
      this.bootLine = line.trim()
      this.state = 'syncing'
      // A newline first: whatever reached the port before the helper read it ends there. The
      // ping is repeated until answered (a port may drop bytes while it is set up).
      const ping = (): void => {
        if (this.state === 'syncing') this.child.stdin.write('\n{"id":0,"op":"ping"}\n')
      }
      ping()
      this.syncTimer = setInterval(ping, 1000)
      return
    }
    if (this.state === 'syncing') {
      if (!isHandshakeReply(line)) return
      this.state = 'ready'
      clearInterval(this.syncTimer)
      clearTimeout(this.bootTimer)
      this.bootTimer = undefined
      this.armWatchdog()
      for (const q of this.queued.splice(0)) this.child.stdin.write(q)
      return
    }
    // Late answers to repeated handshake pings carry id 0, which no request uses.
    if (this.boot !== undefined && isHandshakeReply(line)) return
    const resolve = this.pending.shift()
    if (!resolve) return
    this.armWatchdog()
    let reply: HelperReply
    try {
      const parsed: unknown = JSON.parse(line)
      reply =
        typeof parsed === 'object' && parsed !== null && 'ok' in parsed
          ? (parsed as HelperReply)
          : { ok: false, error: `malformed helper reply: ${line.slice(0, 200)}` }
    } catch {
      reply = { ok: false, error: `malformed helper reply: ${line.slice(0, 200)}` }
    }
    resolve(reply)
  }

  /** With a handshake, bounds the wait for the oldest pending reply (from now). */
  private armWatchdog(): void {
    if (this.boot === undefined || this.state !== 'ready') return
    clearTimeout(this.watchdog)
    this.watchdog = undefined
    if (this.pending.length === 0) return
    const ms = this.boot.requestTimeoutMs
    this.watchdog = setTimeout(() => {
      this.onExit(`no reply from the helper within ${ms / 1000} s`)
      this.child.kill('SIGKILL')
    }, ms)
  }

  private onExit(reason: string): void {
    if (this.exitReason !== undefined) return
    clearTimeout(this.bootTimer)
    clearInterval(this.syncTimer)
    clearTimeout(this.watchdog)
    this.exitReason = reason
    for (const resolve of this.pending.splice(0)) resolve({ ok: false, error: reason })
  }
}
