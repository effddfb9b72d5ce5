/**
 * @fileoverview The desktop shell's security policy as plain functions (no Electron import, so
 * tests can run them): which URLs the window may show, where app files may come from, the
 * Content-Security-Policy, and who may call the IPC handlers.
 */
import { isAbsolute, join, normalize, relative } from 'node:path'
import { DESKTOP_ORIGIN } from '../src-daemon/api/protocol/ui-address'

/** The privileged scheme the renderer is served from (`summit://app/...`). */
export const APP_SCHEME = 'summit'
/** The renderer's entry page. */
export const APP_ENTRY = `${DESKTOP_ORIGIN}/index.html`

/** The renderer's Content-Security-Policy: own files only; network only to the loopback daemon. */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  'connect-src http://127.0.0.1:* ws://127.0.0.1:*',
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

/** Whether `url` belongs to the app (the only pages the window may show or that may call IPC). */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}` === DESKTOP_ORIGIN
  } catch {
    return false
  }
}

/**
 * The file under `root` that app URL `url` names, or undefined when it is not an app URL or
 * would leave `root` (`..`, encoded separators, absolute paths).
 */
export function appFilePath(root: string, url: string): string | undefined {
  if (!isAppUrl(url)) return undefined
  let path: string
  try {
    path = decodeURIComponent(new URL(url).pathname)
  } catch {
    return undefined
  }
  if (path.includes('\0') || path.includes('\\')) return undefined
  const rel = normalize(path === '/' || path === '' ? 'index.html' : path.replace(/^\/+/, ''))
  if (rel.startsWith('..') || isAbsolute(rel)) return undefined
  const full = join(root, rel)
  const back = relative(root, full)
  return back.startsWith('..') || isAbsolute(back) ? undefined : full
}

/** Content type of an app file by extension. */
export function contentTypeOf(path: string): string {
  const ext = /\.[^./]+$/.exec(path)?.[0].toLowerCase() ?? ''
  const types: Readonly<Record<string, string>> = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.woff2': 'font/woff2',
    '.json': 'application/json'
  }
  return types[ext] ?? 'application/octet-stream'
}
