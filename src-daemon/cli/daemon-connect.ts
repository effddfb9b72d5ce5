/**
 * @fileoverview Finding the daemon of a data directory (daemon.json) or starting one detached,
 * and the typed client to it (with the `ws` package's WebSocket: Node 20 has no global one).
 */
import { spawn } from 'node:child_process'
import { homedir } from 'node:os'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { summitDataDir } from '../api/protocol/data-dir'
import { SummitClient, type ClientOptions } from '../api/protocol/client'
import { processAlive, readDaemonInfo, type DaemonInfo } from '../daemon/runtime-file'
import { CliError } from './errors'

/** The data directory from `--data-dir`, else SUMMIT_DATA_DIR, else the platform's. */
export function dataDirOf(flag: string | undefined): string {
  return flag ?? summitDataDir({ env: process.env, platform: process.platform, home: homedir() })
}

/** A client for `info`. */
export function clientFor(info: DaemonInfo): SummitClient {
  return new SummitClient({
    url: info.url,
    token: info.token,
    WebSocket: WebSocket as unknown as NonNullable<ClientOptions['WebSocket']>
  })
}

/** The running daemon of `dataDir`, if any (a daemon.json whose process is alive). */
export function runningDaemon(dataDir: string): DaemonInfo | undefined {
  const info = readDaemonInfo(dataDir)
  return info !== undefined && processAlive(info.pid) ? info : undefined
}

/** Connects to the daemon of `dataDir`; starts one (detached, outliving this command) if asked. */
export async function connect(
  dataDir: string,
  startIfNone: boolean
): Promise<{ client: SummitClient; info: DaemonInfo; started: boolean }> {
  let info = runningDaemon(dataDir)
  let started = false
  if (info === undefined) {
    if (!startIfNone)
      throw new CliError({
        code: 'DAEMON_NOT_RUNNING',
        message: `no daemon runs for ${dataDir} (start one with 'summit daemon')`
      })
    const main = fileURLToPath(new URL('./main.ts', import.meta.url))
    const child = spawn(
      process.execPath,
      [...process.execArgv, main, 'daemon', '--data-dir', dataDir],
      {
        detached: true,
        stdio: 'ignore'
      }
    )
    child.unref()
    started = true
    for (let i = 0; i < 300 && info === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100))
      info = runningDaemon(dataDir)
    }
    if (info === undefined)
      throw new CliError({
        code: 'DAEMON_START_FAILED',
        message: `the daemon for ${dataDir} did not start within 30 s`
      })
  }
  const client = clientFor(info)
  await client.health()
  return { client, info, started }
}
