/**
 * @fileoverview Window selection: straight-line stretches of basic blocks, cut to at most K
 * slots, ranked by a cheap heuristic of how likely they are to shrink (dead writes, identities,
 * constant stores, and places where an idiom move applies).
 */
import { OPS } from '../isa/opcodes'
import { NO_ROW, SlotKind, type Candidate } from './candidate'
import type { Window } from './chain-types'
import { BARRIER, slotFlags, slotReads, slotWrites } from './defuse'
import { isEditable } from './proposal-table'
import { countIdiomSites } from './idiom-moves'

/** Score of one place where an idiom move applies (a shrink one move away). */
const IDIOM_SCORE = 3

/** A ranked window. */
export interface WindowChoice {
  readonly start: number
  readonly end: number
  /** Heuristic score (higher = more promising). */
  readonly score: number
}

/** Options of {@link selectWindows}. */
export interface WindowOptions {
  /** Largest window. */
  readonly windowMaxSlots: number
  /** Programs with at most this many slots get one whole-program window. */
  readonly wholeProgramMaxSlots: number
}

/** Jump target of live slot i, or -1 when it is not a jump (exit: -2). */
function jumpTarget(c: Candidate, i: number): number {
  const r = c.row[i]!
  if (c.kind[i] !== SlotKind.live || r === NO_ROW) return -1
  const s = OPS[r]!
  if (s.kind === 'jmp' || (s.kind === 'ja' && !s.long)) return i + 1 + c.off[i]!
  if (s.kind === 'ja') return i + 1 + c.imm[i]!
  if (s.kind === 'exit') return -2
  return -1
}

/** Block start flags: 1 where a basic block begins (entry, jump targets, after jumps/exits). */
export function blockStarts(c: Candidate): Uint8Array {
  const n = c.length
  const starts = new Uint8Array(n + 1)
  starts[0] = 1
  for (let i = 0; i < n; i++) {
    const t = jumpTarget(c, i)
    if (t === -1) continue
    starts[i + 1] = 1
    if (t >= 0 && t < n) starts[t] = 1
  }
  return starts.subarray(0, n)
}

/** Basic blocks as inclusive [start, end] slot ranges. */
export function basicBlocks(c: Candidate): Window[] {
  const starts = blockStarts(c)
  const out: Window[] = []
  let s = 0
  for (let i = 1; i <= c.length; i++) {
    if (i === c.length || starts[i]) {
      out.push([s, i - 1])
      s = i
    }
  }
  return out
}

/** Registers live after each slot (bit r = r_r), by backward fixpoint over slot successors. */
export function liveOut(c: Candidate): Uint16Array {
  const n = c.length
  const liveIn = new Uint16Array(n + 1)
  const out = new Uint16Array(n)
  let changed = true
  while (changed) {
    changed = false
    for (let i = n - 1; i >= 0; i--) {
      let o = 0
      const t = jumpTarget(c, i)
      const flags = slotFlags(c, i)
      const r = c.row[i]!
      const uncond = r !== NO_ROW && OPS[r]!.kind === 'ja'
      if (t !== -2 && !uncond && i + 1 <= n) o |= liveIn[i + 1]!
      if (t >= 0 && t <= n) o |= liveIn[t]!
      out[i] = o
      const inn = (flags === 0 ? o : (o & ~slotWrites(c, i)) | slotReads(c, i)) & 0xffff
      if (inn !== liveIn[i]) {
        liveIn[i] = inn
        changed = true
      }
    }
  }
  return out
}

function isStraight(c: Candidate, i: number): boolean {
  if (c.kind[i] !== SlotKind.live) return false
  const r = c.row[i]!
  if (r === NO_ROW) return false
  const s = OPS[r]!
  return isEditable(s) && !(slotFlags(c, i) & BARRIER)
}

/** Heuristic score of one slot: dead writes, identities, self-moves, constant stores, ALU ops. */
function slotScore(c: Candidate, i: number, live: Uint16Array): number {
  const s = OPS[c.row[i]!]!
  const w = slotWrites(c, i)
  let score = 0
  if (w !== 0 && (w & live[i]!) === 0) score += 3 // result never read
  if (s.kind === 'alu') {
    score += 0.5
    const imm = c.imm[i]!
    if (s.source === 'reg' && s.op === 'mov' && c.dst[i] === c.src[i] && s.is64) score += 3
    if (s.source === 'imm') {
      const identity =
        (imm === 0 && ['add', 'sub', 'or', 'xor', 'lsh', 'rsh', 'arsh'].includes(s.op)) ||
        (imm === 1 && ['mul', 'div'].includes(s.op)) ||
        (imm === -1 && s.op === 'and')
      if (identity) score += 3
      if (s.op === 'mov' && i + 1 < c.length && isStraight(c, i + 1)) {
        const next = OPS[c.row[i + 1]!]!
        if (next.kind === 'stx' && c.src[i + 1] === c.dst[i]) score += 1.5 // st of a constant
      }
    }
  } else if (s.kind === 'st' || s.kind === 'stx' || s.kind === 'ldx') {
    score += 0.3
  }
  return score
}

/**
 * Candidate windows: one whole-program window for small programs, else every maximal run of
 * editable non-jump slots inside a basic block, cut into pieces of at most `windowMaxSlots`
 * (the last piece aligned to the run's end). Runs never contain an ld_imm64 slot, so no cut
 * splits a pair. Sorted by score, best first (ties: earlier start).
 */
export function selectWindows(c: Candidate, opts: WindowOptions): WindowChoice[] {
  const live = liveOut(c)
  const scores = new Float64Array(c.length)
  for (let i = 0; i < c.length; i++) if (isStraight(c, i)) scores[i] = slotScore(c, i, live)
  const sum = (s: number, e: number): number => {
    let t = 0
    for (let i = s; i <= e; i++) t += scores[i]!
    return t
  }
  if (c.length <= opts.wholeProgramMaxSlots) {
    return c.length === 0 ? [] : [{ start: 0, end: c.length - 1, score: sum(0, c.length - 1) }]
  }
  const starts = blockStarts(c)
  const out: WindowChoice[] = []
  const k = Math.max(1, opts.windowMaxSlots)
  let i = 0
  while (i < c.length) {
    if (!isStraight(c, i)) {
      i++
      continue
    }
    let e = i
    while (e + 1 < c.length && !starts[e + 1] && isStraight(c, e + 1)) e++
    const len = e - i + 1
    if (len >= 2) {
      for (let s = i; s <= e; s += k) {
        const ws = Math.min(s, Math.max(i, e - k + 1))
        const we = Math.min(e, ws + k - 1)
        out.push({
          start: ws,
          end: we,
          score: sum(ws, we) + IDIOM_SCORE * countIdiomSites(c, ws, we)
        })
        if (we === e) break
      }
    } else if (scores[i]! >= 3) {
      out.push({ start: i, end: i, score: scores[i]! })
    }
    i = e + 1
  }
  out.sort((a, b) => b.score - a.score || a.start - b.start)
  return out
}

/**
 * The chain's window schedule from ranked choices: the best `limit` windows in rank order, or
 * the whole program when there are none (pass to `new Chain(…, windows)`).
 */
export function windowSchedule(
  c: Candidate,
  choices: readonly WindowChoice[],
  limit = Infinity
): Window[] {
  const picked = choices.slice(0, limit).map((w): Window => [w.start, w.end])
  return picked.length > 0 ? picked : [[0, c.length - 1]]
}
