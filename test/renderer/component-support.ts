/**
 * @fileoverview Mounting views for component tests: a fresh Pinia, the workbench store online
 * with a fake client whose methods each test provides, and a flush of pending promises.
 */
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import type { Component } from 'vue'
import type { SummitClient } from '../../src-daemon/api/protocol/client'
import { useWorkbench } from '../../src-renderer/src/stores/workbench'

// jsdom lays nothing out, so it has no scrolling; the views call it when moving focus.
if (typeof Element !== 'undefined' && typeof Element.prototype.scrollIntoView !== 'function')
  Element.prototype.scrollIntoView = function scrollIntoView(): void {}

// jsdom has no media queries; uPlot asks for one when its module loads.
if (typeof window !== 'undefined' && typeof window.matchMedia !== 'function')
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      addListener: () => undefined,
      removeListener: () => undefined,
      dispatchEvent: () => false
    }) as MediaQueryList

/** Methods a fake client answers; anything else throws so a test notices unexpected calls. */
export type FakeApi = Partial<{ [K in keyof SummitClient]: SummitClient[K] }>

/** A client whose calls are recorded. */
export function fakeClient(api: FakeApi): { client: SummitClient; calls: [string, unknown[]][] } {
  const calls: [string, unknown[]][] = []
  const client = new Proxy(
    {},
    {
      get(_t, name: string) {
        return (...args: unknown[]) => {
          calls.push([name, args])
          const f = (api as Record<string, ((...a: unknown[]) => unknown) | undefined>)[name]
          if (f === undefined) return Promise.reject(new Error(`unexpected call ${name}`))
          return f(...args)
        }
      }
    }
  ) as SummitClient
  return { client, calls }
}

/** Mounts `view` with a store that is online through `client`; `setup` adjusts the store first. */
export function mountView(
  view: Component,
  client: SummitClient,
  setup: (wb: ReturnType<typeof useWorkbench>) => void = () => undefined
): { wrapper: VueWrapper; wb: ReturnType<typeof useWorkbench> } {
  const pinia = createPinia()
  setActivePinia(pinia)
  const wb = useWorkbench()
  wb.client = client
  wb.status = 'online'
  setup(wb)
  const wrapper = mount(view, {
    global: { plugins: [pinia], stubs: { TimeChart: true, CfgView: true } },
    attachTo: document.body
  })
  return { wrapper, wb }
}

/** Lets pending promises and Vue updates run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0))
}
