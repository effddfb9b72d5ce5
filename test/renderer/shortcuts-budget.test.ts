/** @fileoverview Keyboard shortcuts and the budget progress of a job. */
import { describe, expect, it } from 'vitest'
import { shortcutFor } from '../../src-renderer/src/lib/shortcuts'
import { budgetOf } from '../../src-renderer/src/lib/budget'
import { orderForImport } from '../../src-renderer/src/stores/workbench'
import type { Job } from '../../src-daemon/api/protocol/schemas'

const key = (k: Partial<Parameters<typeof shortcutFor>[0]>) => ({
  key: '',
  altKey: false,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  ...k
})

describe('shortcuts', () => {
  it('maps Alt+digits to views and Ctrl combinations to actions', () => {
    expect(shortcutFor(key({ key: '3', code: 'Digit3', altKey: true }), false)).toEqual({
      kind: 'view',
      view: 'search'
    })
    expect(shortcutFor(key({ key: 'o', ctrlKey: true }), true)).toEqual({ kind: 'open' })
    expect(shortcutFor(key({ key: 'e', metaKey: true }), false)).toEqual({
      kind: 'view',
      view: 'export'
    })
    expect(shortcutFor(key({ key: 'L', ctrlKey: true, shiftKey: true }), false)).toEqual({
      kind: 'theme'
    })
    expect(shortcutFor(key({ key: '?' }), false)).toEqual({ kind: 'help' })
    expect(shortcutFor(key({ key: '?' }), true)).toBeUndefined()
    expect(shortcutFor(key({ key: 'x' }), false)).toBeUndefined()
  })
})

describe('budgetOf and orderForImport', () => {
  const job = (config: Record<string, unknown>, over: Partial<Job> = {}) =>
    ({ config, elapsedMs: 30_000, iterations: 50_000, state: 'running', ...over }) as Job

  it('measures against the time limit, else the iterations of all chains', () => {
    expect(budgetOf(job({ timeSeconds: 60 }))).toEqual({ fraction: 0.5, label: '1 min 00 s' })
    expect(budgetOf(job({ timeSeconds: 0, iterations: 100_000, chains: 2 }))!.fraction).toBe(0.25)
    expect(budgetOf(job({ timeSeconds: 0, iterations: 0 }))).toBeUndefined()
    expect(budgetOf(job({ timeSeconds: 600 }, { state: 'completed' }))!.fraction).toBe(1)
  })

  it('puts the program first and K2 companions after it', () => {
    const names = orderForImport([{ name: 'p.desc' }, { name: 'p.maps' }, { name: 'p.insns' }]).map(
      (f) => f.name
    )
    expect(names).toEqual(['p.insns', 'p.maps', 'p.desc'])
  })
})
