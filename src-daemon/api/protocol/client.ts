/**
 * @fileoverview A small typed client of the daemon API (fetch + WebSocket; browser-safe, no
 * Node built-ins). The CLI and the renderer both use it.
 */
import type { Static, TSchema } from '@sinclair/typebox'
import type { SearchConfig } from '../../core/search/config'
import { ApiError } from './errors'
import { ROUTES, type ExportFormat, type JobAction } from './routes'
import type {
  CreateJobRequest,
  DaemonEvent,
  ImportRequest,
  JobExtras,
  ProgramInfo
} from './schemas'

type Answer<R extends keyof typeof ROUTES> = (typeof ROUTES)[R] extends {
  response: infer S extends TSchema
}
  ? Static<S>
  : never

/** The minimal WebSocket surface the client needs (the browser's, or the `ws` package's). */
export interface WebSocketLike {
  onmessage: ((ev: { data: unknown }) => void) | null
  onclose: ((ev: unknown) => void) | null
  onerror: ((ev: unknown) => void) | null
  onopen: ((ev: unknown) => void) | null
  close(): void
}

/** Where the daemon is and how to reach it. */
export interface ClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string
  readonly token: string
  /** fetch implementation (default: the global one). */
  readonly fetch?: typeof fetch
  /** WebSocket constructor (default: the global one). */
  readonly WebSocket?: new (url: string, protocols?: string | string[]) => WebSocketLike
}

/** An open event subscription. */
export interface EventStream {
  /** Resolves once the socket is open. */
  readonly opened: Promise<void>
  close(): void
}

