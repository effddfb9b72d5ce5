/**
 * @fileoverview A daemon process: lock, store, job manager, API server on 127.0.0.1 with a fresh
 * token, daemon.json; resumes running jobs; stops cleanly (chains checkpoint, database closed,
 * lock released).
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildServer } from '../api/server'
import { DESKTOP_ORIGIN } from '../api/protocol/ui-address'
import { SqliteStore } from '../store/sqlite-store'
import { daemonBackend, EventHub, type HealthFacts } from './backend'
import { JobManager } from './jobs'
import { KernelChecks } from './kernel-checks'
import { readLatencyTable } from '../engine/search/latency-file'
import type { LatencyTable } from '../core/search/latency'
import {
  readDaemonInfo,
  readEndpoint,
  releaseLock,
  takeLock,
  writeDaemonInfo,
  writeEndpoint,
  type DaemonInfo
} from './runtime-file'

/** Daemon settings. */
export interface DaemonOptions {
  readonly dataDir: string
  /** TCP port on 127.0.0.1 (0 = the previous daemon's if free, else a free one). */
  readonly port?: number
  /** A fresh token instead of the previous daemon's. */
  readonly newToken?: boolean
  /** The built browser UI served under `/ui/` (default: the checkout's `out/web`). */
  readonly uiDir?: string
  /** Cores for chains (default: all). */
  readonly coreLimit?: number
  /** Browser origins allowed besides the daemon's own. */
  readonly allowedOrigins?: readonly string[]
  readonly checkpointMs?: number
  readonly saveMs?: number
  readonly graceMs?: number
  readonly quantumMs?: number
  /** Adds routes to the server (e.g. the renderer's static files). */
  readonly extraRoutes?: (app: FastifyInstance) => void
}

/** A started daemon. */
export interface RunningDaemon {
  readonly info: DaemonInfo
  /** Checkpoints, closes and releases; resolves when done. */
  stop(): Promise<void>
}

/** The checkout's built browser UI. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../out/web', import.meta.url))

/** Whether 127.0.0.1:`port` can be listened on now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () =>
      probe.close(() => resolve(true))
    )
  })
}

/** Summit's version (package.json). */
export function summitVersion(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
    ) as {
      version?: string
    }
    return pkg.version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

/** The data directory's calibrated latency table, if any (an unreadable one is ignored with a warning). */
function latencyTableOf(dataDir: string): { latencyTable?: LatencyTable } {
  const r = readLatencyTable(dataDir)
  if (!r.ok) {
    process.stderr.write(`summit daemon: ${r.error.message}; using the built-in latency table\n`)
    return {}
  }
  return r.value !== undefined ? { latencyTable: r.value } : {}
}

/** Starts a daemon for `opts.dataDir`, or reports the one already running there. */
export async function startDaemon(
  opts: DaemonOptions
): Promise<
  | { kind: 'started'; daemon: RunningDaemon }
  | { kind: 'running'; pid: number; info: DaemonInfo | undefined }
> {
  const lock = takeLock(opts.dataDir)
  if (!lock.ok) {
    let info = readDaemonInfo(opts.dataDir)
    for (let i = 0; i < 50 && info === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100))
      info = readDaemonInfo(opts.dataDir)
    }
    return { kind: 'running', pid: lock.pid, info }
  }
  let store: SqliteStore
  try {
    store = SqliteStore.open(join(opts.dataDir, 'summit.db'))
  } catch (e) {
    releaseLock(opts.dataDir)
    throw e
  }
  const coreLimit = Math.max(1, opts.coreLimit ?? availableParallelism())
  const facts: HealthFacts = {
    version: summitVersion(),
    dataDir: opts.dataDir,
    coreLimit,
    startedAt: Date.now(),
    storeError: undefined
  }
  const hub = new EventHub()
  const jobs = new JobManager(store, {
    coreLimit,
    checkpointMs: opts.checkpointMs ?? 3000,
    saveMs: opts.saveMs ?? 1000,
    graceMs: opts.graceMs ?? 2500,
    ...latencyTableOf(opts.dataDir),
    quantumMs: opts.quantumMs ?? 60_000,
    emit: (e) => hub.emit(e),
    onStoreError: (m) => {
      facts.storeError = m
    }
  })
  // The previous port and token are reused so that open UIs reconnect after a restart.
  const previous = readEndpoint(opts.dataDir)
  const token =
    opts.newToken !== true && previous !== undefined
      ? previous.token
      : randomBytes(32).toString('hex')
  const port =
    opts.port !== undefined && opts.port !== 0
      ? opts.port
      : previous !== undefined && (await portFree(previous.port))
        ? previous.port
        : 0
  const auth = {
    token,
    port,
    allowedOrigins: [DESKTOP_ORIGIN, ...(opts.allowedOrigins ?? [])]
  }
  const checks = new KernelChecks(store, (e) => hub.emit(e))
  const backend = daemonBackend(store, jobs, hub, facts, checks)
  const app = await buildServer(backend, {
    auth,
    uiDir: opts.uiDir ?? DEFAULT_UI_DIR,
    ...(opts.extraRoutes !== undefined ? { extraRoutes: opts.extraRoutes } : {})
  })
  try {
    await app.listen({ host: '127.0.0.1', port })
  } catch (e) {
    store.close()
    releaseLock(opts.dataDir)
    throw e
  }
  const address = app.server.address()
  const actualPort = typeof address === 'object' && address !== null ? address.port : port
  auth.port = actualPort
  const info: DaemonInfo = {
    pid: process.pid,
    port: actualPort,
    token,
    version: facts.version,
    url: `http://127.0.0.1:${actualPort}`,
    dataDir: opts.dataDir,
    startedAt: facts.startedAt
  }
  writeEndpoint(opts.dataDir, { port: actualPort, token })
  writeDaemonInfo(opts.dataDir, info)
  jobs.resumeAll()
  const ticker = setInterval(() => jobs.tick(), 250)
  const healthTicker = setInterval(
    () => hub.emit({ type: 'health', health: backend.health() }),
    5000
  )
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      clearInterval(ticker)
      clearInterval(healthTicker)
      await Promise.all([jobs.shutdown(), checks.shutdown()])
      await app.close()
      store.close()
      releaseLock(opts.dataDir)
    })())
  return { kind: 'started', daemon: { info, stop } }
}
