/** @fileoverview Preload: exposes the typed Summit API (daemon connection info) to the renderer. */
import { contextBridge } from 'electron'
import type { SummitBridge } from './bridge'

const bridge: SummitBridge = {
  shell: 'electron',
  daemon: () => {
    const url = process.env['SUMMIT_DAEMON_URL']
    const token = process.env['SUMMIT_DAEMON_TOKEN']
    return url !== undefined && token !== undefined ? { url, token } : undefined
  }
}

contextBridge.exposeInMainWorld('summit', bridge)
