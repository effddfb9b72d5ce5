import type { SummitBridge } from './bridge'

declare global {
  interface Window {
    /** Present only inside the Electron shell; the browser UI has no bridge. */
    summit?: SummitBridge
  }
}
