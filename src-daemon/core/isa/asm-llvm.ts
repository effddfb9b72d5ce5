/**
 * @fileoverview Parser for one instruction in LLVM BPF syntax, as llvm-objdump and clang -S
 * print it (`r0 = 0`, `w1 += w2`, `r1 = *(u32 *)(r2 + 8)`, `if w1 s< 5 goto -2`, `r0 = 1 ll`,
 * `lock *(u64 *)(r1 + 0) += r2`, `r0 = cmpxchg_64(r1 + 0, r0, r2)`), plus the newer spellings
 * LLVM 17+ prints for sdiv/smod, movsx, sign-extending loads, bswap, gotol and store-immediate.
 */
import { OPS, OPS_BY_NAME, type JmpCond } from './opcodes'
import {
  checkRegNumber,
  parseImm32,
  parseImm64,
  parseOffset16,
  problem,
  type Parsed
} from './asm-lexer'
import { stmt, type AsmStmt, type StmtFields } from './asm-stmt'

/** A register operand: its number and whether it was written as the 32-bit view `wN`. */
interface Reg {
  readonly n: number
  readonly w: boolean
}

const R = '([rw]\\d+)'
const MAG = '(0x[0-9a-fA-F]+|\\d+)'
const NUM = '[+-]?(?:0x[0-9a-fA-F]+|\\d+)'
const N = `(${NUM})`
const T = '([+-]?(?:0x[0-9a-fA-F]+|\\d+)|[A-Za-z_.$][\\w.$]*)'
const MEM = `\\(${R}([+-])${MAG}\\)`

/** Removes whitespace except single spaces between two word characters. */
export function canonicalLlvm(text: string): string {
  return text
    .trim()
    .replace(/\s+/g, (ws: string, at: number, all: string) =>
      /\w/.test(all[at - 1] ?? '') && /\w/.test(all[at + ws.length] ?? '') ? ' ' : ''
    )
}

/** Parses `rN`/`wN`. */
function reg(text: string | undefined): Parsed<Reg> {
  const t = text ?? ''
  const r = checkRegNumber(t.slice(1), t)
  return r.ok ? { ok: true, value: { n: r.value, w: t[0] === 'w' } } : r
}

/** Parses `rN` where only the 64-bit view is meaningful (addresses, 64-bit operands). */
function reg64(text: string | undefined): Parsed<number> {
  const r = reg(text)
  if (!r.ok) return r
  if (r.value.w)
    return problem('ASM_BAD_REGISTER', `expected a 64-bit register, got '${text ?? ''}'`)
  return { ok: true, value: r.value.n }
}

/** Parses a memory reference's register and signed offset. */
function memRef(r: string | undefined, sign: string | undefined, mag: string | undefined) {
  const base = reg64(r)
  if (!base.ok) return base
  const off = parseOffset16(`${sign ?? '+'}${mag ?? ''}`)
  return off.ok ? { ok: true as const, value: { reg: base.value, off: off.value } } : off
}

/** Parses a jump target (slots or label) into `field`. */
function target(text: string | undefined, field: 'off' | 'imm'): Parsed<StmtFields> {
  const t = text ?? ''
  if (/^[+-]?[0-9]/.test(t)) {
    const v = field === 'off' ? parseOffset16(t) : parseImm32(t)
    return v.ok ? { ok: true, value: { [field]: v.value } } : v
  }
  return { ok: true, value: { target: { label: t, field } } }
}

const BYTES: Record<string, number> = { 8: 1, 16: 2, 32: 4, 64: 8 }
const SFX: Record<number, string> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' }
const CONDS: Record<string, JmpCond> = {
  '==': 'jeq',
  '!=': 'jne',
  '>': 'jgt',
  '>=': 'jge',
  '<': 'jlt',
  '<=': 'jle',
  '&': 'jset',
  's>': 'jsgt',
  's>=': 'jsge',
  's<': 'jslt',
  's<=': 'jsle'
}
const ALU_BY_SYMBOL: Record<string, string> = {
  '+': 'add',
  '-': 'sub',
  '*': 'mul',
  '/': 'div',
  '|': 'or',
  '&': 'and',
  '<<': 'lsh',
  '>>': 'rsh',
  '%': 'mod',
  '^': 'xor',
  '': 'mov',
  's>>': 'arsh',
  's/': 'sdiv',
  's%': 'smod'
}

