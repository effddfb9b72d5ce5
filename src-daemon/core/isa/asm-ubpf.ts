/**
 * @fileoverview Parser for one instruction in uBPF / bpf_conformance syntax (`mov32 %r0, 0`,
 * `ldxdw %r0, [%r1+8]`, `jeq %r1, 0x5, +2`, `lock fetch add [%r10-8], %r1`, `call local f`).
 * Mnemonics are derived from the opcode-table rows, not listed separately.
 */
import { LDDW_SRC, OPS, OPS_BY_NAME, type OpSpec } from './opcodes'
import {
  checkRegNumber,
  isIdentifier,
  parseImm32,
  parseImm64,
  parseOffset16,
  problem,
  type AsmProblem,
  type Parsed
} from './asm-lexer'
import { stmt, type AsmStmt, type StmtFields } from './asm-stmt'

/** A mnemonic's rows (immediate and register variants) and, for byte swaps, the width. */
interface UbpfEntry {
  readonly rows: OpSpec[]
  readonly width?: number
}

const SIZE_SUFFIX: Record<number, string> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' }

/** The uBPF mnemonics of a row, with the byte-swap width each implies. */
function mnemonicsOf(row: OpSpec): [string, number?][] {
  switch (row.kind) {
    case 'alu': {
      if (row.op === 'movsx') return [[`movsx${row.ext ?? 0}${row.is64 ? 64 : 32}`]]
      return row.is64 ? [[row.op], [`${row.op}64`]] : [[`${row.op}32`]]
    }
    case 'end': {
      const names = row.order === 'swap' ? ['bswap', 'swap'] : [row.order]
      return names.flatMap((n) => [16, 32, 64].map((w): [string, number] => [`${n}${w}`, w]))
    }
    case 'jmp':
      return [[`${row.cond}${row.is32 ? '32' : ''}`]]
    case 'ja':
      return [[row.long ? 'ja32' : 'ja']]
    case 'exit':
      return [['exit']]
    case 'lddw':
      return row.pseudo === 'imm64' ? [['lddw']] : []
    case 'ldabs':
    case 'ldind':
      return [[`${row.kind}${SIZE_SUFFIX[row.bytes] ?? ''}`]]
    case 'ldx':
      return [[`ldx${row.signed ? 's' : ''}${SIZE_SUFFIX[row.bytes] ?? ''}`]]
    case 'st':
    case 'stx':
      return [[`${row.kind}${SIZE_SUFFIX[row.bytes] ?? ''}`]]
    case 'call':
    case 'atomic':
      return []
  }
}

/** Mnemonic → rows, built once from the opcode table. */
const MNEMONICS: ReadonlyMap<string, UbpfEntry> = (() => {
  const map = new Map<string, { rows: OpSpec[]; width?: number }>()
  for (const row of OPS) {
    for (const [name, width] of mnemonicsOf(row)) {
      const e = map.get(name) ?? (width === undefined ? { rows: [] } : { rows: [], width })
      e.rows.push(row)
      map.set(name, e)
    }
  }
  return map
})()

/** True when `word` is a uBPF mnemonic (used by syntax detection). */
export function isUbpfMnemonic(word: string): boolean {
  return MNEMONICS.has(word.toLowerCase()) || word === 'lock' || word === 'call'
}

/** Parses `%rN`. */
function reg(text: string): Parsed<number> {
  const m = /^%r(\d+)$/i.exec(text)
  if (!m) return problem('ASM_BAD_REGISTER', `invalid register '${text}'`)
  return checkRegNumber(m[1] ?? '', text)
}

/** Parses `[%rN]`, `[%rN+off]`, `[%rN-off]`. */
function mem(text: string): Parsed<{ reg: number; off: number }> {
  const m = /^\[\s*([^\s+\-\]]+)\s*(?:([+-])\s*([^\s\]]+)\s*)?\]$/.exec(text)
  if (!m) return problem('ASM_BAD_OPERAND', `expected a memory operand [%rN+off], got '${text}'`)
  const r = reg(m[1] ?? '')
  if (!r.ok) return r
  if (m[2] === undefined) return { ok: true, value: { reg: r.value, off: 0 } }
  const o = parseOffset16(`${m[2]}${m[3] ?? ''}`)
  return o.ok ? { ok: true, value: { reg: r.value, off: o.value } } : o
}

/** Parses a jump target: `+N`/`-N`/`N` (slots) or a label, into `field`. */
function target(text: string, field: 'off' | 'imm'): Parsed<StmtFields> {
  if (/^[+-]?(0x)?[0-9]/i.test(text)) {
    const v = field === 'off' ? parseOffset16(text) : parseImm32(text)
    return v.ok ? { ok: true, value: { [field]: v.value } } : v
  }
  if (!isIdentifier(text)) return problem('ASM_BAD_OPERAND', `invalid jump target '${text}'`)
  return { ok: true, value: { target: { label: text, field } } }
}

