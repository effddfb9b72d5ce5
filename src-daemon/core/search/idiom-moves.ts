/**
 * @fileoverview Idiom moves: one proposal that folds a multi-instruction idiom the plain moves
 * reach only through several costly intermediate steps. Load/op/store becomes an atomic op,
 * a store of a register known to hold a constant becomes an immediate store, and two adjacent
 * immediate stores become one store twice as wide. Each is only a proposal: tests, the safety
 * analysis and the prover decide whether the result is kept.
 */
import { OPS } from '../isa/opcodes'
import { lookupSpec } from '../isa/lookup'
import { NO_ROW, SlotKind, type Candidate } from './candidate'
import { BARRIER, MEM_READ, MEM_WRITE, slotFlags, slotReads, slotWrites } from './defuse'
import { UndoLog } from './undo-log'
import type { Rng } from './rng'

/** Row ids the idiom moves write, looked up once. */
interface IdiomRows {
  /** Atomic rows by op name, then width (4 or 8). */
  readonly atomic: Readonly<Record<string, Readonly<Record<number, number>>>>
  /** Immediate store rows by width 1, 2, 4, 8. */
  readonly st: readonly number[]
  /** Unsigned load rows by width 1, 2, 4, 8. */
  readonly ldx: readonly number[]
  /** `mov64 dst, imm`. */
  readonly mov64Imm: number
}

function rowOf(code: number, imm = 0): number {
  const s = lookupSpec({ code, dst: 0, src: 0, off: 0, imm })
  if (s === undefined) throw new Error(`no opcode row for 0x${code.toString(16)}`)
  return s.id
}

const SIZE_BITS: Readonly<Record<number, number>> = { 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 }
const ATOMIC_IMM: Readonly<Record<string, number>> = { add: 0x00, or: 0x40, and: 0x50, xor: 0xa0 }

function buildRows(): IdiomRows {
  const atomic: Record<string, Record<number, number>> = {}
  for (const op of Object.keys(ATOMIC_IMM))
    atomic[op] = { 4: rowOf(0xc3, ATOMIC_IMM[op]), 8: rowOf(0xdb, ATOMIC_IMM[op]) }
  return {
    atomic,
    st: [0, 1, 2, 0, 4, 0, 0, 0, 8].map((b) => (b === 0 ? NO_ROW : rowOf(0x62 | SIZE_BITS[b]!))),
    ldx: [0, 1, 2, 0, 4, 0, 0, 0, 8].map((b) => (b === 0 ? NO_ROW : rowOf(0x61 | SIZE_BITS[b]!))),
    mov64Imm: rowOf(0xb7)
  }
}

/** The idiom rows (computed once per process). */
export const IDIOM_ROWS: IdiomRows = buildRows()

const ROW_CODE = Uint8Array.from(OPS.map((s) => s.code))

function liveRowKind(c: Candidate, i: number): string | undefined {
  if (c.kind[i] !== SlotKind.live) return undefined
  const r = c.row[i]!
  return r === NO_ROW ? undefined : OPS[r]!.kind
}

function setRow(c: Candidate, i: number, row: number): void {
  c.kind[i] = SlotKind.live
  c.row[i] = row
  c.code[i] = ROW_CODE[row]!
}

/**
 * Index of the nearest live slot before `i` (down to `lo`) that writes a register in `mask`,
 * or -1 when a barrier (jump, call, exit) or `lo` comes first.
 */
function lastWriter(c: Candidate, i: number, lo: number, mask: number): number {
  for (let j = i - 1; j >= lo; j--) {
    if (c.kind[j] !== SlotKind.live) continue
    if (slotWrites(c, j) & mask) return j
    if (slotFlags(c, j) & BARRIER) return -1
  }
  return -1
}

/** True when no live slot strictly between a and b is a barrier or touches memory in `memMask`. */
function quietBetween(c: Candidate, a: number, b: number, memMask: number): boolean {
  for (let j = a + 1; j < b; j++) {
    const f = slotFlags(c, j)
    if (f & (BARRIER | memMask)) return false
  }
  return true
}

