/**
 * @fileoverview The syntax-neutral assembler statement (an opcode-table row plus field values
 * and an optional label reference) and its encoding into instruction slots through the row.
 */
import { insn, type Insn } from './insn'
import { OPS_BY_NAME, type OpSpec } from './opcodes'
import { problem, type Parsed } from './asm-lexer'

/** A branch or call target written as a label, resolved after all lines are read. */
export interface LabelRef {
  /** The label name. */
  readonly label: string
  /** The field that receives the slot-relative distance. */
  readonly field: 'off' | 'imm'
}

/** One parsed instruction: the table row and the operand fields it sets. */
export interface AsmStmt {
  /** The opcode-table row. */
  readonly row: OpSpec
  /** Destination register field. */
  readonly dst: number
  /** Source register field. */
  readonly src: number
  /** Offset field. */
  readonly off: number
  /** Immediate field (the low half for ld_imm64). */
  readonly imm: number
  /** High 32 bits of a ld_imm64 immediate (second slot). */
  readonly hi: number
  /** A label to resolve into `off` or `imm`. */
  readonly target?: LabelRef
}

/** Operand fields a parser may set; missing fields are zero. */
export interface StmtFields {
  dst?: number
  src?: number
  off?: number
  imm?: number
  hi?: number
  target?: LabelRef
}

/** Builds a statement for the row named `name` (a name the table must hold). */
export function stmt(name: string, fields: StmtFields = {}): Parsed<AsmStmt> {
  const row = OPS_BY_NAME.get(name)
  if (row === undefined) return problem('ASM_UNSUPPORTED', `the opcode table has no row '${name}'`)
  const s: { -readonly [K in keyof AsmStmt]: AsmStmt[K] } = {
    row,
    dst: fields.dst ?? 0,
    src: fields.src ?? 0,
    off: fields.off ?? 0,
    imm: fields.imm ?? 0,
    hi: fields.hi ?? 0
  }
  if (fields.target !== undefined) s.target = fields.target
  return { ok: true, value: s }
}

/** Number of slots the statement occupies. */
export function slotCount(s: AsmStmt): number {
  return s.row.kind === 'lddw' ? 2 : 1
}

/** Encodes a statement: the row gives the opcode byte and the value of its selecting field. */
export function encodeStmt(s: AsmStmt): Insn[] {
  const f = { dst: s.dst, src: s.src, off: s.off, imm: s.imm }
  const m = s.row.match
  if (m !== undefined) f[m.field] = m.value
  const first = insn(s.row.code, f.dst, f.src, f.off, f.imm)
  return s.row.kind === 'lddw' ? [first, insn(0, 0, 0, 0, s.hi)] : [first]
}
