/**
 * @fileoverview Register reads/writes and memory effects of candidate slots, derived from the
 * opcode table once per row; used by the swap move and by window ranking.
 */
import { OPS, type OpSpec } from '../isa/opcodes'
import { NO_ROW, SlotKind, type Candidate } from './candidate'

/** Row flag: reads the register named by `dst`. */
export const READS_DST = 1
/** Row flag: reads the register named by `src`. */
export const READS_SRC = 2
/** Row flag: writes the register named by `dst`. */
export const WRITES_DST = 4
/** Row flag: writes the register named by `src` (atomic fetch). */
export const WRITES_SRC = 8
/** Row flag: reads memory. */
export const MEM_READ = 16
/** Row flag: writes memory. */
export const MEM_WRITE = 32
/** Row flag: control transfer or side effect (jump, call, exit, legacy packet load). */
export const BARRIER = 64

const ARGS = 0b111110 // r1..r5
const CALLER_SAVED = 0b111111 // r0..r5

function describe(s: OpSpec): [flags: number, fixedReads: number, fixedWrites: number] {
  switch (s.kind) {
    case 'alu':
      if (s.op === 'mov' || s.op === 'movsx')
        return [WRITES_DST | (s.source === 'reg' ? READS_SRC : 0), 0, 0]
      if (s.op === 'neg') return [READS_DST | WRITES_DST, 0, 0]
      return [READS_DST | WRITES_DST | (s.source === 'reg' ? READS_SRC : 0), 0, 0]
    case 'end':
      return [READS_DST | WRITES_DST, 0, 0]
    case 'jmp':
      return [READS_DST | (s.source === 'reg' ? READS_SRC : 0) | BARRIER, 0, 0]
    case 'ja':
      return [BARRIER, 0, 0]
    case 'call':
      return [BARRIER | MEM_READ | MEM_WRITE, ARGS, CALLER_SAVED]
    case 'exit':
      return [BARRIER, 1, 0]
    case 'lddw':
      return [WRITES_DST, 0, 0]
    case 'ldabs':
      return [BARRIER | MEM_READ, 1 << 6, CALLER_SAVED]
    case 'ldind':
      return [BARRIER | MEM_READ | READS_SRC, 1 << 6, CALLER_SAVED]
    case 'ldx':
      return [READS_SRC | WRITES_DST | MEM_READ, 0, 0]
    case 'st':
      return [READS_DST | MEM_WRITE, 0, 0]
    case 'stx':
      return [READS_DST | READS_SRC | MEM_WRITE, 0, 0]
    case 'atomic': {
      const base = READS_DST | READS_SRC | MEM_READ | MEM_WRITE
      if (s.op === 'cmpxchg') return [base, 1, 1]
      const fetch = s.op === 'xchg' || s.op.startsWith('fetch_')
      return [base | (fetch ? WRITES_SRC : 0), 0, 0]
    }
  }
}

/** Per-row flags. */
export const ROW_FLAGS: Uint8Array = new Uint8Array(OPS.length)
/** Per-row registers read regardless of fields (bit i = r_i). */
export const ROW_FIXED_READS: Uint16Array = new Uint16Array(OPS.length)
/** Per-row registers written regardless of fields. */
export const ROW_FIXED_WRITES: Uint16Array = new Uint16Array(OPS.length)
for (const s of OPS) {
  const [f, r, w] = describe(s)
  ROW_FLAGS[s.id] = f
  ROW_FIXED_READS[s.id] = r
  ROW_FIXED_WRITES[s.id] = w
}

/** Flags of slot `i` (NOPs: 0; unknown rows and ld_imm64 tails: treated as barriers). */
export function slotFlags(c: Candidate, i: number): number {
  const k = c.kind[i]
  if (k === SlotKind.nop) return 0
  const r = c.row[i]!
  if (k === SlotKind.lddwTail) return 0
  return r === NO_ROW ? BARRIER | MEM_READ | MEM_WRITE : ROW_FLAGS[r]!
}

/** Register mask read by slot `i`. */
export function slotReads(c: Candidate, i: number): number {
  if (c.kind[i] !== SlotKind.live) return 0
  const r = c.row[i]!
  if (r === NO_ROW) return 0x7ff
  const f = ROW_FLAGS[r]!
  let m = ROW_FIXED_READS[r]!
  if (f & READS_DST) m |= 1 << c.dst[i]!
  if (f & READS_SRC) m |= 1 << c.src[i]!
  return m
}

/** Register mask written by slot `i`. */
export function slotWrites(c: Candidate, i: number): number {
  if (c.kind[i] !== SlotKind.live) return 0
  const r = c.row[i]!
  if (r === NO_ROW) return 0x7ff
  const f = ROW_FLAGS[r]!
  let m = ROW_FIXED_WRITES[r]!
  if (f & WRITES_DST) m |= 1 << c.dst[i]!
  if (f & WRITES_SRC) m |= 1 << c.src[i]!
  return m
}

/**
 * True when live slots `a` and `b` can be exchanged without changing meaning: neither is a
 * barrier, no register dependence, and no memory dependence (two loads may pass each other).
 */
export function independent(c: Candidate, a: number, b: number): boolean {
  const fa = slotFlags(c, a)
  const fb = slotFlags(c, b)
  if ((fa | fb) & BARRIER) return false
  if ((fa & MEM_WRITE && fb & (MEM_READ | MEM_WRITE)) || (fb & MEM_WRITE && fa & MEM_READ))
    return false
  const ra = slotReads(c, a)
  const wa = slotWrites(c, a)
  const rb = slotReads(c, b)
  const wb = slotWrites(c, b)
  return (wa & (rb | wb)) === 0 && (wb & ra) === 0
}