/** Parses the value operand of an ALU or jump: a register of the same width or an immediate. */
function valueOperand(text: string | undefined, lhs: Reg): Parsed<{ reg: boolean; v: number }> {
  const t = text ?? ''
  if (/^[rw]/.test(t)) {
    const r = reg(t)
    if (!r.ok) return r
    if (r.value.w !== lhs.w) return problem('ASM_BAD_REGISTER', `register width mismatch at '${t}'`)
    return { ok: true, value: { reg: true, v: r.value.n } }
  }
  const v = parseImm32(t)
  return v.ok ? { ok: true, value: { reg: false, v: v.value } } : v
}

type Handler = (m: RegExpExecArray) => Parsed<AsmStmt>

function aluStmt(m: RegExpExecArray): Parsed<AsmStmt> {
  const d = reg(m[1])
  if (!d.ok) return d
  const op = ALU_BY_SYMBOL[`${m[2] ?? ''}${m[3] ?? ''}`]
  if (op === undefined)
    return problem('ASM_SYNTAX', `invalid operator '${m[2] ?? ''}${m[3] ?? ''}='`)
  const v = valueOperand(m[4], d.value)
  if (!v.ok) return v
  const name = `${op}${d.value.w ? 32 : 64}_${v.value.reg ? 'reg' : 'imm'}`
  return stmt(name, { dst: d.value.n, ...(v.value.reg ? { src: v.value.v } : { imm: v.value.v }) })
}

function jmpStmt(m: RegExpExecArray): Parsed<AsmStmt> {
  const d = reg(m[1])
  if (!d.ok) return d
  const cond = CONDS[`${m[2] ?? ''}${m[3] ?? ''}`]
  if (cond === undefined)
    return problem('ASM_SYNTAX', `invalid condition '${m[2] ?? ''}${m[3] ?? ''}'`)
  const v = valueOperand(m[4], d.value)
  if (!v.ok) return v
  const t = target(m[5], 'off')
  if (!t.ok) return t
  const name = `${cond}${d.value.w ? '32' : ''}_${v.value.reg ? 'reg' : 'imm'}`
  const val = v.value.reg ? { src: v.value.v } : { imm: v.value.v }
  return stmt(name, { dst: d.value.n, ...val, ...t.value })
}

function callStmt(m: RegExpExecArray): Parsed<AsmStmt> {
  const arg = m[1] ?? ''
  if (/^[+-]?[0-9]/.test(arg)) {
    const v = parseImm32(arg)
    return v.ok ? stmt('call_helper', { imm: v.value }) : v
  }
  return stmt('call_local', { target: { label: arg, field: 'imm' } })
}

function atomicStmt(bits: string | undefined, op: string, fields: StmtFields): Parsed<AsmStmt> {
  return stmt(`atomic${bits === 'u32' || bits === '32_32' ? 32 : 64}_${op}`, fields)
}

/** The value register of an atomic: `wN` allowed only for 32-bit operations. */
function atomicValue(text: string | undefined, bits: string | undefined): Parsed<number> {
  const r = reg(text)
  if (!r.ok) return r
  if (r.value.w && bits !== 'u32' && bits !== '32_32')
    return problem('ASM_BAD_REGISTER', `expected a 64-bit register, got '${text ?? ''}'`)
  return { ok: true, value: r.value.n }
}

const LOCK_OPS: Record<string, string> = { '+': 'add', '|': 'or', '&': 'and', '^': 'xor' }

