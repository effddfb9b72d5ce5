/**
 * @fileoverview Preload (sandboxed, context-isolated): exposes the small typed `window.summit`
 * bridge. The renderer gets the daemon's address, native open/save dialogs and menu commands;
 * nothing else of Electron or Node reaches it.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import {
  IPC,
  MENU_COMMANDS,
  type DaemonEndpoint,
  type MenuCommand,
  type PickedFile,
  type SummitBridge
} from './bridge'

/** Subscribes to a main → renderer channel; returns the removal. */
function listen<T>(channel: string, check: (v: unknown) => v is T, f: (v: T) => void): () => void {
  const handler = (_e: IpcRendererEvent, v: unknown): void => {
    if (check(v)) f(v)
  }
  ipcRenderer.on(channel, handler)
  return () => void ipcRenderer.removeListener(channel, handler)
}

const isEndpoint = (v: unknown): v is DaemonEndpoint =>
  typeof (v as DaemonEndpoint | null)?.url === 'string' &&
  typeof (v as DaemonEndpoint | null)?.token === 'string'
const isFiles = (v: unknown): v is PickedFile[] =>
  Array.isArray(v) &&
  v.every(
    (f) =>
      typeof (f as PickedFile).name === 'string' && (f as PickedFile).bytes instanceof Uint8Array
  )
const isCommand = (v: unknown): v is MenuCommand =>
  typeof v === 'string' && (MENU_COMMANDS as readonly string[]).includes(v)

const bridge: SummitBridge = {
  shell: 'electron',
  daemon: async () => {
    const v: unknown = await ipcRenderer.invoke(IPC.daemon)
    return isEndpoint(v) ? v : undefined
  },
  onDaemonChanged: (f) => listen(IPC.daemonChanged, isEndpoint, f),
  openFiles: async () => {
    const v: unknown = await ipcRenderer.invoke(IPC.openFiles)
    return isFiles(v) ? v : []
  },
  saveFile: async (name, bytes) => {
    const v: unknown = await ipcRenderer.invoke(IPC.saveFile, String(name), bytes)
    return typeof v === 'string' ? v : undefined
  },
  onFilesOpened: (f) => listen(IPC.filesOpened, isFiles, f),
  onMenuCommand: (f) => listen(IPC.menuCommand, isCommand, f)
}

contextBridge.exposeInMainWorld('summit', bridge)
