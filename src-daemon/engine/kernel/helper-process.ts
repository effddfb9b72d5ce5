/** @fileoverview A running summit-bpf process: pipelined JSON-lines requests, replies in order. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { HelperReply, HelperRequest } from './helper-protocol'

/** One child process of the helper; replies arrive in request order. */
export class HelperProcess {
  private readonly child: ChildProcessWithoutNullStreams
  private readonly pending: Array<(reply: HelperReply) => void> = []
  private nextId = 1
  private exitReason: string | undefined
  private stderrTail = ''

  /** Spawns the helper binary at `path`. */
  constructor(path: string) {
    this.child = spawn(path, [], { stdio: ['pipe', 'pipe', 'pipe'] })
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
  }

  /** Sends one request; resolves with its reply (an `ok:false` reply if the helper died). */
  request(req: HelperRequest): Promise<HelperReply> {
    if (this.exitReason !== undefined) {
      return Promise.resolve({ ok: false, error: this.exitReason })
    }
    const id = this.nextId++
    return new Promise((resolve) => {
      this.pending.push(resolve)
      this.child.stdin.write(JSON.stringify({ id, ...req }) + '\n')
    })
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return this.exitReason === undefined
  }

  /** Closes stdin (the helper exits, closing every fd it holds) and waits for the exit. */
  async dispose(): Promise<void> {
    if (this.exitReason !== undefined) return
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    this.child.stdin.end()
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000)
    await exited
    clearTimeout(timer)
  }

  private onLine(line: string): void {
    const resolve = this.pending.shift()
    if (!resolve) return
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

  private onExit(reason: string): void {
    if (this.exitReason !== undefined) return
    this.exitReason = reason
    for (const resolve of this.pending.splice(0)) resolve({ ok: false, error: reason })
  }
}