/** True when no live slot strictly between a and b reads or writes a register in `mask`. */
function untouchedBetween(c: Candidate, a: number, b: number, mask: number): boolean {
  for (let j = a + 1; j < b; j++) if ((slotReads(c, j) | slotWrites(c, j)) & mask) return false
  return true
}

/** True when no live slot strictly between a and b writes a register in `mask`. */
function unwrittenBetween(c: Candidate, a: number, b: number, mask: number): boolean {
  for (let j = a + 1; j < b; j++) if (slotWrites(c, j) & mask) return false
  return true
}

/**
 * Register (not `avoid`) whose last write before slot `i` (after `lo`) is `mov64 r, k`, or -1.
 */
function registerHolding(c: Candidate, i: number, lo: number, k: number, avoid: number): number {
  for (let r = 0; r <= 9; r++) {
    if (r === avoid) continue
    const w = lastWriter(c, i, lo, 1 << r)
    if (w >= 0 && c.row[w] === IDIOM_ROWS.mov64Imm && c.dst[w] === r && c.imm[w] === k) return r
  }
  return -1
}

/**
 * `rX = *(w *)(B + O); rX op= Y; *(w *)(B + O) = rX` → `lock *(w *)(B + O) op= Y` (with `Y` an
 * immediate, a register already holding it is reused, else the op slot becomes `rX = imm`).
 * Starts at slot `i`, which must be the store.
 */
function fuseAtomicAt(c: Candidate, log: UndoLog, i: number, lo: number): boolean {
  if (liveRowKind(c, i) !== 'stx') return false
  const store = OPS[c.row[i]!]!
  if (store.kind !== 'stx' || (store.bytes !== 4 && store.bytes !== 8)) return false
  const base = c.dst[i]!
  const x = c.src[i]!
  if (base === x) return false
  const j = lastWriter(c, i, lo, 1 << x)
  if (j < 0 || liveRowKind(c, j) !== 'alu') return false
  const alu = OPS[c.row[j]!]!
  if (alu.kind !== 'alu' || ATOMIC_IMM[alu.op] === undefined) return false
  if (!alu.is64 && store.bytes === 8) return false
  if (c.dst[j] !== x) return false
  const k = lastWriter(c, j, lo, 1 << x)
  if (k < 0 || liveRowKind(c, k) !== 'ldx') return false
  const load = OPS[c.row[k]!]!
  if (load.kind !== 'ldx' || load.signed || load.bytes !== store.bytes) return false
  if (c.src[k] !== base || c.off[k] !== c.off[i]) return false
  if (!quietBetween(c, k, i, MEM_WRITE) || !untouchedBetween(c, k, i, 1 << base)) return false
  if (!untouchedBetween(c, k, j, 1 << x) || !untouchedBetween(c, j, i, 1 << x)) return false
  let y: number
  const viaReg = alu.source === 'reg'
  if (viaReg) {
    y = c.src[j]!
    if (y === x || !unwrittenBetween(c, j, i, 1 << y)) return false
  } else {
    y = registerHolding(c, k, lo, c.imm[j]!, base)
    if (y >= 0 && !unwrittenBetween(c, k, i, 1 << y)) y = -1
  }
  const atomicRow = IDIOM_ROWS.atomic[alu.op]?.[store.bytes]
  if (atomicRow === undefined) return false
  log.save(c, k)
  log.save(c, j)
  log.save(c, i)
  c.kind[k] = SlotKind.nop
  if (viaReg || y >= 0) {
    c.kind[j] = SlotKind.nop
  } else {
    setRow(c, j, IDIOM_ROWS.mov64Imm)
    y = x
  }
  setRow(c, i, atomicRow)
  c.src[i] = y
  c.imm[i] = ATOMIC_IMM[alu.op]!
  return true
}

