/**
 * @fileoverview Electron main: finds the data directory's daemon or starts one detached (so
 * searches outlive the window), serves the renderer from `summit://app` with the security
 * checklist applied, owns native dialogs, the menu and recent files, and tells the renderer
 * when the daemon comes back after a restart. Main is not in the data path.
 */
import { app, BrowserWindow, dialog, ipcMain, type IpcMainInvokeEvent } from 'electron'
import { writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { summitDataDir } from '../src-daemon/api/protocol/data-dir'
import { IPC, type DaemonEndpoint, type MenuCommand, type PickedFile } from '../src-preload/bridge'
import { DaemonWatcher, ensureDaemon, type DaemonCommand } from './daemon-link'
import { installMenu } from './menu'
import { APP_ENTRY, isAppUrl } from './policy'
import { readProgramFiles } from './program-files'
import { loadRecent, saveRecent, withRecent } from './recent-files'
import { lockDown, registerAppScheme, serveApp } from './security'

registerAppScheme()

const dataDir = summitDataDir({ env: process.env, platform: process.platform, home: homedir() })
/** The daemon runs under plain Node (its native SQLite module is built for Node, not Electron). */
const daemonCommand: DaemonCommand = {
  cmd: process.env['SUMMIT_NODE'] ?? 'node',
  args: ['--import', 'tsx', join(app.getAppPath(), 'src-daemon/cli/main.ts'), 'daemon'],
  cwd: app.getAppPath()
}
let win: BrowserWindow | undefined
let recent: string[] = []
let lastDir = homedir()
const recentFile = (): string => join(app.getPath('userData'), 'recent-files.json')

const send = (channel: string, value: unknown): void => {
  if (win !== undefined && !win.isDestroyed()) win.webContents.send(channel, value)
}

const watcher = new DaemonWatcher(dataDir, daemonCommand, (e: DaemonEndpoint) =>
  send(IPC.daemonChanged, e)
)

/** IPC calls are answered only for the app's own page. */
const trusted = (e: IpcMainInvokeEvent): boolean => isAppUrl(e.senderFrame?.url ?? '')

function remember(path: string): void {
  recent = withRecent(recent, path)
  lastDir = dirname(path)
  saveRecent(recentFile(), recent)
  app.addRecentDocument(path)
  menu()
}

async function pickFiles(): Promise<PickedFile[]> {
  if (win === undefined) return []
  const r = await dialog.showOpenDialog(win, {
    title: 'Open an eBPF program',
    defaultPath: lastDir,
    properties: ['openFile'],
    filters: [
      { name: 'eBPF programs', extensions: ['o', 'insns', 's', 'S', 'bin', 'data'] },
      { name: 'All files', extensions: ['*'] }
    ]
  })
  const path = r.filePaths[0]
  if (r.canceled || path === undefined) return []
  remember(path)
  return readProgramFiles(path)
}

function menu(): void {
  installMenu(recent, {
    command: (c: MenuCommand) => send(IPC.menuCommand, c),
    open: () => void pickFiles().then((f) => f.length > 0 && send(IPC.filesOpened, f)),
    openRecent: (p) => {
      try {
        const files = readProgramFiles(p)
        remember(p)
        send(IPC.filesOpened, files)
      } catch (e) {
        void dialog.showMessageBox({ type: 'error', message: `Cannot open ${p}: ${String(e)}` })
      }
    },
    clearRecent: () => {
      recent = []
      saveRecent(recentFile(), recent)
      app.clearRecentDocuments()
      menu()
    }
  })
}

function createWindow(): void {
  win = new BrowserWindow({
    width: 1360,
    height: 900,
    show: false,
    title: 'Summit',
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false
    }
  })
  win.on('ready-to-show', () => win?.show())
  win.on('closed', () => (win = undefined))
  void win.loadURL(APP_ENTRY)
}

ipcMain.handle(IPC.daemon, async (e) => {
  if (!trusted(e)) return undefined
  return watcher.endpoint ?? (await watcher.poll())
})
ipcMain.handle(IPC.openFiles, async (e) => (trusted(e) ? await pickFiles() : []))
ipcMain.handle(IPC.saveFile, async (e, name: unknown, bytes: unknown) => {
  if (!trusted(e) || win === undefined) return undefined
  if (typeof name !== 'string' || !(bytes instanceof Uint8Array)) return undefined
  const r = await dialog.showSaveDialog(win, {
    title: 'Export the optimized program',
    defaultPath: join(lastDir, name.replace(/[/\\]/g, '_'))
  })
  if (r.canceled || r.filePath === undefined) return undefined
  writeFileSync(r.filePath, bytes)
  lastDir = dirname(r.filePath)
  return r.filePath
})

void app.whenReady().then(async () => {
  lockDown()
  serveApp(join(__dirname, '../renderer'))
  recent = loadRecent(recentFile())
  menu()
  createWindow()
  const d = await ensureDaemon(dataDir, daemonCommand)
  if (d === undefined)
    void dialog.showMessageBox({
      type: 'warning',
      message: `The Summit daemon for ${dataDir} did not start; retrying in the background.`
    })
  await watcher.poll()
  watcher.start()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })
})

// Closing the window leaves the daemon (and its searches) running.
app.on('window-all-closed', () => {
  watcher.stop()
  if (process.platform !== 'darwin') app.quit()
})