const toBase64 = (bytes: Uint8Array): string => {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

/** Typed calls to the daemon. Every failure is an {@link ApiError} with the daemon's code. */
export class SummitClient {
  constructor(private readonly opts: ClientOptions) {}

  private path(p: string, params: Readonly<Record<string, string | number>> = {}): string {
    return p.replace(/:(\w+)/g, (_, k: string) => encodeURIComponent(String(params[k])))
  }

  private async raw(method: string, path: string, body?: unknown): Promise<Response> {
    const f = this.opts.fetch ?? fetch
    let res: Response
    try {
      res = await f(this.opts.url + path, {
        method,
        headers: {
          authorization: `Bearer ${this.opts.token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {})
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {})
      })
    } catch (e) {
      throw new ApiError('UNREACHABLE', `daemon at ${this.opts.url} unreachable: ${String(e)}`, 0)
    }
    if (!res.ok) {
      let code = 'HTTP_' + String(res.status)
      let message = res.statusText
      try {
        const e = (await res.json()) as { code?: unknown; message?: unknown }
        if (typeof e.code === 'string') code = e.code
        if (typeof e.message === 'string') message = e.message
      } catch {
        // not JSON: keep the status line
      }
      throw new ApiError(code, message, res.status)
    }
    return res
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.raw(method, path, body)).json()) as T
  }

  /** Daemon health. */
  health(): Promise<Answer<'health'>> {
    return this.json('GET', ROUTES.health.path)
  }
  /** The search configuration schema and the other job fields (for forms). */
  configSchema(): Promise<{ searchConfig: typeof SearchConfig; jobExtras: typeof JobExtras }> {
    return this.json('GET', ROUTES.configSchema.path)
  }
  /** Imports a program: the file first, then companions (K2's `.maps`, `.desc`). */
  importProgram(files: readonly { name: string; bytes: Uint8Array }[]): Promise<ProgramInfo> {
    const body: ImportRequest = {
      files: files.map((f) => ({ name: f.name, base64: toBase64(f.bytes) }))
    }
    return this.json('POST', ROUTES.importProgram.path, body)
  }
  /** Imported programs. */
  listPrograms(): Promise<Answer<'listPrograms'>> {
    return this.json('GET', ROUTES.listPrograms.path)
  }
  /** One imported program. */
  getProgram(id: string): Promise<Answer<'getProgram'>> {
    return this.json('GET', this.path(ROUTES.getProgram.path, { id }))
  }
  /** Disassembly (llvm syntax) of a section. */
  disassemble(id: string, section: string): Promise<Answer<'disassemble'>> {
    const q = `?section=${encodeURIComponent(section)}`
    return this.json('GET', this.path(ROUTES.disassemble.path, { id }) + q)
  }
  /** All jobs. */
  listJobs(): Promise<Answer<'listJobs'>> {
    return this.json('GET', ROUTES.listJobs.path)
  }
  /** Creates a job (and starts it when `start` is true). */
  createJob(req: CreateJobRequest): Promise<Answer<'createJob'>> {
    return this.json('POST', ROUTES.createJob.path, req)
  }
  /** One job. */
  getJob(id: number): Promise<Answer<'getJob'>> {
    return this.json('GET', this.path(ROUTES.getJob.path, { id }))
  }
  /** Deletes a job and everything stored for it. */
  deleteJob(id: number): Promise<Answer<'deleteJob'>> {
    return this.json('DELETE', this.path(ROUTES.deleteJob.path, { id }))
  }
  /** start, pause, resume or cancel. */
  jobAction(id: number, action: JobAction): Promise<Answer<'jobAction'>> {
    return this.json('POST', this.path(ROUTES.jobAction.path, { id, action }), {})
  }
  /** Sets a job's priority (higher runs first when cores are short). */
  setPriority(id: number, priority: number): Promise<Answer<'setPriority'>> {
    return this.json('POST', this.path(ROUTES.setPriority.path, { id }), { priority })
  }
  /** The job's progress series, downsampled to at most `maxPoints`. */
  metrics(id: number, maxPoints = 2000): Promise<Answer<'metrics'>> {
    return this.json('GET', this.path(ROUTES.metrics.path, { id }) + `?maxPoints=${maxPoints}`)
  }
  /** Every best a chain reported, with verdicts. */
  candidates(id: number): Promise<Answer<'candidates'>> {
    return this.json('GET', this.path(ROUTES.candidates.path, { id }))
  }
  /** The sound improvements in time order. */
  improvements(id: number): Promise<Answer<'improvements'>> {
    return this.json('GET', this.path(ROUTES.improvements.path, { id }))
  }
  /** One candidate with its disassembly. */
  getCandidate(id: number): Promise<Answer<'getCandidate'>> {
    return this.json('GET', this.path(ROUTES.getCandidate.path, { id }))
  }
  /** Queues a kernel check of a candidate against its job's original; the verdict comes as an event. */
  kernelCheck(id: number): Promise<Answer<'kernelCheck'>> {
    return this.json('POST', this.path(ROUTES.kernelCheck.path, { id }), {})
  }
  /** The candidate as a file: bytes and the suggested file name. */
  async exportCandidate(
    id: number,
    format: ExportFormat = 'native'
  ): Promise<{ bytes: Uint8Array; fileName: string }> {
    const res = await this.raw(
      'GET',
      this.path(ROUTES.exportCandidate.path, { id }) + `?format=${format}`
    )
    const cd = res.headers.get('content-disposition') ?? ''
    const m = /filename="([^"]*)"/.exec(cd)
    return { bytes: new Uint8Array(await res.arrayBuffer()), fileName: m?.[1] ?? `candidate-${id}` }
  }

  /** Subscribes to daemon events. */
  events(onEvent: (e: DaemonEvent) => void, onClose?: () => void): EventStream {
    const Ctor =
      this.opts.WebSocket ??
      (globalThis as unknown as { WebSocket: ClientOptions['WebSocket'] }).WebSocket
    if (Ctor === undefined) throw new ApiError('NO_WEBSOCKET', 'no WebSocket implementation', 0)
    const wsUrl =
      this.opts.url.replace(/^http/, 'ws') +
      ROUTES.events.path +
      `?token=${encodeURIComponent(this.opts.token)}`
    const ws = new Ctor(wsUrl)
    const opened = new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve()
      ws.onerror = (e) =>
        reject(
          new ApiError(
            'EVENTS_FAILED',
            `event stream failed: ${String((e as { message?: string }).message ?? e)}`,
            0
          )
        )
    })
    opened.catch(() => undefined)
    ws.onmessage = (ev) => {
      try {
        onEvent(JSON.parse(String(ev.data)) as DaemonEvent)
      } catch {
        // a malformed event is dropped
      }
    }
    ws.onclose = () => onClose?.()
    return { opened, close: () => ws.close() }
  }
}
