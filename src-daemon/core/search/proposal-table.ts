/**
 * @fileoverview Proposal sampling data derived from the opcode table: which rows a move may
 * create or edit, each row's operand fields and their legal ranges, and memory-width families.
 */
import { OPS, type Field, type OpSpec } from '../isa/opcodes'
import { insnNeeds, targetHas, type KernelVersion } from '../analysis/kernel-target'

/** Operand domains. */
export const Dom = {
  /** Written register r0..r9. */
  regWrite: 0,
  /** Read register (or base) r0..r10. */
  regRead: 1,
  /** Jump offset: a legal target inside the window/program. */
  jump: 2,
  /** Memory offset from the offset pool. */
  offPool: 3,
  /** Immediate from the immediate pool. */
  immPool: 4,
  /** Immediate from the pool, never 0 (divisors). */
  immPoolNonZero: 5,
  /** Shift count 0..31. */
  shift32: 6,
  /** Shift count 0..63. */
  shift64: 7,
  /** Byte-order width 16, 32 or 64. */
  endWidth: 8
} as const

/** Field indices used in the tables: dst, src, off, imm. */
export const FIELD_INDEX: Readonly<Record<Field, number>> = { dst: 0, src: 1, off: 2, imm: 3 }

/** Most operands a row has. */
export const MAX_OPERANDS = 4

const ISA_V4_ALU = new Set(['sdiv', 'smod', 'movsx'])

/** True for rows from ISA v4 (signed division, sign-extending moves/loads, bswap, gotol). */
export function isIsaV4(s: OpSpec): boolean {
  if (s.kind === 'alu') return ISA_V4_ALU.has(s.op)
  if (s.kind === 'end') return s.order === 'swap'
  if (s.kind === 'ldx') return s.signed
  if (s.kind === 'ja') return s.long
  return false
}

/** True for rows whose slots moves may edit, remove or swap (never calls, exits, ld_imm64). */
export function isEditable(s: OpSpec): boolean {
  switch (s.kind) {
    case 'alu':
    case 'end':
    case 'jmp':
    case 'ldx':
    case 'st':
    case 'stx':
    case 'atomic':
      return true
    case 'ja':
      return !s.long
    default:
      return false
  }
}

/** True for rows that the replace move may create. */
export function isCreatable(s: OpSpec, allowIsaV4: boolean): boolean {
  if (!allowIsaV4 && isIsaV4(s)) return false
  // Plain (non-fetch) atomic add/or/and/xor are how counters shrink (load+add+store becomes
  // `lock +=`); fetch, xchg and cmpxchg also write a register and stay out.
  if (s.kind === 'atomic') return isEditable(s) && ['add', 'or', 'and', 'xor'].includes(s.op)
  return isEditable(s)
}

/** True when `target` has every feature a forward-jumping instance of row `s` needs. */
export function rowOnTarget(s: OpSpec, target: KernelVersion | undefined): boolean {
  if (target === undefined) return true
  const fields = { dst: 0, src: 0, off: 1, imm: 0 }
  if (s.match) fields[s.match.field] = s.match.value
  const f = insnNeeds([{ code: s.code, ...fields }], 0)
  return f === undefined || targetHas(target, f)
}

/** True for rows that transfer control (their `off` is a jump offset). */
export function isJumpRow(s: OpSpec): boolean {
  return s.kind === 'jmp' || s.kind === 'ja'
}

function domainOf(s: OpSpec, f: Field): number {
  if (f === 'dst') {
    const written = s.kind === 'alu' || s.kind === 'end' || s.kind === 'ldx' || s.kind === 'lddw'
    return written ? Dom.regWrite : Dom.regRead
  }
  if (f === 'src') return Dom.regRead
  if (f === 'off') return isJumpRow(s) ? Dom.jump : Dom.offPool
  if (s.kind === 'end') return Dom.endWidth
  if (s.kind === 'alu') {
    if (s.op === 'lsh' || s.op === 'rsh' || s.op === 'arsh')
      return s.is64 ? Dom.shift64 : Dom.shift32
    if (s.op === 'div' || s.op === 'mod' || s.op === 'sdiv' || s.op === 'smod')
      return Dom.immPoolNonZero
  }
  return Dom.immPool
}

