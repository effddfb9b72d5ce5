/**
 * @fileoverview The browser UI's static files (the built renderer, `out/web`) under `/ui/`, with
 * a strict Content-Security-Policy and no framing; `/` redirects there. The files hold no data
 * and no token (the page reads the token from its URL fragment), so they are served without one.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import fastifyStatic from '@fastify/static'

/** Path prefix of the browser UI. */
export const UI_PREFIX = '/ui/'

/** Whether `url` (path and query) asks for the UI's static files. */
export function isUiPath(method: string, url: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false
  const path = url.split('?')[0] ?? ''
  return path === '/' || path === '/ui' || path.startsWith(UI_PREFIX)
}

/** The Content-Security-Policy of UI pages served by the daemon on `port`. */
export function uiContentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'"
  ].join('; ')
}

/**
 * Registers the UI under {@link UI_PREFIX}. While there is no built UI (`dir/index.html`
 * missing; it may be built later) the prefix answers `UI_NOT_BUILT` with how to build it.
 */
export async function registerUi(
  app: FastifyInstance,
  dir: string,
  port: () => number
): Promise<void> {
  app.get('/', (_req, reply) => reply.redirect(UI_PREFIX))
  app.get('/ui', (_req, reply) => reply.redirect(UI_PREFIX))
  mkdirSync(dir, { recursive: true })
  app.addHook('preHandler', async (req, reply) => {
    if (isUiPath(req.method, req.url) && !existsSync(join(dir, 'index.html')))
      return reply.code(404).send({
        code: 'UI_NOT_BUILT',
        message: `the browser UI is not built (${dir}): run 'npm run build:web' or 'summit ui'`
      })
    return undefined
  })
  app.addHook('onSend', async (req, reply, payload) => {
    if (isUiPath(req.method, req.url)) {
      void reply
        .header('content-security-policy', uiContentSecurityPolicy(port()))
        .header('x-frame-options', 'DENY')
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
      if (!req.url.startsWith(`${UI_PREFIX}assets/`)) void reply.header('cache-control', 'no-cache')
    }
    return payload
  })
  await app.register(fastifyStatic, {
    root: dir,
    prefix: UI_PREFIX,
    index: ['index.html'],
    dotfiles: 'deny',
    decorateReply: false,
    wildcard: true
  })
}
