/** @fileoverview Finds the Electron desktop shell, which may be missing where its binary cannot be downloaded. */
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'

/** Where the Electron binary is, or why it cannot be used. */
export type ElectronShell =
  | { readonly available: true; readonly binary: string }
  | { readonly available: false; readonly reason: string }

/** Locates the Electron binary installed with the `electron` package. */
export function findElectron(): ElectronShell {
  const require = createRequire(import.meta.url)
  let binary: unknown
  try {
    binary = require('electron')
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e)
    return { available: false, reason: `the electron package has no binary (${why})` }
  }
  if (typeof binary !== 'string' || !existsSync(binary)) {
    return { available: false, reason: 'the Electron binary was not downloaded' }
  }
  if (process.platform === 'linux' && !process.env['DISPLAY'] && !process.env['WAYLAND_DISPLAY']) {
    return { available: false, reason: 'no display (DISPLAY/WAYLAND_DISPLAY unset)' }
  }
  return { available: true, binary }
}
