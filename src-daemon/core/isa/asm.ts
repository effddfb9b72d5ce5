/**
 * @fileoverview The eBPF assembler: turns LLVM-syntax or uBPF-syntax text (with labels,
 * comments, clang -S directives or llvm-objdump listings) into instruction slots, encoding every
 * instruction through its opcode-table row. Errors are diagnostics with stable codes and lines.
 */
import { fail, ok, type Diagnostic, type Result } from '../util/result'
import type { Insn } from './insn'
import { scanLines, type AsmProblem, type Parsed, type SourceItem } from './asm-lexer'
import { encodeStmt, slotCount, type AsmStmt } from './asm-stmt'
import { isUbpfMnemonic, parseUbpfInsn } from './asm-ubpf'
import { parseLlvmInsn } from './asm-llvm'
import { preferListedSlots } from './asm-listing'

export { ASM_ERROR_CODES, type AsmErrorCode } from './asm-lexer'

/** Assembly syntaxes: LLVM's (`r0 = 0`) and uBPF / bpf_conformance's (`mov %r0, 0`). */
export type AsmSyntax = 'llvm' | 'ubpf'

/** Where the text came from, for diagnostics. */
export interface AsmWhere {
  /** Input file name. */
  readonly file?: string
  /** Section (program) name. */
  readonly section?: string
}

/** Guesses the syntax of `text`: `%r` registers or uBPF mnemonics mean ubpf, else llvm. */
export function detectSyntax(text: string): AsmSyntax {
  return detectFromItems(scanLines(text))
}

function detectFromItems(items: readonly SourceItem[]): AsmSyntax {
  for (const item of items) {
    if (item.kind === 'raw') return 'llvm'
    if (item.kind !== 'insn') continue
    const body = item.body
    if (body.includes('%r')) return 'ubpf'
    const word = (/^[A-Za-z_][\w]*/.exec(body)?.[0] ?? '').toLowerCase()
    if (word === 'lock') return /^lock\s*\*/.test(body) ? 'llvm' : 'ubpf'
    if (word === 'call' && /^call\s+(local|helper|runtime|kfunc)\b/.test(body)) return 'ubpf'
    if (word !== 'exit' && word !== 'call' && isUbpfMnemonic(word)) return 'ubpf'
    if (
      body.includes('=') ||
      /^(if|goto|gotol|callx|ld_pseudo)\b/.test(body) ||
      body.startsWith('*')
    )
      return 'llvm'
  }
  return 'llvm'
}

const IGNORED_DIRECTIVES = new Set([
  '.file',
  '.globl',
  '.global',
  '.p2align',
  '.align',
  '.balign',
  '.type',
  '.size',
  '.addrsig',
  '.addrsig_sym',
  '.ident',
  '.weak',
  '.hidden',
  '.local',
  '.protected',
  '.internal',
  '.loc'
])
const DATA_DIRECTIVES = new Set([
  '.byte',
  '.short',
  '.hword',
  '.2byte',
  '.long',
  '.word',
  '.4byte',
  '.quad',
  '.8byte',
  '.ascii',
  '.asciz',
  '.string',
  '.zero',
  '.skip',
  '.space',
  '.fill',
  '.uleb128',
  '.sleb128'
])
const DATA_SECTION =
  /^"?(\.maps|\.data|\.rodata|\.bss|\.BTF|\.debug|\.llvm|\.note|\.comment|\.rel|\.eh_frame|license|version)/

/** Whether a `.section` directive's arguments name an executable section. */
function isCodeSection(args: string): boolean {
  const [name = '', flags] = args.split(',').map((s) => s.trim())
  if (flags !== undefined && /^"[a-zA-Z]*"$/.test(flags)) return flags.includes('x')
  return !DATA_SECTION.test(name)
}

/** What a directive does: switch to code or data, nothing, or an error. */
function directiveEffect(
  name: string,
  args: string,
  inCode: boolean
): 'code' | 'data' | 'none' | AsmProblem {
  if (name === '.text') return 'code'
  if (name === '.data' || name === '.bss' || name === '.rodata') return 'data'
  if (name === '.section' || name === '.pushsection') return isCodeSection(args) ? 'code' : 'data'
  if (IGNORED_DIRECTIVES.has(name) || name.startsWith('.cfi_')) return 'none'
  if (DATA_DIRECTIVES.has(name)) {
    if (!inCode) return 'none'
    return { code: 'ASM_UNSUPPORTED', message: `data directive ${name} in a code section` }
  }
  return { code: 'ASM_UNKNOWN_DIRECTIVE', message: `unknown directive '${name}'` }
}