/** `rX = k; …; *(w *)(B + O) = rX` → `*(w *)(B + O) = k` (the move may leave `rX = k` dead). */
function foldConstStoreAt(c: Candidate, log: UndoLog, i: number, lo: number): boolean {
  if (liveRowKind(c, i) !== 'stx') return false
  const store = OPS[c.row[i]!]!
  if (store.kind !== 'stx') return false
  const x = c.src[i]!
  const w = lastWriter(c, i, lo, 1 << x)
  if (w < 0 || liveRowKind(c, w) !== 'alu') return false
  const mov = OPS[c.row[w]!]!
  if (mov.kind !== 'alu' || mov.op !== 'mov' || mov.source !== 'imm' || c.dst[w] !== x) return false
  const k = c.imm[w]!
  // mov32 zero-extends: a doubleword store of it equals the sign-extended immediate only if k ≥ 0.
  if (!mov.is64 && store.bytes === 8 && k < 0) return false
  log.save(c, i)
  setRow(c, i, IDIOM_ROWS.st[store.bytes]!)
  c.src[i] = 0
  c.imm[i] = k
  return true
}

/** Value of an immediate store of `bytes` bytes, as an unsigned number below 2^(8·bytes). */
function storedValue(imm: number, bytes: number): number {
  return bytes === 4 ? imm >>> 0 : imm & ((1 << (8 * bytes)) - 1)
}

/**
 * Two immediate stores of width w to `B + O` and `B + O + w` (O aligned to 2w, nothing
 * between them touching memory or B) → one store of width 2w holding both values.
 */
function mergeStoresAt(c: Candidate, log: UndoLog, i: number, hi: number): boolean {
  if (liveRowKind(c, i) !== 'st') return false
  const a = OPS[c.row[i]!]!
  if (a.kind !== 'st' || a.bytes === 8) return false
  const w = a.bytes
  const base = c.dst[i]!
  for (let j = i + 1; j <= hi; j++) {
    const f = slotFlags(c, j)
    if (liveRowKind(c, j) === 'st' && c.row[j] === c.row[i] && c.dst[j] === base) {
      const oi = c.off[i]!
      const oj = c.off[j]!
      if (Math.abs(oi - oj) !== w) return false
      const low = Math.min(oi, oj)
      if (low % (2 * w) !== 0) return false
      const vLow = storedValue(oi === low ? c.imm[i]! : c.imm[j]!, w)
      const vHigh = storedValue(oi === low ? c.imm[j]! : c.imm[i]!, w)
      let imm: number
      if (w < 4) {
        imm = vLow + vHigh * (1 << (8 * w))
      } else {
        // A doubleword immediate store sign-extends imm32: the high word must be its extension.
        const ext = vLow >= 0x80000000 ? 0xffffffff : 0
        if (vHigh !== ext) return false
        imm = vLow | 0
      }
      log.save(c, i)
      log.save(c, j)
      c.kind[i] = SlotKind.nop
      setRow(c, j, IDIOM_ROWS.st[2 * w]!)
      c.off[j] = low
      c.imm[j] = imm | 0
      return true
    }
    if (f & (BARRIER | MEM_READ | MEM_WRITE) || slotWrites(c, j) & (1 << base)) return false
  }
  return false
}

/**
 * `rL = *(uw *)(B + O); rH = *(uw *)(B + O + w); rH <<= 8w; rH |= rL` (either order, either
 * register holding the result) → `rD = *(u2w *)(B + O)` in the `|=` slot; the other three slots
 * become NOPs. Little-endian, so the wide load yields exactly the combined value.
 */
