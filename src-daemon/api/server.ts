/**
 * @fileoverview The daemon's HTTP + WebSocket server (fastify 5, @fastify/websocket): the routes
 * of protocol/routes.ts validated with their TypeBox schemas, auth on every request, errors as
 * `{code, message}`, limits on body size, header and request time.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import websocket from '@fastify/websocket'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { TSchema } from '@sinclair/typebox'
import { formatDiagnostic, type Diagnostic } from '../core/util/result'
import { refuse, type AuthPolicy } from './auth'
import type { ApiBackend } from './backend'
import { isUiPath, registerUi } from './ui-static'
import { statusOf } from './protocol/errors'
import {
  EXPORT_FORMATS,
  JOB_ACTIONS,
  ROUTES,
  type ExportFormat,
  type JobAction
} from './protocol/routes'
import { JobExtras, type CreateJobRequest, type ImportRequest } from './protocol/schemas'
import { SearchConfig } from '../core/search/config'

/** Server limits and options. */
export interface ServerOptions {
  readonly auth: AuthPolicy
  /** Largest request body (bytes); uploads are base64 in JSON. */
  readonly bodyLimit?: number
  /** Time to receive a whole request (ms). */
  readonly requestTimeoutMs?: number
  /** Idle socket time (ms). */
  readonly connectionTimeoutMs?: number
  /** Adds routes after the API's. */
  readonly extraRoutes?: (app: FastifyInstance) => void
  /** The built browser UI (`out/web`), served under `/ui/`; absent: no UI routes. */
  readonly uiDir?: string
}

/** An error answer. */
class HttpError extends Error {
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message)
  }
}

const FASTIFY_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_VALIDATION: 'BAD_REQUEST'
}

