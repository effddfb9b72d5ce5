/**
 * @fileoverview The data directory's lock (one daemon per directory) and `daemon.json` (pid,
 * port, token, version; mode 0600), with detection of stale ones left by a crash.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync
} from 'node:fs'
import { join } from 'node:path'
import { DAEMON_FILE } from '../api/protocol/data-dir'

/** What daemon.json holds. */
export interface DaemonInfo {
  readonly pid: number
  readonly port: number
  readonly token: string
  readonly version: string
  readonly url: string
  readonly dataDir: string
  readonly startedAt: number
}

const LOCK_FILE = 'daemon.lock'
const ENDPOINT_FILE = 'endpoint.json'

/** The port and token a daemon of this directory used last (kept across restarts). */
export interface RememberedEndpoint {
  readonly port: number
  readonly token: string
}

/** Whether process `pid` exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM'
  }
}

/** Reads daemon.json of `dataDir` (undefined when absent or unreadable). */
export function readDaemonInfo(dataDir: string): DaemonInfo | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, DAEMON_FILE), 'utf8')) as DaemonInfo
  } catch {
    return undefined
  }
}

/**
 * Takes the directory's lock. Returns the pid of the daemon holding it instead when one is alive;
 * a lock (and daemon.json) left by a dead process is replaced.
 */
export function takeLock(dataDir: string): { ok: true } | { ok: false; pid: number } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const lock = join(dataDir, LOCK_FILE)
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600)
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return { ok: true }
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e
    }
    const pid = Number(readFileSync(lock, 'utf8').trim())
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid))
      return { ok: false, pid }
    // Stale: the holder died without cleaning up.
    rmSync(lock, { force: true })
    rmSync(join(dataDir, DAEMON_FILE), { force: true })
  }
  throw new Error(`cannot take the lock ${lock}`)
}

/** Writes daemon.json atomically with mode 0600. */
export function writeDaemonInfo(dataDir: string, info: DaemonInfo): void {
  const tmp = join(dataDir, `${DAEMON_FILE}.${process.pid}.tmp`)
  rmSync(tmp, { force: true })
  const fd = openSync(tmp, 'wx', 0o600)
  writeSync(fd, JSON.stringify(info, null, 2) + '\n')
  closeSync(fd)
  renameSync(tmp, join(dataDir, DAEMON_FILE))
}

/** Removes daemon.json and the lock (on clean exit; only ours). */
export function releaseLock(dataDir: string): void {
  const lock = join(dataDir, LOCK_FILE)
  if (existsSync(lock) && readFileSync(lock, 'utf8').trim() === String(process.pid)) {
    rmSync(join(dataDir, DAEMON_FILE), { force: true })
    rmSync(lock, { force: true })
  }
}

/**
 * The port and token the directory's previous daemon used, so that open browser tabs and the
 * desktop window reconnect after a restart (undefined when none or unreadable).
 */
export function readEndpoint(dataDir: string): RememberedEndpoint | undefined {
  try {
    const e = JSON.parse(
      readFileSync(join(dataDir, ENDPOINT_FILE), 'utf8')
    ) as Partial<RememberedEndpoint>
    if (typeof e.port !== 'number' || !Number.isInteger(e.port) || e.port < 1 || e.port > 65535)
      return undefined
    if (typeof e.token !== 'string' || !/^[0-9a-f]{64}$/.test(e.token)) return undefined
    return { port: e.port, token: e.token }
  } catch {
    return undefined
  }
}

/** Remembers the port and token (mode 0600, atomically). */
export function writeEndpoint(dataDir: string, e: RememberedEndpoint): void {
  const tmp = join(dataDir, `${ENDPOINT_FILE}.${process.pid}.tmp`)
  rmSync(tmp, { force: true })
  const fd = openSync(tmp, 'wx', 0o600)
  writeSync(fd, JSON.stringify(e) + '\n')
  closeSync(fd)
  renameSync(tmp, join(dataDir, ENDPOINT_FILE))
}