function widenLoadPairAt(c: Candidate, log: UndoLog, i: number, lo: number): boolean {
  if (liveRowKind(c, i) !== 'alu') return false
  const or = OPS[c.row[i]!]!
  if (or.kind !== 'alu' || or.op !== 'or' || or.source !== 'reg') return false
  const d = c.dst[i]!
  const s = c.src[i]!
  if (d === s) return false
  for (let t = 0; t < 2; t++) {
    const shifted = t === 0 ? d : s
    const plain = t === 0 ? s : d
    const sh = lastWriter(c, i, lo, 1 << shifted)
    if (sh < 0 || liveRowKind(c, sh) !== 'alu' || c.dst[sh] !== shifted) continue
    const shSpec = OPS[c.row[sh]!]!
    if (shSpec.kind !== 'alu' || shSpec.op !== 'lsh' || shSpec.source !== 'imm') continue
    const hiLoad = lastWriter(c, sh, lo, 1 << shifted)
    const loLoad = lastWriter(c, i, lo, 1 << plain)
    if (hiLoad < 0 || loLoad < 0) continue
    if (liveRowKind(c, hiLoad) !== 'ldx' || liveRowKind(c, loLoad) !== 'ldx') continue
    const h = OPS[c.row[hiLoad]!]!
    const l = OPS[c.row[loLoad]!]!
    if (h.kind !== 'ldx' || l.kind !== 'ldx' || h.signed || l.signed) continue
    const w = l.bytes
    if (h.bytes !== w || w === 8 || c.imm[sh] !== 8 * w) continue
    if (!shSpec.is64 && w === 4) continue
    const base = c.src[loLoad]!
    if (c.src[hiLoad] !== base || c.off[hiLoad] !== c.off[loLoad]! + w) continue
    if (base === shifted || base === plain) continue
    const first = Math.min(hiLoad, loLoad)
    if (!unwrittenBetween(c, first, i, 1 << base) || !quietBetween(c, first, i, MEM_WRITE)) continue
    const wide = IDIOM_ROWS.ldx[2 * w]!
    log.save(c, hiLoad)
    log.save(c, loLoad)
    log.save(c, sh)
    log.save(c, i)
    c.kind[hiLoad] = SlotKind.nop
    c.kind[loLoad] = SlotKind.nop
    c.kind[sh] = SlotKind.nop
    setRow(c, i, wide)
    c.src[i] = base
    c.off[i] = c.off[loLoad]!
    c.imm[i] = 0
    return true
  }
  return false
}

let reachScratch = new Uint8Array(0)
let stackScratch = new Int32Array(0)

/** Conditions that compare a register with itself and are therefore always true. */
const SELF_TRUE = new Set(['jeq', 'jge', 'jle', 'jsge', 'jsle'])
/** Conditions that compare a register with itself and are therefore always false. */
const SELF_FALSE = new Set(['jne', 'jgt', 'jlt', 'jsgt', 'jslt'])

/**
 * Marks the slots reachable from the entry (following jumps, fall-through and bpf-to-bpf call
 * targets; a register compared with itself decides its branch) in the returned scratch array.
 */
function reachable(c: Candidate): Uint8Array {
  const n = c.length
  if (reachScratch.length < n) {
    reachScratch = new Uint8Array(n)
    stackScratch = new Int32Array(2 * n + 2)
  }
  const seen = reachScratch
  seen.fill(0, 0, n)
  let top = 0
  stackScratch[top++] = 0
  while (top > 0) {
    const i = stackScratch[--top]!
    if (i < 0 || i >= n || seen[i]) continue
    seen[i] = 1
    if (c.kind[i] !== SlotKind.live) {
      stackScratch[top++] = i + 1
      continue
    }
    const r = c.row[i]!
    if (r === NO_ROW) {
      stackScratch[top++] = i + 1
      continue
    }
    const spec = OPS[r]!
    switch (spec.kind) {
      case 'exit':
        break
      case 'ja':
        stackScratch[top++] = i + 1 + (spec.long ? c.imm[i]! : c.off[i]!)
        break
      case 'jmp': {
        const self = spec.source === 'reg' && c.dst[i] === c.src[i]
        if (!(self && SELF_FALSE.has(spec.cond))) stackScratch[top++] = i + 1 + c.off[i]!
        if (!(self && SELF_TRUE.has(spec.cond))) stackScratch[top++] = i + 1
        break
      }
      case 'call':
        if (spec.target === 'local') stackScratch[top++] = i + 1 + c.imm[i]!
        stackScratch[top++] = i + 1
        break
      case 'lddw':
        if (i + 1 < n) seen[i + 1] = 1
        stackScratch[top++] = i + 2
        break
      default:
        stackScratch[top++] = i + 1
    }
  }
  return seen
}