/** `{code, message, status}` for anything a handler threw. */
function errorAnswer(e: unknown): { code: string; message: string; status: number } {
  const err = e as {
    code?: unknown
    message?: unknown
    diagnostic?: Diagnostic
    statusCode?: unknown
  }
  if (err.diagnostic !== undefined)
    return { code: err.diagnostic.code, message: formatDiagnostic(err.diagnostic), status: 422 }
  const message = typeof err.message === 'string' ? err.message : String(e)
  if (typeof err.code === 'string') {
    const code = FASTIFY_CODES[err.code] ?? err.code
    if (code.startsWith('FST_') || code.startsWith('ERR_')) {
      const status =
        typeof err.statusCode === 'number' && err.statusCode < 500 ? err.statusCode : 400
      return { code: status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', message, status }
    }
    return { code, message, status: statusOf(code) }
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500)
    return { code: 'BAD_REQUEST', message, status: err.statusCode }
  return { code: 'INTERNAL', message, status: 500 }
}

const idOf = (req: FastifyRequest): number => {
  const raw = (req.params as { id?: string }).id ?? ''
  if (!/^\d{1,15}$/.test(raw)) throw new HttpError('BAD_REQUEST', `bad id '${raw.slice(0, 40)}'`)
  return Number(raw)
}

const query = (req: FastifyRequest, name: string): string | undefined => {
  const v = (req.query as Record<string, unknown>)[name]
  return typeof v === 'string' ? v : undefined
}

/** Builds the server (not listening yet). */
export async function buildServer(
  backend: ApiBackend,
  opts: ServerOptions
): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: opts.bodyLimit ?? 96 * 1024 * 1024,
    requestTimeout: opts.requestTimeoutMs ?? 30_000,
    connectionTimeout: opts.connectionTimeoutMs ?? 60_000,
    keepAliveTimeout: 5_000,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    logger: false,
    // Requests Node's HTTP parser rejects (bad headers, too long, slow) get the API's error shape.
    clientErrorHandler: (err, socket) => {
      const e = err as { code?: string }
      const timeout = e.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      const tooBig = e.code === 'HPE_HEADER_OVERFLOW'
      const status = timeout ? 408 : tooBig ? 431 : 400
      const body = JSON.stringify({
        code: timeout ? 'REQUEST_TIMEOUT' : 'BAD_REQUEST',
        message: `malformed request (${e.code ?? 'client error'})`
      })
      if (socket.writable)
        socket.end(
          `HTTP/1.1 ${status} ${timeout ? 'Request Timeout' : 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
        )
      else socket.destroy()
    }
  })
  // Every body schema is checked with TypeBox's compiled checker; the first problem is the message.
  app.setValidatorCompiler(({ schema }) => {
    const check = TypeCompiler.Compile(schema as TSchema)
    return (data: unknown) => {
      if (check.Check(data)) return { value: data }
      const first = check.Errors(data).First()
      const where = first?.path !== undefined && first.path !== '' ? `${first.path}: ` : ''
      return {
        error: new HttpError('BAD_REQUEST', `${where}${first?.message ?? 'invalid request'}`)
      }
    }
  })
  app.setErrorHandler((e, _req, reply) => {
    const a = errorAnswer(e)
    void reply.code(a.status).send({ code: a.code, message: a.message })
  })
  app.setNotFoundHandler((req, reply) => {
    void reply
      .code(404)
      .send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` })
  })
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const no = refuse(
      {
        host: req.headers.host,
        origin: req.headers.origin,
        authorization: req.headers.authorization,
        queryToken: req.url.startsWith(ROUTES.events.path) ? query(req, 'token') : undefined,
        publicAsset: opts.uiDir !== undefined && isUiPath(req.method, req.url)
      },
      opts.auth
    )
    if (no !== undefined) return reply.code(statusOf(no.code)).send(no)
    return undefined
  })
  await app.register(websocket, { options: { maxPayload: 4096 } })

  const b = backend
  app.get(ROUTES.health.path, async () => b.health())
  app.get(ROUTES.configSchema.path, async () => ({
    searchConfig: SearchConfig,
    jobExtras: JobExtras
  }))
  app.post(
    ROUTES.importProgram.path,
    { schema: { body: ROUTES.importProgram.body } },
    async (req) => {
      const body = req.body as ImportRequest
      const files = body.files.map((f) => {
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(f.base64))
          throw new HttpError('BAD_REQUEST', `file ${f.name}: not base64`)
        return { name: f.name, bytes: new Uint8Array(Buffer.from(f.base64, 'base64')) }
      })
      return b.importProgram(files)
    }
  )
  app.get(ROUTES.listPrograms.path, async () => b.listPrograms())
  app.get(ROUTES.getProgram.path, async (req) => b.getProgram((req.params as { id: string }).id))
  app.get(ROUTES.disassemble.path, async (req) => {
    const section = query(req, 'section')
    if (section === undefined) throw new HttpError('BAD_REQUEST', 'section is required')
    return b.disassemble((req.params as { id: string }).id, section)
  })
  app.get(ROUTES.listJobs.path, async () => b.listJobs())
  app.post(ROUTES.createJob.path, { schema: { body: ROUTES.createJob.body } }, async (req) =>
    b.createJob(req.body as CreateJobRequest)
  )
  app.get(ROUTES.getJob.path, async (req) => b.getJob(idOf(req)))
  app.delete(ROUTES.deleteJob.path, async (req) => {
    const id = idOf(req)
    await b.deleteJob(id)
    return { deleted: id }
  })
  app.post(ROUTES.setPriority.path, { schema: { body: ROUTES.setPriority.body } }, async (req) =>
    b.setPriority(idOf(req), (req.body as { priority: number }).priority)
  )
  app.post(ROUTES.jobAction.path, async (req) => {
    const action = (req.params as { action: string }).action
    if (!(JOB_ACTIONS as readonly string[]).includes(action))
      throw new HttpError(
        'NOT_FOUND',
        `no job action '${action.slice(0, 40)}' (${JOB_ACTIONS.join(', ')})`
      )
    return b.jobAction(idOf(req), action as JobAction)
  })
  app.get(ROUTES.metrics.path, async (req) => {
    const raw = query(req, 'maxPoints') ?? '2000'
    if (!/^\d{1,6}$/.test(raw) || Number(raw) < 2)
      throw new HttpError('BAD_REQUEST', 'maxPoints must be an integer in [2, 999999]')
    return b.metrics(idOf(req), Number(raw))
  })
  app.get(ROUTES.candidates.path, async (req) => b.candidates(idOf(req)))
  app.get(ROUTES.improvements.path, async (req) => b.improvements(idOf(req)))
  app.get(ROUTES.getCandidate.path, async (req) => b.getCandidate(idOf(req)))
  app.get(ROUTES.exportCandidate.path, async (req, reply) => {
    const format = query(req, 'format') ?? 'native'
    if (!(EXPORT_FORMATS as readonly string[]).includes(format))
      throw new HttpError('BAD_REQUEST', `format must be one of ${EXPORT_FORMATS.join(', ')}`)
    const f = b.exportCandidate(idOf(req), format as ExportFormat)
    const safeName = f.fileName.replace(/[^\w.+-]/g, '_')
    return reply
      .header('content-type', 'application/octet-stream')
      .header('content-disposition', `attachment; filename="${safeName}"`)
      .send(Buffer.from(f.bytes))
  })
  app.get(ROUTES.events.path, { websocket: true }, (socket) => {
    const off = b.subscribe((e) => {
      // A slow reader misses progress events rather than growing the daemon's memory.
      if (e.type === 'progress' && socket.bufferedAmount > 1 << 20) return
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(e))
    })
    socket.on('message', () => undefined)
    socket.on('close', off)
    socket.on('error', off)
  })
  if (opts.uiDir !== undefined) await registerUi(app, opts.uiDir, () => opts.auth.port)
  opts.extraRoutes?.(app)
  return app
}
