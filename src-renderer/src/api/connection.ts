/**
 * @fileoverview The renderer's link to the daemon: where it is (the desktop bridge, or this
 * page's origin and the token from the URL fragment), and an event stream that reconnects with
 * backoff when the daemon restarts.
 */
import { SummitClient } from '../../../src-daemon/api/protocol/client'
import { ApiError } from '../../../src-daemon/api/protocol/errors'
import type { DaemonEvent } from '../../../src-daemon/api/protocol/schemas'
import { tokenFromFragment } from '../../../src-daemon/api/protocol/ui-address'
import type { DaemonEndpoint } from '../../../src-preload/bridge'

const TOKEN_KEY = 'summit.token'

/**
 * The endpoint of the browser UI: this page's origin, and the token from `#token=` (moved to
 * session storage and out of the address bar, so a reload still works and the token is not left
 * in the visible URL).
 */
export function browserEndpoint(
  loc: Pick<Location, 'hash' | 'origin' | 'pathname' | 'search'>,
  storage: Pick<Storage, 'getItem' | 'setItem'>,
  replaceUrl: (url: string) => void
): DaemonEndpoint | undefined {
  const fromHash = tokenFromFragment(loc.hash)
  if (fromHash !== undefined) {
    storage.setItem(TOKEN_KEY, fromHash)
    replaceUrl(loc.pathname + loc.search)
  }
  const token = fromHash ?? storage.getItem(TOKEN_KEY) ?? undefined
  return token !== undefined ? { url: loc.origin, token } : undefined
}

/** Connection states shown to the user. */
export type LinkStatus = 'connecting' | 'online' | 'offline' | 'no-token' | 'unauthorized'

/** What the link tells its owner. */
export interface LinkHandlers {
  readonly status: (s: LinkStatus, detail: string) => void
  /** A daemon answered (first time or after a reconnect): reload what is shown. */
  readonly online: (client: SummitClient) => void
  readonly event: (e: DaemonEvent) => void
}

const BACKOFF_MS = [250, 500, 1000, 2000, 3000, 5000]

/** Keeps one client and one event stream to the daemon, reconnecting after it goes away. */
export class DaemonLink {
  private client: SummitClient | undefined
  private stream: { close(): void } | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private attempt = 0
  private disposed = false
  private generation = 0

  constructor(
    /** Asked before each attempt: the desktop bridge may name a new port after a restart. */
    private readonly endpoint: () => Promise<DaemonEndpoint | undefined>,
    private readonly on: LinkHandlers
  ) {}

  /** The current client (undefined before the first connection). */
  get current(): SummitClient | undefined {
    return this.client
  }

  /** Connects now (dropping any current stream). */
  connect(): void {
    if (this.disposed) return
    clearTimeout(this.timer)
    this.stream?.close()
    this.stream = undefined
    const gen = ++this.generation
    void this.tryOnce(gen)
  }

  private retry(gen: number): void {
    if (this.disposed || gen !== this.generation) return
    const ms = BACKOFF_MS[Math.min(this.attempt++, BACKOFF_MS.length - 1)]!
    this.timer = setTimeout(() => this.connect(), ms)
  }

  private async tryOnce(gen: number): Promise<void> {
    this.on.status('connecting', 'connecting to the daemon…')
    const ep = await this.endpoint()
    if (gen !== this.generation) return
    if (ep === undefined) {
      this.on.status('no-token', 'no daemon address: open the URL that summit ui printed')
      return
    }
    const client = new SummitClient({ url: ep.url, token: ep.token })
    try {
      await client.health()
    } catch (e) {
      if (gen !== this.generation) return
      const code = e instanceof ApiError ? e.code : 'UNREACHABLE'
      if (code === 'AUTH_REQUIRED')
        this.on.status(
          'unauthorized',
          'the daemon refused the token: open the URL summit ui prints'
        )
      else this.on.status('offline', 'the daemon is not answering; retrying…')
      this.retry(gen)
      return
    }
    if (gen !== this.generation) return
    this.client = client
    let stream: { close(): void; opened: Promise<void> }
    try {
      stream = client.events(
        (e) => this.on.event(e),
        () => {
          if (gen !== this.generation) return
          this.on.status('offline', 'lost the daemon; reconnecting…')
          this.retry(gen)
        }
      )
    } catch {
      this.retry(gen)
      return
    }
    this.stream = stream
    try {
      await stream.opened
    } catch {
      return // onClose follows and retries
    }
    if (gen !== this.generation) return
    this.attempt = 0
    this.on.status('online', 'connected')
    this.on.online(client)
  }

  /** Stops reconnecting and closes the stream. */
  dispose(): void {
    this.disposed = true
    clearTimeout(this.timer)
    this.stream?.close()
  }
}
