/**
 * @fileoverview The diff alignment: Myers over instruction texts, changes paired, jumps compared
 * by where they land (a shifted offset to the same instruction is not a change; a jump that
 * lands elsewhere is), unchanged runs collapsed, change starts for next/previous.
 */
import { describe, expect, it } from 'vitest'
import type { InsnLine } from '../../src-daemon/api/protocol/schemas'
import { alignListings, changeStarts, collapseUnchanged } from '../../src-renderer/src/lib/align'

/** Lines from texts; `goto +N` / `if ... goto +N` get their target (slot + 1 + N). */
function listing(texts: readonly string[]): InsnLine[] {
  return texts.map((text, slot) => {
    const m = /goto ([+-]\d+)$/.exec(text)
    return m !== null ? { slot, text, target: slot + 1 + Number(m[1]) } : { slot, text }
  })
}

describe('alignListings', () => {
  it('marks removed instructions and keeps the rest aligned', () => {
    const a = listing(['r0 = 2', 'r0 += 0', 'r2 = r0', 'r0 = r2', 'exit'])
    const b = listing(['r0 = 2', 'exit'])
    const rows = alignListings(a, b)
    expect(rows.map((r) => r.kind)).toEqual(['same', 'removed', 'removed', 'removed', 'same'])
    expect(rows[4]).toEqual({ kind: 'same', left: 4, right: 1 })
  })

  it('pairs a removal followed by an addition as changes, the excess as removed/added', () => {
    const a = listing(['r1 = 1', 'r2 = 2', 'r3 = 3', 'exit'])
    const b = listing(['r1 = 1', 'r4 = 4', 'exit'])
    const kinds = alignListings(a, b).map((r) => r.kind)
    expect(kinds.filter((k) => k === 'changed')).toHaveLength(1)
    expect(kinds.filter((k) => k === 'removed')).toHaveLength(1)
    expect(kinds[0]).toBe('same')
    expect(kinds[kinds.length - 1]).toBe('same')
  })

  it('does not call a jump changed when only its offset shifted to the same target', () => {
    // Two instructions before the target are removed: goto +5 becomes goto +3, same landing.
    const a = listing([
      'if r1 > 2 goto +5',
      'r0 = 1',
      'r0 += 0',
      'r3 = r3',
      'r0 *= 1',
      'exit',
      'r0 = 2',
      'exit'
    ])
    const b = listing(['if r1 > 2 goto +3', 'r0 = 1', 'r0 *= 1', 'exit', 'r0 = 2', 'exit'])
    const rows = alignListings(a, b)
    expect(rows[0]).toEqual({ kind: 'same', left: 0, right: 0 })
    expect(rows.filter((r) => r.kind === 'removed')).toHaveLength(2)
    expect(rows.filter((r) => r.kind === 'changed')).toHaveLength(0)
  })

  it('calls a jump changed when it lands on a different instruction', () => {
    const a = listing(['if r1 > 2 goto +2', 'r0 = 1', 'exit', 'r0 = 2', 'exit'])
    const b = listing(['if r1 > 2 goto +1', 'r0 = 1', 'exit', 'r0 = 2', 'exit'])
    const rows = alignListings(a, b)
    expect(rows[0]!.kind).toBe('changed')
    expect(rows.slice(1).every((r) => r.kind === 'same')).toBe(true)
  })

  it('treats a jump whose target instruction was removed as landing on the next one left', () => {
    // a: the target (slot 2, "r9 = 9") is removed in b; b's jump goes to "exit", the next survivor.
    const a = listing(['if r1 > 2 goto +1', 'r0 = 1', 'r9 = 9', 'exit'])
    const b = listing(['if r1 > 2 goto +1', 'r0 = 1', 'exit'])
    const rows = alignListings(a, b)
    expect(rows[0]!.kind).toBe('same')
    expect(rows.find((r) => r.left === 2)!.kind).toBe('removed')
  })
})

describe('collapseUnchanged and changeStarts', () => {
  const same = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ kind: 'same' as const, left: i, right: i }))

  it('collapses long unchanged runs, keeping context next to changes', () => {
    const rows = [...same(10), { kind: 'removed' as const, left: 10 }, ...same(10)]
    const segs = collapseUnchanged(rows, 2, 3)
    expect(segs.map((s) => [s.collapsed, s.start, s.rows.length])).toEqual([
      [true, 0, 8],
      [false, 8, 5],
      [true, 13, 8]
    ])
    expect(segs.reduce((n, s) => n + s.rows.length, 0)).toBe(rows.length)
  })

  it('keeps short unchanged runs and finds where each change starts', () => {
    const rows = [
      ...same(2),
      { kind: 'changed' as const, left: 2, right: 2 },
      { kind: 'added' as const, right: 3 },
      ...same(3),
      { kind: 'removed' as const, left: 6 }
    ]
    expect(collapseUnchanged(rows, 2, 3).every((s) => !s.collapsed)).toBe(true)
    expect(changeStarts(rows)).toEqual([2, 7])
  })
})