const PATTERNS: [RegExp, Handler][] = [
  [/^exit$/, () => stmt('exit')],
  [new RegExp(`^goto ?${T}$`), (m) => chain(target(m[1], 'off'), (f) => stmt('ja', f))],
  [new RegExp(`^gotol ?${T}$`), (m) => chain(target(m[1], 'imm'), (f) => stmt('gotol', f))],
  [new RegExp(`^call ?${T}$`), callStmt],
  [
    new RegExp(`^callx ?${R}$`),
    (m) =>
      OPS_BY_NAME.has('callx')
        ? chain(reg64(m[1]), (n) => stmt('callx', { dst: n }))
        : problem('ASM_UNSUPPORTED', 'callx has no opcode-table row')
  ],
  [new RegExp(`^if ${R} ?(s?)(==|!=|>=|<=|>|<|&)([rw]\\d+|${NUM}) ?goto ?${T}$`), jmpStmt],
  [
    new RegExp(`^lock\\*\\((u32|u64)\\*\\)${MEM}([+|&^])=${R}$`),
    (m) =>
      chain(memRef(m[2], m[3], m[4]), (a) =>
        chain(atomicValue(m[6], m[1]), (s) =>
          atomicStmt(m[1], LOCK_OPS[m[5] ?? ''] ?? '', { dst: a.reg, off: a.off, src: s })
        )
      )
  ],
  [
    new RegExp(`^${R}=atomic_fetch_(add|or|and|xor)\\(\\((u32|u64)\\*\\)${MEM},${R}\\)$`),
    (m) =>
      m[1] !== m[7]
        ? problem(
            'ASM_BAD_REGISTER',
            `atomic_fetch result '${m[1] ?? ''}' must be its operand '${m[7] ?? ''}'`
          )
        : chain(memRef(m[4], m[5], m[6]), (a) =>
            chain(atomicValue(m[7], m[3]), (s) =>
              atomicStmt(m[3], `fetch_${m[2] ?? ''}`, { dst: a.reg, off: a.off, src: s })
            )
          )
  ],
  [
    new RegExp(`^${R}=xchg(32_32|_64)\\(${R}([+-])${MAG},${R}\\)$`),
    (m) =>
      m[1] !== m[6]
        ? problem(
            'ASM_BAD_REGISTER',
            `xchg result '${m[1] ?? ''}' must be its operand '${m[6] ?? ''}'`
          )
        : chain(memRef(m[3], m[4], m[5]), (a) =>
            chain(atomicValue(m[6], m[2]), (s) =>
              atomicStmt(m[2], 'xchg', { dst: a.reg, off: a.off, src: s })
            )
          )
  ],
  [
    new RegExp(`^${R}=cmpxchg(32_32|_64)\\(${R}([+-])${MAG},${R},${R}\\)$`),
    (m) =>
      !/^[rw]0$/.test(m[1] ?? '') || !/^[rw]0$/.test(m[6] ?? '')
        ? problem('ASM_BAD_REGISTER', 'cmpxchg compares and returns in r0')
        : chain(memRef(m[3], m[4], m[5]), (a) =>
            chain(atomicValue(m[7], m[2]), (s) =>
              atomicStmt(m[2], 'cmpxchg', { dst: a.reg, off: a.off, src: s })
            )
          )
  ],
  [new RegExp(`^\\*\\(u(8|16|32|64)\\*\\)${MEM}=([rw]\\d+|${NUM})$`), storeStmt],
  [new RegExp(`^${R}=\\*\\(([us])(8|16|32|64)\\*\\)${MEM}$`), loadStmt],
  [new RegExp(`^${R}=\\*\\(u(8|16|32)\\*\\)skb\\[(?:${N}|${R}(?:([+-])${MAG})?)\\]$`), pktStmt],
  [new RegExp(`^${R}=${N} ll$`), lddwStmt],
  [
    new RegExp(`^${R}=([A-Za-z_.$][\\w.$]*) ll$`),
    (m) => problem('ASM_UNRESOLVED_SYMBOL', `symbol '${m[2] ?? ''}' needs a relocation`)
  ],
  [new RegExp(`^ld_pseudo ?${R},(\\d+),${N}(?:,${N})?$`), pseudoStmt],
  [new RegExp(`^${R}=(be|le|bswap)(16|32|64) ${R}$`), endStmt],
  [new RegExp(`^${R}=-${R}$`), negStmt],
  [new RegExp(`^${R}=\\(s(8|16|32)\\)${R}$`), movsxStmt],
  [new RegExp(`^${R} ?(s?)(<<|>>|[-+*/%|&^])?=([rw]\\d+|${NUM})$`), aluStmt]
]

/** Continues a successful parse. */
function chain<A, B>(r: Parsed<A>, f: (a: A) => Parsed<B>): Parsed<B> {
  return r.ok ? f(r.value) : r
}

function storeStmt(m: RegExpExecArray): Parsed<AsmStmt> {
  const bytes = BYTES[m[1] ?? ''] ?? 8
  return chain(memRef(m[2], m[3], m[4]), (a) => {
    const v = m[5] ?? ''
    if (/^[rw]/.test(v)) {
      const r = bytes === 8 ? reg64(v) : chain(reg(v), (x) => ({ ok: true, value: x.n }))
      return chain(r, (s) => stmt(`stx${SFX[bytes] ?? ''}`, { dst: a.reg, off: a.off, src: s }))
    }
    return chain(parseImm32(v), (imm) =>
      stmt(`st${SFX[bytes] ?? ''}`, { dst: a.reg, off: a.off, imm })
    )
  })
}

function loadStmt(m: RegExpExecArray): Parsed<AsmStmt> {
  const signed = m[2] === 's'
  const bytes = BYTES[m[3] ?? ''] ?? 8
  if (signed && bytes === 8)
    return problem('ASM_BAD_OPERAND', 'there is no signed 64-bit load (s64)')
  const d = reg(m[1])
  if (!d.ok) return d
  if (d.value.w && (signed || bytes === 8))
    return problem(
      'ASM_BAD_REGISTER',
      `'${m[1] ?? ''}' cannot receive this load; use r${d.value.n}`
    )
  return chain(memRef(m[4], m[5], m[6]), (a) =>
    stmt(`ldx${signed ? 's' : ''}${SFX[bytes] ?? ''}`, { dst: d.value.n, src: a.reg, off: a.off })
  )
}