/** Reachability of every slot of `c` (1 = some path from the entry reaches it), as a copy. */
export function reachableSlots(c: Candidate): Uint8Array {
  return reachable(c).slice(0, c.length)
}

/**
 * Removes one live instruction (any kind, including calls, exits and ld_imm64 pairs) that no
 * path from the entry reaches: always sound, and how a branch the search made constant sheds
 * its dead arm.
 */
function pruneUnreachable(c: Candidate, log: UndoLog, lo: number, hi: number, rng: Rng): boolean {
  const seen = reachable(c)
  const span = hi - lo + 1
  const start = rng.int(span)
  for (let d = 0; d < span; d++) {
    const i = lo + ((start + d) % span)
    if (seen[i] || c.kind[i] !== SlotKind.live) continue
    const lddw = c.row[i] !== NO_ROW && OPS[c.row[i]!]!.kind === 'lddw'
    if (lddw && (i + 1 >= c.length || c.kind[i + 1] !== SlotKind.lddwTail)) continue
    log.save(c, i)
    c.kind[i] = SlotKind.nop
    if (lddw) {
      log.save(c, i + 1)
      c.kind[i + 1] = SlotKind.nop
    }
    return true
  }
  return false
}

/** Tries the slot-anchored idiom `kind` (0..3) at slot `i` of window [lo, hi]. */
function applyIdiomAt(
  kind: number,
  c: Candidate,
  log: UndoLog,
  i: number,
  lo: number,
  hi: number
): boolean {
  if (kind === 0) return fuseAtomicAt(c, log, i, lo)
  if (kind === 1) return foldConstStoreAt(c, log, i, lo)
  if (kind === 2) return mergeStoresAt(c, log, i, hi)
  return widenLoadPairAt(c, log, i, lo)
}

/**
 * Number of (slot, idiom) pairs of window [lo, hi] where an idiom applies to `c` (left
 * unchanged): a window ranking signal, since each is a shrink one move away.
 */
export function countIdiomSites(c: Candidate, lo: number, hi: number): number {
  const log = new UndoLog(4)
  let n = 0
  for (let i = lo; i <= hi; i++) {
    for (let kind = 0; kind < 4; kind++) {
      log.count = 0
      if (!applyIdiomAt(kind, c, log, i, lo, hi)) continue
      log.undoTo(c, 0)
      n++
    }
  }
  return n
}

/** Idiom kinds tried by {@link proposeIdiom}. */
const IDIOMS = 5

/**
 * Tries the idioms at slots of [lo, hi] starting from a random one; applies the first that fits
 * and records the touched slots in `log`. Returns false (nothing changed) when none fits.
 */
export function proposeIdiom(
  c: Candidate,
  log: UndoLog,
  lo: number,
  hi: number,
  rng: Rng
): boolean {
  const span = hi - lo + 1
  if (span <= 0) return false
  const first = rng.int(IDIOMS)
  const start = rng.int(span)
  for (let t = 0; t < IDIOMS; t++) {
    const kind = (first + t) % IDIOMS
    if (kind === 4) {
      if (pruneUnreachable(c, log, lo, hi, rng)) return true
      continue
    }
    for (let d = 0; d < span; d++) {
      const i = lo + ((start + d) % span)
      const done = applyIdiomAt(kind, c, log, i, lo, hi)
      if (done) return true
    }
  }
  return false
}
