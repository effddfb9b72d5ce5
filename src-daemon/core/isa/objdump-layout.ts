/**
 * @fileoverview The full `llvm-objdump -d` layout: file banner, `Disassembly of section`
 * headers, `<symbol>:` block headers and `INDEX:<TAB>BYTES<TAB>TEXT` lines, with branch
 * targets annotated `<sym>` / `<sym+0xOFF>` as llvm-objdump does.
 */
import { INSN_SIZE, type Insn } from './insn'
import { decodeLenient, type Decoded, type RawSlot } from './decode'
import { llvmText } from './disasm-llvm'

/** A symbol inside a section (function or label), at a byte offset. */
export interface SectionSymbol {
  /** Symbol name. */
  readonly name: string
  /** Byte offset within the section. */
  readonly offset: number
}

/** Options for {@link formatObjdumpSection}. */
export interface ObjdumpLayoutOptions {
  /**
   * Symbols of the section as llvm-objdump uses them: the ELF symbols of type FUNC or NOTYPE
   * with non-empty names defined in this section (not SECTION/FILE symbols). Without any,
   * llvm-objdump shows the section name at offset 0, and so does this formatter.
   */
  readonly symbols?: readonly SectionSymbol[]
}

function hexBytes(ins: Insn): string[] {
  const regs = ((ins.src & 0xf) << 4) | (ins.dst & 0xf)
  const off = ins.off & 0xffff
  const imm = ins.imm >>> 0
  const bytes = [ins.code & 0xff, regs, off & 0xff, off >> 8]
  for (let i = 0; i < 4; i++) bytes.push((imm >>> (8 * i)) & 0xff)
  return bytes.map((b) => b.toString(16).padStart(2, '0'))
}

/** The raw-bytes column of one instruction (16 bytes for an lddw). */
export function objdumpBytes(d: Decoded | RawSlot): string {
  const parts = hexBytes(d.insn)
  if ('next' in d && d.next !== undefined) parts.push(...hexBytes(d.next))
  return parts.join(' ')
}

/** Branch target in slots for annotation purposes (jumps only, not calls). */
function branchTarget(d: Decoded | RawSlot): number | undefined {
  const s = d.spec
  if (s === undefined) return undefined
  if (s.kind === 'jmp' || (s.kind === 'ja' && !s.long)) return d.index + 1 + d.insn.off
  if (s.kind === 'ja') return d.index + 1 + d.insn.imm
  return undefined
}

/** ` <sym>` or ` <sym+0xN>` for a byte address, using the nearest symbol at or before it. */
function annotate(symbols: readonly SectionSymbol[], address: number): string {
  let best: SectionSymbol | undefined
  for (const s of symbols) {
    if (s.offset <= address && (best === undefined || s.offset > best.offset)) best = s
  }
  if (best === undefined) return ''
  const delta = address - best.offset
  return delta === 0 ? ` <${best.name}>` : ` <${best.name}+0x${delta.toString(16)}>`
}

/** One `INDEX:<TAB>BYTES<TAB>TEXT` line, without the branch annotation. */
export function formatObjdumpLine(d: Decoded | RawSlot): string {
  return `${String(d.index).padStart(8)}:\t${objdumpBytes(d)}\t${llvmText(d)}`
}

/**
 * One section as `llvm-objdump -d` prints it: `Disassembly of section NAME:` followed, for
 * each symbol, by a blank line, `%016x <sym>:` and the instruction lines. Ends with a newline.
 */
export function formatObjdumpSection(
  name: string,
  slots: readonly Insn[],
  options: ObjdumpLayoutOptions = {}
): string {
  const given = options.symbols ?? []
  const symbols = given.length > 0 ? [...given] : [{ name, offset: 0 }]
  symbols.sort((a, b) => a.offset - b.offset)
  let out = `Disassembly of section ${name}:\n`
  let next = 0
  for (const d of decodeLenient(slots)) {
    const at = d.index * INSN_SIZE
    while (next < symbols.length && (symbols[next]?.offset ?? 0) <= at) {
      const s = symbols[next] as SectionSymbol
      out += `\n${s.offset.toString(16).padStart(16, '0')} <${s.name}>:\n`
      next++
    }
    const t = branchTarget(d)
    out += formatObjdumpLine(d) + (t === undefined ? '' : annotate(symbols, t * INSN_SIZE)) + '\n'
  }
  return out
}

/** The banner llvm-objdump prints before the sections: blank line, `FILE:\tfile format elf64-bpf`, blank line. */
export function formatObjdumpBanner(fileName: string): string {
  return `\n${fileName}:\tfile format elf64-bpf\n\n`
}

/** A whole `llvm-objdump -d` output for the given sections of one file. */
export function formatObjdumpFile(
  fileName: string,
  sections: readonly { name: string; slots: readonly Insn[]; symbols?: readonly SectionSymbol[] }[]
): string {
  const parts = sections.map((s) =>
    formatObjdumpSection(s.name, s.slots, s.symbols ? { symbols: s.symbols } : {})
  )
  // An object without code gets the banner line alone, as llvm-objdump prints it.
  if (parts.length === 0) return `\n${fileName}:\tfile format elf64-bpf\n`
  return formatObjdumpBanner(fileName) + parts.join('\n')
}
