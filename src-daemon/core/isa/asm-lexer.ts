/**
 * @fileoverview Assembler front end shared by both syntaxes: splits source text into lines,
 * strips comments, recognises labels, directives and llvm-objdump listing lines, and parses
 * numbers and registers with the range rules of the eBPF encoding.
 */
import type { Result } from '../util/result'
import { readInsn, type Insn } from './insn'
import { MAX_REG } from './validate'

/** Every stable error code the assembler reports. */
export const ASM_ERROR_CODES = [
  'ASM_UNKNOWN_MNEMONIC',
  'ASM_BAD_REGISTER',
  'ASM_BAD_OPERAND',
  'ASM_BAD_OPERAND_COUNT',
  'ASM_IMM_OUT_OF_RANGE',
  'ASM_OFFSET_OUT_OF_RANGE',
  'ASM_UNKNOWN_LABEL',
  'ASM_DUPLICATE_LABEL',
  'ASM_SYNTAX',
  'ASM_UNKNOWN_DIRECTIVE',
  'ASM_UNSUPPORTED',
  'ASM_UNRESOLVED_SYMBOL',
  'ASM_EMPTY'
] as const

/** A stable assembler error code. */
export type AsmErrorCode = (typeof ASM_ERROR_CODES)[number]

/** An assembler error before the line number is attached. */
export interface AsmProblem {
  /** Stable code. */
  readonly code: AsmErrorCode
  /** One-line message. */
  readonly message: string
}

/** A parse outcome of one piece of a line. */
export type Parsed<T> = Result<T, AsmProblem>

/** Makes a failed parse. */
export function problem(code: AsmErrorCode, message: string): { ok: false; error: AsmProblem } {
  return { ok: false, error: { code, message } }
}

/** One meaningful source line after comments, labels and listing columns are removed. */
export type SourceItem =
  | {
      readonly kind: 'insn'
      readonly line: number
      readonly labels: string[]
      readonly body: string
      /** The slots of an llvm-objdump listing line's byte column. */
      readonly listed?: Insn[]
    }
  | {
      readonly kind: 'raw'
      readonly line: number
      readonly labels: string[]
      readonly slots: Insn[]
    }
  | {
      readonly kind: 'directive'
      readonly line: number
      readonly name: string
      readonly args: string
    }
  | { readonly kind: 'label'; readonly line: number; readonly labels: string[] }

const LABEL_DEF = /^([A-Za-z_.$][\w.$]*):(?!=)\s*/
const OBJDUMP_SYMBOL = /^(?:[0-9a-f]{8,16} )?<([^<>]+)>:$/
const HEX_COLUMN = '(?:[0-9a-f]{2} ){7}[0-9a-f]{2}(?: (?:[0-9a-f]{2} ){7}[0-9a-f]{2})?'
const OBJDUMP_INSN = new RegExp(`^(?:\\d+:\\s+)?(${HEX_COLUMN})(?:\\s+(.*))?$`)
const OBJDUMP_TEXT = /^\d+:\s+(\S.*)$/
const OBJDUMP_RELOC = /^[0-9a-f]+:\s+R_BPF_\w+/
const OBJDUMP_HEADER = /^(?:\S+:\s+file format |Disassembly of section )/

/** Removes `#`, `;` and `//` comments (no eBPF syntax uses these characters otherwise). */
export function stripComment(line: string): string {
  let end = line.length
  for (const marker of ['#', ';', '//']) {
    const at = line.indexOf(marker)
    if (at >= 0 && at < end) end = at
  }
  return line.slice(0, end)
}

/** Parses the hex byte column of an llvm-objdump line into slots. */
function slotsFromHexColumn(hex: string): Insn[] {
  const bytes = Uint8Array.from(hex.split(' ').map((b) => parseInt(b, 16)))
  const slots: Insn[] = []
  for (let i = 0; i * 8 < bytes.length; i++) slots.push(readInsn(bytes, i))
  return slots
}

