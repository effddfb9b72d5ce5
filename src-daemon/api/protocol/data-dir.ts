/**
 * @fileoverview Where Summit keeps its data: `SUMMIT_DATA_DIR`, else the platform's user data
 * directory. Pure (the caller passes the environment), so Electron main, the CLI and the daemon
 * all resolve the same place.
 */

/** What the data directory depends on (`process.env`, `process.platform`, `os.homedir()`). */
export interface DataDirContext {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly platform: string
  readonly home: string
}

const join = (sep: string, ...parts: string[]): string =>
  parts.map((p, i) => (i === 0 ? p.replace(/[\\/]+$/, '') : p)).join(sep)

/** The data directory: `SUMMIT_DATA_DIR` if set, else the platform's user data directory. */
export function summitDataDir(c: DataDirContext): string {
  const explicit = c.env.SUMMIT_DATA_DIR
  if (explicit !== undefined && explicit !== '') return explicit
  if (c.platform === 'win32') {
    const appData = c.env.APPDATA
    return join(
      '\\',
      appData !== undefined && appData !== '' ? appData : join('\\', c.home, 'AppData', 'Roaming'),
      'Summit'
    )
  }
  if (c.platform === 'darwin') return join('/', c.home, 'Library', 'Application Support', 'Summit')
  const xdg = c.env.XDG_DATA_HOME
  return join(
    '/',
    xdg !== undefined && xdg !== '' ? xdg : join('/', c.home, '.local', 'share'),
    'summit'
  )
}

/** Name of the runtime file (pid, port, token, version) inside the data directory. */
export const DAEMON_FILE = 'daemon.json'
