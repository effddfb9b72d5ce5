/**
 * @fileoverview Where the UI lives: the desktop app's origin, and the browser UI's address, which
 * carries the token in its fragment (browsers never send a fragment to the server).
 */

/**
 * The desktop app's origin: Electron serves the renderer from this privileged custom scheme, and
 * every daemon accepts it (the bearer token is still required). A web page cannot claim it.
 */
export const DESKTOP_ORIGIN = 'summit://app'

/** The browser UI of the daemon at `base` (e.g. `http://127.0.0.1:41234`), with its token. */
export function uiUrl(base: string, token: string): string {
  return `${base}/ui/#token=${encodeURIComponent(token)}`
}

/** The token in a UI address's fragment (`#token=...`), if any. */
export function tokenFromFragment(hash: string): string | undefined {
  const m = /(?:^#|&)token=([^&]+)/.exec(hash)
  return m?.[1] !== undefined ? decodeURIComponent(m[1]) : undefined
}