/** Splits comma-separated operands; an empty string gives none. */
function operands(rest: string): string[] {
  const t = rest.trim()
  return t === '' ? [] : t.split(',').map((s) => s.trim())
}

/** The operand-count error for `mnemonic`. */
function countError(mnemonic: string, want: string, got: number): { ok: false; error: AsmProblem } {
  return problem(
    'ASM_BAD_OPERAND_COUNT',
    `invalid number of operands for ${mnemonic}: expected ${want}, got ${got}`
  )
}

/** Parses `lock [fetch] op[32] [%rD+off], %rS`. */
function parseLock(rest: string): Parsed<AsmStmt> {
  const bracket = rest.indexOf('[')
  const words = (bracket < 0 ? rest : rest.slice(0, bracket)).trim().split(/\s+/).filter(Boolean)
  const ops = bracket < 0 ? [] : operands(rest.slice(bracket))
  if (words.length === 0 || ops.length !== 2)
    return countError('lock', '[fetch] op [mem], reg', words.length + ops.length)
  const fetch = words.length === 2 && words[0] === 'fetch'
  if (words.length > 2 || (words.length === 2 && !fetch))
    return problem('ASM_SYNTAX', `expected 'lock [fetch] op', got 'lock ${words.join(' ')}'`)
  const opWord = (words[words.length - 1] ?? '').toLowerCase()
  const m = /^(add|or|and|xor|xchg|cmpxchg)(32|64)?$/.exec(opWord)
  if (!m) return problem('ASM_UNKNOWN_MNEMONIC', `invalid atomic operation '${opWord}'`)
  const op = m[1] ?? ''
  const bits = m[2] === '32' ? 32 : 64
  const name =
    op === 'xchg' || op === 'cmpxchg'
      ? `atomic${bits}_${op}`
      : `atomic${bits}_${fetch ? 'fetch_' : ''}${op}`
  const dst = mem(ops[0] ?? '')
  if (!dst.ok) return dst
  const src = reg(ops[1] ?? '')
  if (!src.ok) return src
  return stmt(name, { dst: dst.value.reg, off: dst.value.off, src: src.value })
}

/** Parses `call N`, `call %rN`, `call helper N`, `call local T`, `call runtime N`, `call T`. */
function parseCall(rest: string): Parsed<AsmStmt> {
  const words = rest.trim().split(/\s+/).filter(Boolean)
  if (words.length === 0 || words.length > 2) return countError('call', '1 or 2', words.length)
  const mode = words.length === 2 ? words[0] : undefined
  const arg = words[words.length - 1] ?? ''
  if (mode === 'local' || (mode === undefined && isIdentifier(arg) && !arg.startsWith('%'))) {
    const t = target(arg, 'imm')
    return t.ok ? stmt('call_local', t.value) : t
  }
  if (mode === 'runtime' || mode === 'kfunc') {
    const v = parseImm32(arg)
    return v.ok ? stmt('call_kfunc', { imm: v.value }) : v
  }
  if (mode !== undefined && mode !== 'helper')
    return problem('ASM_SYNTAX', `invalid call mode '${mode}'`)
  if (arg.startsWith('%')) {
    const r = reg(arg)
    if (!r.ok) return r
    if (!OPS_BY_NAME.has('callx'))
      return problem('ASM_UNSUPPORTED', 'call by register (callx) has no opcode-table row')
    return stmt('callx', { dst: r.value })
  }
  const v = parseImm32(arg)
  return v.ok ? stmt('call_helper', { imm: v.value }) : v
}

/** Parses `lddw %rN, KIND IMM[, HI]` for the pseudo sources (`map_fd`, `map_value`, …). */
function parsePseudoLddw(ops: string[], kind: string, imm: string): Parsed<AsmStmt> {
  if (ops.length > 3) return countError('lddw', '2 or 3', ops.length)
  if (!(kind in LDDW_SRC) || kind === 'imm64')
    return problem('ASM_BAD_OPERAND', `invalid ld_imm64 source '${kind}'`)
  const d = reg(ops[0] ?? '')
  if (!d.ok) return d
  const lo = parseImm32(imm)
  if (!lo.ok) return lo
  const hi = parseImm32(ops[2] ?? '0')
  if (!hi.ok) return hi
  return stmt(`lddw_${kind}`, { dst: d.value, imm: lo.value, hi: hi.value })
}