/** Splits source text into items; line numbers are 1-based. Never throws. */
export function scanLines(text: string): SourceItem[] {
  const items: SourceItem[] = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1
    const raw = (lines[i] ?? '').trim()
    const sym = OBJDUMP_SYMBOL.exec(raw)
    if (sym) {
      items.push({ kind: 'label', line, labels: [sym[1] ?? ''] })
      continue
    }
    if (OBJDUMP_RELOC.test(raw) || OBJDUMP_HEADER.test(raw)) continue
    const dump = OBJDUMP_INSN.exec(raw)
    if (dump) {
      const body = stripComment(dump[2] ?? '').trim()
      const slots = slotsFromHexColumn(dump[1] ?? '')
      if (body === '<unknown>' || body === '') items.push({ kind: 'raw', line, labels: [], slots })
      else items.push({ kind: 'insn', line, labels: [], body, listed: slots })
      continue
    }
    const textOnly = OBJDUMP_TEXT.exec(raw)
    if (textOnly) {
      const body = stripComment(textOnly[1] ?? '').trim()
      if (body !== '') items.push({ kind: 'insn', line, labels: [], body })
      continue
    }
    if (raw.startsWith('--')) {
      items.push({ kind: 'directive', line, name: raw.slice(2).trim() || '--', args: '' })
      continue
    }
    let rest = stripComment(raw).trim()
    const labels: string[] = []
    for (let m = LABEL_DEF.exec(rest); m; m = LABEL_DEF.exec(rest)) {
      labels.push(m[1] ?? '')
      rest = rest.slice(m[0].length)
    }
    if (rest.startsWith('.')) {
      if (labels.length) items.push({ kind: 'label', line, labels })
      const sp = rest.search(/\s/)
      const name = sp < 0 ? rest : rest.slice(0, sp)
      items.push({ kind: 'directive', line, name, args: sp < 0 ? '' : rest.slice(sp).trim() })
    } else if (rest !== '') items.push({ kind: 'insn', line, labels, body: rest })
    else if (labels.length) items.push({ kind: 'label', line, labels })
  }
  return items
}

/** A parsed integer literal and whether it was written in hex. */
export interface IntLiteral {
  /** The value (signed). */
  readonly value: bigint
  /** True when written as `0x…`. */
  readonly hex: boolean
}

const INT_LITERAL = /^([+-]?)(0[xX][0-9a-fA-F]+|[0-9]+)$/

/** Parses a decimal or hex integer with an optional sign; undefined if not a number. */
export function parseIntLiteral(text: string): IntLiteral | undefined {
  const m = INT_LITERAL.exec(text.trim())
  if (!m) return undefined
  const digits = m[2] ?? '0'
  const mag = BigInt(digits)
  return { value: m[1] === '-' ? -mag : mag, hex: /^0x/i.test(digits) }
}

/**
 * Checks a literal against a field of `bits` bits: decimal must fit the signed range, hex may
 * also use the full unsigned range (it is then reinterpreted as two's complement).
 */
function fitField(lit: IntLiteral, bits: 16 | 32 | 64): bigint | undefined {
  const half = 1n << BigInt(bits - 1)
  const full = 1n << BigInt(bits)
  const max = lit.hex && lit.value >= 0n ? full - 1n : half - 1n
  if (lit.value < -half || lit.value > max) return undefined
  return BigInt.asIntN(bits, lit.value)
}

/** Parses a 32-bit immediate. */
export function parseImm32(text: string): Parsed<number> {
  const lit = parseIntLiteral(text)
  if (!lit) return problem('ASM_BAD_OPERAND', `expected an immediate, got '${text}'`)
  const v = fitField(lit, 32)
  if (v === undefined)
    return problem('ASM_IMM_OUT_OF_RANGE', `immediate ${text} does not fit 32 bits`)
  return { ok: true, value: Number(v) }
}

/** Parses a 16-bit signed offset. */
export function parseOffset16(text: string): Parsed<number> {
  const lit = parseIntLiteral(text)
  if (!lit) return problem('ASM_BAD_OPERAND', `expected an offset, got '${text}'`)
  const v = fitField(lit, 16)
  if (v === undefined)
    return problem('ASM_OFFSET_OUT_OF_RANGE', `offset ${text} does not fit 16 bits`)
  return { ok: true, value: Number(v) }
}

/** Parses a 64-bit immediate into its low and high 32-bit halves (as signed int32). */
export function parseImm64(text: string): Parsed<{ lo: number; hi: number }> {
  const lit = parseIntLiteral(text)
  if (!lit) return problem('ASM_BAD_OPERAND', `expected a 64-bit immediate, got '${text}'`)
  const v =
    lit.hex || lit.value < 0n ? fitField(lit, 64) : lit.value < 1n << 64n ? lit.value : undefined
  if (v === undefined)
    return problem('ASM_IMM_OUT_OF_RANGE', `immediate ${text} does not fit 64 bits`)
  const u = BigInt.asUintN(64, v)
  return {
    ok: true,
    value: { lo: Number(BigInt.asIntN(32, u)), hi: Number(BigInt.asIntN(32, u >> 32n)) }
  }
}

/** Checks a register number parsed from a name. */
export function checkRegNumber(digits: string, name: string): Parsed<number> {
  const n = /^\d{1,3}$/.test(digits) ? Number(digits) : NaN
  if (!(n >= 0 && n <= MAX_REG)) return problem('ASM_BAD_REGISTER', `invalid register '${name}'`)
  return { ok: true, value: n }
}

/** True for a label or symbol name. */
export function isIdentifier(text: string): boolean {
  return /^[A-Za-z_.$][\w.$]*$/.test(text)
}