function pktStmt(m: RegExpExecArray): Parsed<AsmStmt> {
  const d = reg64(m[1])
  if (!d.ok) return d
  if (d.value !== 0) return problem('ASM_BAD_REGISTER', 'legacy packet loads write r0')
  const sfx = SFX[BYTES[m[2] ?? ''] ?? 1] ?? 'b'
  if (m[3] !== undefined) return chain(parseImm32(m[3]), (imm) => stmt(`ldabs${sfx}`, { imm }))
  return chain(reg64(m[4]), (src) =>
    chain(parseImm32(`${m[5] ?? '+'}${m[6] ?? '0'}`), (imm) => stmt(`ldind${sfx}`, { src, imm }))
  )
}

function lddwStmt(m: RegExpExecArray): Parsed<AsmStmt> {
  return chain(reg64(m[1]), (dst) =>
    chain(parseImm64(m[2] ?? ''), (v) => stmt('lddw_imm64', { dst, imm: v.lo, hi: v.hi }))
  )
}

function pseudoStmt(m: RegExpExecArray): Parsed<AsmStmt> {
  const src = Number(m[2])
  const row = OPS.find((r) => r.kind === 'lddw' && r.match?.value === src)
  if (row === undefined) return problem('ASM_BAD_OPERAND', `invalid ld_imm64 source ${m[2] ?? ''}`)
  return chain(reg64(m[1]), (dst) =>
    chain(parseImm32(m[3] ?? ''), (imm) =>
      chain(parseImm32(m[4] ?? '0'), (hi) => stmt(row.name, { dst, imm, hi }))
    )
  )
}

function endStmt(m: RegExpExecArray): Parsed<AsmStmt> {
  return chain(reg(m[1]), (d) =>
    chain(reg(m[4]), (s) =>
      s.n !== d.n
        ? problem('ASM_BAD_REGISTER', `byte swap must name one register twice`)
        : stmt(m[2] === 'bswap' ? 'bswap' : (m[2] ?? ''), { dst: d.n, imm: Number(m[3]) })
    )
  )
}

function negStmt(m: RegExpExecArray): Parsed<AsmStmt> {
  return chain(reg(m[1]), (d) =>
    chain(reg(m[2]), (s) =>
      s.n !== d.n || s.w !== d.w
        ? problem('ASM_BAD_REGISTER', `negation must name one register twice`)
        : stmt(d.w ? 'neg32' : 'neg64', { dst: d.n })
    )
  )
}

function movsxStmt(m: RegExpExecArray): Parsed<AsmStmt> {
  return chain(reg(m[1]), (d) =>
    chain(reg(m[3]), (s) =>
      s.w !== d.w
        ? problem('ASM_BAD_REGISTER', `register width mismatch at '${m[3] ?? ''}'`)
        : d.w && m[2] === '32'
          ? problem('ASM_BAD_OPERAND', 'a 32-bit move cannot sign-extend from 32 bits')
          : stmt(`movsx${d.w ? 32 : 64}_${m[2] ?? ''}`, { dst: d.n, src: s.n })
    )
  )
}

const KEYWORDS = new Set(['if', 'goto', 'gotol', 'call', 'callx', 'exit', 'lock', 'ld_pseudo'])

/** Strips llvm-objdump's `<symbol+offset>` annotation after a branch target. */
export function stripTargetNote(body: string): string {
  return /\b(goto|gotol|call)\b/.test(body) ? body.replace(/\s*<[^<>]*>\s*$/, '') : body
}

/** Parses one LLVM-syntax instruction (label and comment already removed). */
export function parseLlvmInsn(body: string): Parsed<AsmStmt> {
  const text = canonicalLlvm(stripTargetNote(body))
  for (const [re, handle] of PATTERNS) {
    const m = re.exec(text)
    if (m) return handle(m)
  }
  const word = /^([A-Za-z_][\w.]*)(?: |$)/.exec(text)?.[1]
  if (word !== undefined && !KEYWORDS.has(word) && !/^[rw]\d+$/.test(word))
    return problem('ASM_UNKNOWN_MNEMONIC', `invalid mnemonic '${word}'`)
  const bad = /\b([rw]\d{2,})\b/.exec(text)?.[1]
  if (bad !== undefined && !reg(bad).ok)
    return problem('ASM_BAD_REGISTER', `invalid register '${bad}'`)
  return problem('ASM_SYNTAX', `cannot parse '${body.trim()}'`)
}