/** A parsed instruction or raw slots, with its source line and first slot. */
type Placed = { readonly line: number; readonly slot: number } & (
  | { readonly stmt: AsmStmt; readonly body: string; readonly listed: Insn[] | undefined }
  | { readonly raw: Insn[] }
)

/** Assembles `text`; ld_imm64 takes two slots. Syntax `auto` uses {@link detectSyntax}. */
export function assemble(
  text: string,
  syntax: AsmSyntax | 'auto',
  where: AsmWhere = {}
): Result<Insn[]> {
  const items = scanLines(text)
  const syn = syntax === 'auto' ? detectFromItems(items) : syntax
  const parse: (body: string) => Parsed<AsmStmt> = syn === 'ubpf' ? parseUbpfInsn : parseLlvmInsn
  const diag = (p: AsmProblem, line: number, index?: number): Result<Insn[]> =>
    fail<Diagnostic>({
      ...p,
      line,
      ...(where.file !== undefined ? { file: where.file } : {}),
      ...(where.section !== undefined ? { section: where.section } : {}),
      ...(index !== undefined ? { index } : {})
    })
  const labels = new Map<string, number>()
  const placed: Placed[] = []
  let slot = 0
  let firstExit: number | undefined
  let inCode = true
  for (const item of items) {
    if (item.kind === 'directive') {
      const eff = directiveEffect(item.name, item.args, inCode)
      if (typeof eff === 'object') return diag(eff, item.line)
      if (eff !== 'none') inCode = eff === 'code'
      continue
    }
    if (!inCode) {
      if (item.kind === 'label') continue
      return diag({ code: 'ASM_SYNTAX', message: 'instruction in a data section' }, item.line)
    }
    for (const name of item.labels) {
      if (labels.has(name))
        return diag(
          { code: 'ASM_DUPLICATE_LABEL', message: `duplicate label '${name}'` },
          item.line
        )
      labels.set(name, slot)
    }
    if (item.kind === 'raw') {
      placed.push({ line: item.line, slot, raw: item.slots })
      slot += item.slots.length
    } else if (item.kind === 'insn') {
      const r = parse(item.body)
      if (!r.ok) return diag(r.error, item.line, slot)
      if (r.value.row.kind === 'exit' && firstExit === undefined) firstExit = slot
      placed.push({ line: item.line, slot, stmt: r.value, body: item.body, listed: item.listed })
      slot += slotCount(r.value)
    }
  }
  if (slot === 0) {
    const last = text.split(/\r?\n/).length
    return diag({ code: 'ASM_EMPTY', message: 'no instructions' }, last)
  }
  // bpf_conformance convention: in uBPF syntax `exit` names the first exit unless defined.
  if (syn === 'ubpf' && firstExit !== undefined && !labels.has('exit'))
    labels.set('exit', firstExit)
  const out: Insn[] = []
  for (const p of placed) {
    if ('raw' in p) {
      out.push(...p.raw)
      continue
    }
    let s = p.stmt
    if (s.target !== undefined) {
      const at = labels.get(s.target.label)
      if (at === undefined) {
        const message = `unknown label '${s.target.label}'`
        return diag({ code: 'ASM_UNKNOWN_LABEL', message }, p.line, p.slot)
      }
      const dist = at - (p.slot + 1)
      if (s.target.field === 'off' && (dist < -32768 || dist > 32767)) {
        const message = `label '${s.target.label}' is ${dist} slots away, beyond a 16-bit offset`
        return diag({ code: 'ASM_OFFSET_OUT_OF_RANGE', message }, p.line, p.slot)
      }
      s = { ...s, [s.target.field]: dist }
    }
    const slots = encodeStmt(s)
    out.push(...(p.listed ? preferListedSlots(p.body, slots, p.listed) : slots))
  }
  return ok(out)
}