/** Picks the immediate or register variant of `rows` from the operand text; fills `fields`. */
function withSource(
  rows: OpSpec[],
  text: string,
  fields: StmtFields
): Parsed<{ row: OpSpec; fields: StmtFields }> {
  const wantReg = text.startsWith('%')
  const row = rows.find((r) => 'source' in r && r.source === (wantReg ? 'reg' : 'imm'))
  if (row === undefined)
    return problem('ASM_BAD_OPERAND', `${wantReg ? 'register' : 'immediate'} operand not allowed`)
  const v = wantReg ? reg(text) : parseImm32(text)
  if (!v.ok) return v
  if (wantReg) fields.src = v.value
  else fields.imm = v.value
  return { ok: true, value: { row, fields } }
}

/** Parses one uBPF-syntax instruction (label and comment already removed). */
export function parseUbpfInsn(body: string): Parsed<AsmStmt> {
  const m = /^(\S+)\s*(.*)$/.exec(body.trim())
  const mnemonic = (m?.[1] ?? '').toLowerCase()
  const rest = m?.[2] ?? ''
  if (mnemonic === 'lock') return parseLock(rest)
  if (mnemonic === 'call') return parseCall(rest)
  const entry = MNEMONICS.get(mnemonic)
  const row = entry?.rows[0]
  if (entry === undefined || row === undefined)
    return problem('ASM_UNKNOWN_MNEMONIC', `invalid mnemonic '${m?.[1] ?? body}'`)
  const ops = operands(rest)
  const need = (n: number): boolean => ops.length === n
  const o = (i: number): string => ops[i] ?? ''
  switch (row.kind) {
    case 'exit':
      return need(0) ? stmt(row.name) : countError(mnemonic, '0', ops.length)
    case 'ja': {
      if (!need(1)) return countError(mnemonic, '1', ops.length)
      const t = target(o(0), row.long ? 'imm' : 'off')
      return t.ok ? stmt(row.name, t.value) : t
    }
    case 'end': {
      if (!need(1)) return countError(mnemonic, '1', ops.length)
      const d = reg(o(0))
      return d.ok ? stmt(row.name, { dst: d.value, imm: entry.width ?? 0 }) : d
    }
    case 'alu': {
      const unary = row.op === 'neg'
      if (!need(unary ? 1 : 2)) return countError(mnemonic, unary ? '1' : '2', ops.length)
      const d = reg(o(0))
      if (!d.ok) return d
      if (unary) return stmt(row.name, { dst: d.value })
      const v = withSource(entry.rows, o(1), { dst: d.value })
      return v.ok ? stmt(v.value.row.name, v.value.fields) : v
    }
    case 'jmp': {
      if (!need(3)) return countError(mnemonic, '3', ops.length)
      const d = reg(o(0))
      if (!d.ok) return d
      const t = target(o(2), 'off')
      if (!t.ok) return t
      const v = withSource(entry.rows, o(1), { dst: d.value, ...t.value })
      return v.ok ? stmt(v.value.row.name, v.value.fields) : v
    }
    case 'lddw': {
      const pseudo = /^([a-z_]+)\s+(\S+)$/.exec(o(1))
      if (pseudo && ops.length >= 2) return parsePseudoLddw(ops, pseudo[1] ?? '', pseudo[2] ?? '')
      if (!need(2)) return countError(mnemonic, '2', ops.length)
      const d = reg(o(0))
      if (!d.ok) return d
      const v = parseImm64(o(1))
      return v.ok ? stmt(row.name, { dst: d.value, imm: v.value.lo, hi: v.value.hi }) : v
    }
    case 'ldabs': {
      if (!need(1)) return countError(mnemonic, '1', ops.length)
      const v = parseImm32(o(0))
      return v.ok ? stmt(row.name, { imm: v.value }) : v
    }
    case 'ldind': {
      if (!need(2)) return countError(mnemonic, '2', ops.length)
      const s = reg(o(0))
      if (!s.ok) return s
      const v = parseImm32(o(1))
      return v.ok ? stmt(row.name, { src: s.value, imm: v.value }) : v
    }
    case 'ldx': {
      if (!need(2)) return countError(mnemonic, '2', ops.length)
      const d = reg(o(0))
      if (!d.ok) return d
      const a = mem(o(1))
      return a.ok ? stmt(row.name, { dst: d.value, src: a.value.reg, off: a.value.off }) : a
    }
    case 'st':
    case 'stx': {
      if (!need(2)) return countError(mnemonic, '2', ops.length)
      const a = mem(o(0))
      if (!a.ok) return a
      const v = row.kind === 'st' ? parseImm32(o(1)) : reg(o(1))
      if (!v.ok) return v
      const value = row.kind === 'st' ? { imm: v.value } : { src: v.value }
      return stmt(row.name, { dst: a.value.reg, off: a.value.off, ...value })
    }
    case 'call':
    case 'atomic':
      return problem('ASM_UNKNOWN_MNEMONIC', `invalid mnemonic '${mnemonic}'`)
  }
}
