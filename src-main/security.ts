/**
 * @fileoverview Electron's security checklist applied: every permission request denied, no
 * navigation away from the app, no new windows, no webviews, the app's files served from a
 * privileged custom scheme with a strict Content-Security-Policy.
 */
import { app, protocol, session, type Session } from 'electron'
import { readFile } from 'node:fs/promises'
import { APP_CSP, APP_SCHEME, appFilePath, contentTypeOf, isAppUrl } from './policy'

/** Must run before `app.whenReady()`: the app scheme behaves like https (fetch, storage). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }
  ])
}

/** Serves `root` (the built renderer) as `summit://app/...`, every answer with the CSP. */
export function serveApp(root: string, ses: Session = session.defaultSession): void {
  ses.protocol.handle(APP_SCHEME, async (req) => {
    const file = appFilePath(root, req.url)
    if (file === undefined) return new Response('not found', { status: 404 })
    try {
      const body = await readFile(file)
      return new Response(new Uint8Array(body), {
        headers: {
          'content-type': contentTypeOf(file),
          'content-security-policy': APP_CSP,
          'x-content-type-options': 'nosniff'
        }
      })
    } catch {
      return new Response('not found', { status: 404 })
    }
  })
}

/** Denies every permission (camera, notifications, ...) and locks every web contents down. */
export function lockDown(ses: Session = session.defaultSession): void {
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  ses.setPermissionCheckHandler(() => false)
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (ev, url) => {
      if (!isAppUrl(url)) ev.preventDefault()
    })
    contents.on('will-redirect', (ev, url) => {
      if (!isAppUrl(url)) ev.preventDefault()
    })
    contents.on('will-attach-webview', (ev) => ev.preventDefault())
    contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  })
}
