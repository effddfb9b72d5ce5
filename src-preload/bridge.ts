/** @fileoverview The contract between preload and renderer: what `window.summit` offers. */

/** Where the renderer finds the daemon. */
export interface DaemonEndpoint {
  /** Base URL, e.g. `http://127.0.0.1:43121`. */
  readonly url: string
  /** Bearer token for the API. */
  readonly token: string
}

/** A file the user picked in the native open dialog (with its K2 companions, if any). */
export interface PickedFile {
  readonly name: string
  readonly bytes: Uint8Array
}

/** Commands the application menu sends to the renderer. */
export const MENU_COMMANDS = [
  'open',
  'export',
  'new-search',
  'view-import',
  'view-program',
  'view-search',
  'view-progress',
  'view-diff',
  'view-export',
  'view-jobs',
  'toggle-theme',
  'shortcuts'
] as const
/** A menu command. */
export type MenuCommand = (typeof MENU_COMMANDS)[number]

/** IPC channel names (preload ↔ main). */
export const IPC = {
  daemon: 'summit:daemon',
  daemonChanged: 'summit:daemon-changed',
  openFiles: 'summit:open-files',
  saveFile: 'summit:save-file',
  menuCommand: 'summit:menu-command',
  filesOpened: 'summit:files-opened'
} as const

/** The object the preload exposes as `window.summit` (only inside the desktop app). */
export interface SummitBridge {
  /** Which shell hosts the renderer. */
  readonly shell: 'electron'
  /** The daemon endpoint (main finds or starts the daemon); undefined while none answers. */
  readonly daemon: () => Promise<DaemonEndpoint | undefined>
  /** Calls `listener` whenever main connects to a (re)started daemon; returns the removal. */
  readonly onDaemonChanged: (listener: (endpoint: DaemonEndpoint) => void) => () => void
  /** Native open dialog (also used by the Open Recent menu); empty when cancelled. */
  readonly openFiles: () => Promise<PickedFile[]>
  /** Native save dialog; resolves to the path written, or undefined when cancelled. */
  readonly saveFile: (suggestedName: string, bytes: Uint8Array) => Promise<string | undefined>
  /** Calls `listener` with files opened from the menu (Open…, Open Recent); returns the removal. */
  readonly onFilesOpened: (listener: (files: PickedFile[]) => void) => () => void
  /** Calls `listener` for each application-menu command; returns the removal. */
  readonly onMenuCommand: (listener: (command: MenuCommand) => void) => () => void
}
