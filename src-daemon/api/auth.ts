/**
 * @fileoverview Who may talk to the daemon: requests must come with the bearer token (compared in
 * constant time), name the daemon's own loopback address and port in Host (no DNS rebinding), and
 * come from no browser Origin other than the daemon's own or one the user allowed.
 */
import { createHash, timingSafeEqual } from 'node:crypto'

/** What a request is checked against. */
export interface AuthPolicy {
  readonly token: string
  /** The daemon's port (set once it listens). */
  port: number
  /** Extra allowed browser origins (e.g. the desktop app's). */
  readonly allowedOrigins: readonly string[]
}

/** The request parts auth looks at. */
export interface AuthRequest {
  readonly host: string | undefined
  readonly origin: string | undefined
  readonly authorization: string | undefined
  /** `?token=` (accepted on the event WebSocket only: browsers cannot set headers there). */
  readonly queryToken: string | undefined
  /**
   * The request is for the browser UI's static files (the same bundle as in the repository, no
   * data): Host and Origin are checked, the token is not. The UI gets the token from the URL
   * fragment, which the browser never sends.
   */
  readonly publicAsset?: boolean
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]']

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/** Constant-time comparison of two tokens (through digests, so lengths do not leak either). */
export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected))
}

/** The refusal for a request, or undefined when it may pass. */
export function refuse(
  r: AuthRequest,
  p: AuthPolicy
): { code: 'FORBIDDEN_HOST' | 'FORBIDDEN_ORIGIN' | 'AUTH_REQUIRED'; message: string } | undefined {
  const own = LOOPBACK_NAMES.map((h) => `${h}:${p.port}`)
  if (r.host === undefined || !own.includes(r.host.toLowerCase()))
    return {
      code: 'FORBIDDEN_HOST',
      message: `Host '${r.host ?? ''}' is not this daemon's loopback address (127.0.0.1:${p.port})`
    }
  if (r.origin !== undefined) {
    const origins = [...own.map((h) => `http://${h}`), ...p.allowedOrigins]
    if (!origins.includes(r.origin.toLowerCase()))
      return { code: 'FORBIDDEN_ORIGIN', message: `Origin '${r.origin}' is not allowed` }
  }
  if (r.publicAsset === true) return undefined
  const m = /^Bearer (.+)$/.exec(r.authorization ?? '')
  const given = m?.[1] ?? r.queryToken
  if (given === undefined || !tokenMatches(given, p.token))
    return { code: 'AUTH_REQUIRED', message: 'a valid bearer token is required (see daemon.json)' }
  return undefined
}
