/** @fileoverview The application menu: files (open, recent, export), views, search, theme, help. */
import { Menu, type MenuItemConstructorOptions } from 'electron'
import { basename } from 'node:path'
import type { MenuCommand } from '../src-preload/bridge'

/** What the menu asks of the app. */
export interface MenuActions {
  readonly command: (c: MenuCommand) => void
  readonly open: () => void
  readonly openRecent: (path: string) => void
  readonly clearRecent: () => void
}

/**
 * Builds and installs the menu. Keys the renderer handles itself are shown but not registered
 * here (`registerAccelerator: false`), so they work the same in the browser UI.
 */
export function installMenu(recent: readonly string[], a: MenuActions): void {
  const shown = (
    label: string,
    accelerator: string,
    c: MenuCommand
  ): MenuItemConstructorOptions => ({
    label,
    accelerator,
    registerAccelerator: false,
    click: () => a.command(c)
  })
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open…', accelerator: 'CmdOrCtrl+O', registerAccelerator: false, click: a.open },
        {
          label: 'Open Recent',
          submenu: [
            ...recent.map((p) => ({
              label: basename(p),
              sublabel: p,
              click: () => a.openRecent(p)
            })),
            ...(recent.length > 0 ? [{ type: 'separator' as const }] : []),
            { label: 'Clear Recent', enabled: recent.length > 0, click: a.clearRecent }
          ]
        },
        shown('Export…', 'CmdOrCtrl+E', 'export'),
        { type: 'separator' },
        { role: process.platform === 'darwin' ? 'close' : 'quit' }
      ]
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        shown('Import', 'Alt+1', 'view-import'),
        shown('Program', 'Alt+2', 'view-program'),
        shown('New Search', 'Alt+3', 'view-search'),
        shown('Live Progress', 'Alt+4', 'view-progress'),
        shown('Diff', 'Alt+5', 'view-diff'),
        shown('Export', 'Alt+6', 'view-export'),
        shown('Jobs', 'Alt+7', 'view-jobs'),
        { type: 'separator' },
        shown('Light/Dark Theme', 'CmdOrCtrl+Shift+L', 'toggle-theme'),
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' }
      ]
    },
    { label: 'Search', submenu: [{ label: 'New Search…', click: () => a.command('new-search') }] },
    { label: 'Help', submenu: [shown('Keyboard Shortcuts', '?', 'shortcuts')] }
  ]
  Menu.setApplicationMenu(Menu.buildFromTemplate(template))
}
