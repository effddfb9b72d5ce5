/** @fileoverview The contract between preload and renderer: what `window.summit` offers. */

/** Where the renderer finds the daemon. */
export interface DaemonEndpoint {
  /** Base URL, e.g. `http://127.0.0.1:43121`. */
  readonly url: string
  /** Bearer token for the API. */
  readonly token: string
}

/** The object the preload exposes as `window.summit`. */
export interface SummitBridge {
  /** Which shell hosts the renderer. */
  readonly shell: 'electron'
  /** The daemon endpoint, when one is running. */
  readonly daemon: () => DaemonEndpoint | undefined
}