/** Precomputed per-row sampling data. */
export interface ProposalTable {
  /** Per row: number of operands. */
  readonly operandCount: Uint8Array
  /** Per row × {@link MAX_OPERANDS}: field index of each operand. */
  readonly operandField: Uint8Array
  /** Per row × {@link MAX_OPERANDS}: {@link Dom} of each operand. */
  readonly operandDomain: Uint8Array
  /** Per row: 1 when editable. */
  readonly editable: Uint8Array
  /** Per row: 1 when it is a jump row. */
  readonly jump: Uint8Array
  /** Per row: match field index + 1 (0 = none) and its value. */
  readonly matchField: Uint8Array
  /** Per row: value of the match field. */
  readonly matchValue: Int32Array
  /** Creatable rows that are not jumps. */
  readonly createPlain: Uint16Array
  /** Creatable jump rows. */
  readonly createJump: Uint16Array
  /** Per row: memory-width family index, -1 if none. */
  readonly familyOf: Int16Array
  /** Families: start offsets into {@link familyRows} (length families + 1). */
  readonly familyStart: Uint16Array
  /** Rows of all families, concatenated. */
  readonly familyRows: Uint16Array
}

/** Builds the sampling tables for one ISA-level setting and target kernel (undefined: newest). */
export function buildProposalTable(allowIsaV4: boolean, target?: KernelVersion): ProposalTable {
  const n = OPS.length
  const operandCount = new Uint8Array(n)
  const operandField = new Uint8Array(n * MAX_OPERANDS)
  const operandDomain = new Uint8Array(n * MAX_OPERANDS)
  const editable = new Uint8Array(n)
  const jump = new Uint8Array(n)
  const matchField = new Uint8Array(n)
  const matchValue = new Int32Array(n)
  const plain: number[] = []
  const jumps: number[] = []
  const families = new Map<string, number[]>()
  for (const s of OPS) {
    let k = 0
    for (const f of ['dst', 'src', 'off', 'imm'] as const) {
      if (s.zero.includes(f) || s.match?.field === f) continue
      operandField[s.id * MAX_OPERANDS + k] = FIELD_INDEX[f]
      operandDomain[s.id * MAX_OPERANDS + k] = domainOf(s, f)
      k++
    }
    operandCount[s.id] = k
    editable[s.id] = isEditable(s) ? 1 : 0
    jump[s.id] = isJumpRow(s) ? 1 : 0
    if (s.match) {
      matchField[s.id] = FIELD_INDEX[s.match.field] + 1
      matchValue[s.id] = s.match.value
    }
    if (isCreatable(s, allowIsaV4) && rowOnTarget(s, target))
      (isJumpRow(s) ? jumps : plain).push(s.id)
    let key: string | undefined
    if (s.kind === 'ldx') key = `ldx${s.signed ? 's' : ''}`
    else if (s.kind === 'st' || s.kind === 'stx') key = s.kind
    // Atomic add (imm 0, like a store's) joins the stores' family: K2's memory exchange turns
    // `*(u64 *)(r0 + 0) = r1` into `lock *(u64 *)(r0 + 0) += r1` in one move.
    else if (s.kind === 'atomic') key = s.op === 'add' ? 'stx' : `atomic_${s.op}`
    if (key !== undefined) {
      const list = families.get(key) ?? []
      list.push(s.id)
      families.set(key, list)
    }
  }
  const familyOf = new Int16Array(n).fill(-1)
  const starts: number[] = [0]
  const rows: number[] = []
  for (const list of families.values()) {
    for (const r of list) familyOf[r] = starts.length - 1
    rows.push(...list)
    starts.push(rows.length)
  }
  return {
    operandCount,
    operandField,
    operandDomain,
    editable,
    jump,
    matchField,
    matchValue,
    createPlain: Uint16Array.from(plain),
    createJump: Uint16Array.from(jumps),
    familyOf,
    familyStart: Uint16Array.from(starts),
    familyRows: Uint16Array.from(rows)
  }
}

/** Sorted distinct values of [-radius, radius] ∪ `extra` (32-bit signed). */
export function buildPool(radius: number, extra: Iterable<number>): Int32Array {
  const set = new Set<number>()
  for (let v = -radius; v <= radius; v++) set.add(v)
  for (const v of extra) set.add(v | 0)
  return Int32Array.from([...set].sort((a, b) => a - b))
}
