/**
 * @fileoverview Side-by-side alignment of two listings (the `diff` package's Myers diff over
 * instruction texts). Jumps are compared by where they land, not by their raw offsets: a
 * `goto +5` that became `goto +3` because instructions before its target were removed is the
 * same instruction. Unchanged runs can be collapsed.
 */
import { diffArrays } from 'diff'
import type { InsnLine } from '../../../src-daemon/api/protocol/schemas'

/** One row of the side-by-side view: indices into the left (original) and right (best) lines. */
export interface DiffRow {
  readonly kind: 'same' | 'changed' | 'removed' | 'added'
  readonly left?: number
  readonly right?: number
}

/** The text a line is compared by: branch offsets and local call immediates left out. */
export function compareKey(line: InsnLine): string {
  if (line.target === undefined) return line.text
  return line.text.replace(/\b(goto|gotol) [+-]\d+$/, '$1 @').replace(/^call -?\d+$/, 'call @')
}

/** Index of the first line at or after the slot `slot` (the line count when none). */
function lineAt(lines: readonly InsnLine[], slot: number): number {
  const i = lines.findIndex((x) => x.slot >= slot)
  return i < 0 ? lines.length : i
}

/** The first index at or after `from` that has a counterpart in the other listing. */
function firstPaired(from: number, paired: ReadonlyMap<number, number>, count: number): number {
  for (let i = from; i < count; i++) if (paired.has(i)) return i
  return -1
}

/**
 * Whether two jumps paired by the alignment land on the same instruction: the first instruction
 * at or after each target that both programs share must be the same one (instructions removed
 * at a target make a jump land on the next one that is left).
 */
function sameLanding(
  l: InsnLine,
  r: InsnLine,
  left: readonly InsnLine[],
  right: readonly InsnLine[],
  leftToRight: ReadonlyMap<number, number>,
  rightToLeft: ReadonlyMap<number, number>
): boolean {
  if (l.target === undefined || r.target === undefined) return l.target === r.target
  const a = firstPaired(lineAt(left, l.target), leftToRight, left.length)
  const b = firstPaired(lineAt(right, r.target), rightToLeft, right.length)
  if (a < 0 || b < 0) return a === b
  return leftToRight.get(a) === b
}

/** Aligns `left` (original) and `right` (best) into rows. */
export function alignListings(left: readonly InsnLine[], right: readonly InsnLine[]): DiffRow[] {
  const parts = diffArrays(left.map(compareKey), right.map(compareKey))
  const rows: DiffRow[] = []
  let li = 0
  let ri = 0
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p]!
    if (!part.added && !part.removed) {
      for (let k = 0; k < part.count; k++) rows.push({ kind: 'same', left: li++, right: ri++ })
      continue
    }
    // A removal followed by an addition pairs up line by line as changes.
    const next = parts[p + 1]
    if (part.removed && next?.added === true) {
      const paired = Math.min(part.count, next.count)
      for (let k = 0; k < paired; k++) rows.push({ kind: 'changed', left: li++, right: ri++ })
      for (let k = paired; k < part.count; k++) rows.push({ kind: 'removed', left: li++ })
      for (let k = paired; k < next.count; k++) rows.push({ kind: 'added', right: ri++ })
      p++
      continue
    }
    for (let k = 0; k < part.count; k++)
      rows.push(part.removed ? { kind: 'removed', left: li++ } : { kind: 'added', right: ri++ })
  }
  return checkJumps(rows, left, right)
}

/** Marks paired jumps whose targets do not correspond as changed. */
function checkJumps(
  rows: readonly DiffRow[],
  left: readonly InsnLine[],
  right: readonly InsnLine[]
): DiffRow[] {
  const leftToRight = new Map<number, number>()
  const rightToLeft = new Map<number, number>()
  for (const r of rows)
    if (r.kind === 'same' && r.left !== undefined && r.right !== undefined) {
      leftToRight.set(r.left, r.right)
      rightToLeft.set(r.right, r.left)
    }
  return rows.map((r) => {
    if (r.kind !== 'same') return r
    const l = left[r.left!]!
    const x = right[r.right!]!
    return sameLanding(l, x, left, right, leftToRight, rightToLeft) ? r : { ...r, kind: 'changed' }
  })
}

/** A run of rows to show, or a collapsed run of unchanged rows. `start` is the first row's index. */
export interface DiffSegment {
  readonly collapsed: boolean
  readonly start: number
  readonly rows: readonly DiffRow[]
}

/**
 * Splits rows into segments: unchanged runs longer than `2 * context + minHidden` are collapsed,
 * keeping `context` rows next to each change (and at the ends only next to a change).
 */
export function collapseUnchanged(
  rows: readonly DiffRow[],
  context = 2,
  minHidden = 3
): DiffSegment[] {
  const out: DiffSegment[] = []
  let shown: DiffRow[] = []
  let shownStart = 0
  const flush = (): void => {
    if (shown.length > 0) out.push({ collapsed: false, start: shownStart, rows: shown })
    shown = []
  }
  for (let i = 0; i < rows.length;) {
    if (rows[i]!.kind !== 'same') {
      if (shown.length === 0) shownStart = i
      shown.push(rows[i]!)
      i++
      continue
    }
    let j = i
    while (j < rows.length && rows[j]!.kind === 'same') j++
    const before = i === 0 ? 0 : context
    const after = j === rows.length ? 0 : context
    if (j - i - before - after < minHidden) {
      if (shown.length === 0) shownStart = i
      shown.push(...rows.slice(i, j))
    } else {
      if (before > 0) shown.push(...rows.slice(i, i + before))
      flush()
      out.push({ collapsed: true, start: i + before, rows: rows.slice(i + before, j - after) })
      shownStart = j - after
      shown.push(...rows.slice(j - after, j))
    }
    i = j
  }
  flush()
  return out
}

/** Indices of the rows that start a change (a run of non-`same` rows). */
export function changeStarts(rows: readonly DiffRow[]): number[] {
  const out: number[] = []
  rows.forEach((r, i) => {
    if (r.kind !== 'same' && (i === 0 || rows[i - 1]!.kind === 'same')) out.push(i)
  })
  return out
}
