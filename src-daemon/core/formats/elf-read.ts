/** @fileoverview Reads the raw structure of an ELF64 little-endian BPF object: headers, symbols, relocations. */

import type { Diagnostic, Result } from '../util/result'
import { fail, ok } from '../util/result'
import { LeReader, readCString } from './bytes'
import { notBpfContent } from './elf-machine'
import type { ElfFile, ElfRelocation, ElfRelocationTable, ElfSection, ElfSymbol } from './elf-types'
import {
  ELF64_EHDR_SIZE,
  ELF64_REL_SIZE,
  ELF64_RELA_SIZE,
  ELF64_SHDR_SIZE,
  ELF64_SYM_SIZE,
  EM_BPF,
  EM_NONE,
  SHN,
  SHT
} from './elf-types'

/** Options for {@link parseElf}. */
export interface ParseElfOptions {
  /** File name put into diagnostics. */
  readonly file?: string
}

type Fail = { readonly ok: false; readonly error: Diagnostic }

function diag(code: string, message: string, file?: string, section?: string): Fail {
  const d: { code: string; message: string; file?: string; section?: string } = { code, message }
  if (file !== undefined) d.file = file
  if (section !== undefined) d.section = section
  return fail(d)
}

/**
 * Parses the ELF64 structure of a BPF relocatable object. Never throws on malformed input:
 * every inconsistency (truncation, out-of-range offsets, bad indices) is a failed Result.
 */
export function parseElf(bytes: Uint8Array, options: ParseElfOptions = {}): Result<ElfFile> {
  const file = options.file
  const r = new LeReader(bytes)
  if (bytes.length < 4)
    return diag('ELF_TRUNCATED', `file is ${bytes.length} bytes, too short for ELF`, file)
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46)
    return diag('ELF_BAD_MAGIC', 'not an ELF file (missing \\x7fELF magic)', file)
  if (bytes.length < ELF64_EHDR_SIZE)
    return diag('ELF_TRUNCATED', `file is ${bytes.length} bytes, shorter than the ELF header`, file)
  if (r.u8(4) !== 2) return diag('ELF_NOT_64BIT', `ELF class ${r.u8(4)} is not ELF64`, file)
  if (r.u8(5) !== 1)
    return diag('ELF_NOT_LITTLE_ENDIAN', 'only little-endian BPF objects are supported', file)
  const type = r.u16(16)
  const machine = r.u16(18)
  if (machine !== EM_BPF && machine !== EM_NONE)
    return diag('ELF_WRONG_MACHINE', `machine ${machine} is not BPF (${EM_BPF})`, file)
  const shoff = r.u64(40)
  const shentsize = r.u16(58)
  let shnum = r.u16(60)
  let shstrndx = r.u16(62)
  if (shoff < 0) return diag('ELF_SECTION_OUT_OF_RANGE', 'section header offset is too large', file)
  if (shoff === 0) shnum = 0
  else {
    if (shentsize !== ELF64_SHDR_SIZE)
      return diag('ELF_BAD_HEADER', `section header entry size ${shentsize}, expected 64`, file)
    if (!r.has(shoff, ELF64_SHDR_SIZE))
      return diag(
        'ELF_SECTION_OUT_OF_RANGE',
        `section header table at ${shoff} is past the end`,
        file
      )
    // Extended numbering: counts that do not fit 16 bits live in section 0.
    if (shnum === 0) {
      const n = r.u64(shoff + 32)
      if (n < 0 || n > bytes.length)
        return diag('ELF_BAD_HEADER', 'bad extended section count', file)
      shnum = n
    }
    if (shstrndx === SHN.XINDEX) shstrndx = r.u32(shoff + 40)
    if (!r.has(shoff, shnum * ELF64_SHDR_SIZE))
      return diag(
        'ELF_TRUNCATED',
        `section header table (${shnum} entries) runs past the end`,
        file
      )
  }
  const raw: Omit<ElfSection, 'name'>[] = []
  for (let i = 0; i < shnum; i++) {
    const base = shoff + i * ELF64_SHDR_SIZE
    const offset = r.u64(base + 24)
    const size = r.u64(base + 32)
    const addralign = r.u64(base + 48)
    const entsize = r.u64(base + 56)
    if (offset < 0 || size < 0 || addralign < 0 || entsize < 0)
      return diag('ELF_SECTION_OUT_OF_RANGE', `section ${i} has a field beyond 2^53`, file)
    raw.push({
      index: i,
      nameOffset: r.u32(base),
      type: r.u32(base + 4),
      flags: r.u32(base + 8),
      offset,
      size,
      link: r.u32(base + 40),
      info: r.u32(base + 44),
      addralign,
      entsize
    })
  }
  for (const s of raw) {
    if (s.type !== SHT.NOBITS && s.type !== SHT.NULL && !r.has(s.offset, s.size))
      return diag(
        'ELF_SECTION_OUT_OF_RANGE',
        `section ${s.index} contents [${s.offset}, +${s.size}) lie outside the ${bytes.length}-byte file`,
        file
      )
  }
  const named = nameSections(bytes, raw, shstrndx, file)
  if (!named.ok) return named
  const sections = named.value
  const symtab = sections.find((s) => s.type === SHT.SYMTAB)
  const syms = symtab ? readSymbols(r, sections, symtab, file) : ok<ElfSymbol[]>([])
  if (!syms.ok) return syms
  const relocations: ElfRelocationTable[] = []
  for (const s of sections) {
    if (s.type !== SHT.REL && s.type !== SHT.RELA) continue
    const t = readRelocations(r, sections, s, syms.value.length, file)
    if (!t.ok) return t
    relocations.push(t.value)
  }
  const elf: ElfFile = {
    bytes,
    type,
    machine,
    shoff,
    shstrndx,
    sections,
    symbols: syms.value,
    symtabIndex: symtab?.index ?? 0,
    relocations
  }
  if (machine === EM_NONE) {
    const why = notBpfContent(elf)
    if (why !== undefined)
      return fail({
        code: 'ELF_WRONG_MACHINE',
        message: `machine 0 (EM_NONE) and not BPF content: ${why.message}`,
        ...(file !== undefined ? { file } : {}),
        ...(why.section !== undefined ? { section: why.section } : {}),
        ...(why.index !== undefined ? { index: why.index } : {})
      })
  }
  return ok(elf)
}

function nameSections(
  bytes: Uint8Array,
  raw: readonly Omit<ElfSection, 'name'>[],
  shstrndx: number,
  file: string | undefined
): Result<ElfSection[]> {
  if (raw.length === 0) return ok([])
  const strtab = raw[shstrndx]
  if (strtab === undefined || strtab.type !== SHT.STRTAB)
    return diag(
      'ELF_BAD_HEADER',
      `section name table index ${shstrndx} is not a string table`,
      file
    )
  const out: ElfSection[] = []
  for (const s of raw) {
    const limit = strtab.offset + strtab.size
    const name =
      s.nameOffset === 0 && s.type === SHT.NULL
        ? ''
        : readCString(bytes, strtab.offset + s.nameOffset, limit)
    if (name === undefined || s.nameOffset >= strtab.size)
      return diag('ELF_BAD_STRING', `section ${s.index} has a name offset outside .shstrtab`, file)
    out.push({ ...s, name })
  }
  return ok(out)
}

function readSymbols(
  r: LeReader,
  sections: readonly ElfSection[],
  symtab: ElfSection,
  file: string | undefined
): Result<ElfSymbol[]> {
  const sec = symtab.name
  if (symtab.size % ELF64_SYM_SIZE !== 0)
    return diag(
      'ELF_BAD_SYMBOL',
      `symbol table size ${symtab.size} is not a multiple of 24`,
      file,
      sec
    )
  const strtab = sections[symtab.link]
  if (strtab === undefined || strtab.type !== SHT.STRTAB)
    return diag('ELF_BAD_SYMBOL', `symbol string table index ${symtab.link} is invalid`, file, sec)
  const count = symtab.size / ELF64_SYM_SIZE
  const out: ElfSymbol[] = []
  for (let i = 0; i < count; i++) {
    const base = symtab.offset + i * ELF64_SYM_SIZE
    const nameOff = r.u32(base)
    const info = r.u8(base + 4)
    const shndx = r.u16(base + 6)
    const value = r.u64(base + 8)
    const size = r.u64(base + 16)
    const name =
      nameOff === 0
        ? ''
        : readCString(r.bytes, strtab.offset + nameOff, strtab.offset + strtab.size)
    if (name === undefined || (nameOff !== 0 && nameOff >= strtab.size))
      return diag(
        'ELF_BAD_SYMBOL',
        `symbol ${i} has a name offset outside the string table`,
        file,
        sec
      )
    if (value < 0 || size < 0)
      return diag(
        'ELF_BAD_SYMBOL',
        `symbol ${i} (${name}) has a value or size beyond 2^53`,
        file,
        sec
      )
    if (shndx >= sections.length && shndx < 0xff00)
      return diag(
        'ELF_BAD_SYMBOL',
        `symbol ${i} (${name}) refers to missing section ${shndx}`,
        file,
        sec
      )
    out.push({
      index: i,
      name,
      type: info & 0xf,
      bind: info >> 4,
      other: r.u8(base + 5),
      shndx,
      value,
      size
    })
  }
  return ok(out)
}

function readRelocations(
  r: LeReader,
  sections: readonly ElfSection[],
  rel: ElfSection,
  symbolCount: number,
  file: string | undefined
): Result<ElfRelocationTable> {
  const withAddend = rel.type === SHT.RELA
  const entSize = withAddend ? ELF64_RELA_SIZE : ELF64_REL_SIZE
  if (rel.size % entSize !== 0)
    return diag(
      'ELF_BAD_RELOCATION',
      `size ${rel.size} is not a multiple of ${entSize}`,
      file,
      rel.name
    )
  const target = sections[rel.info]
  if (target === undefined || rel.info === 0)
    return diag('ELF_BAD_RELOCATION', `applies to missing section ${rel.info}`, file, rel.name)
  const entries: ElfRelocation[] = []
  const count = rel.size / entSize
  for (let i = 0; i < count; i++) {
    const base = rel.offset + i * entSize
    const offset = r.u64(base)
    const type = r.u32(base + 8)
    const symbol = r.u32(base + 12)
    const addend = withAddend ? r.i64(base + 16) : 0
    if (offset < 0 || offset >= target.size || Number.isNaN(addend))
      return diag(
        'ELF_BAD_RELOCATION',
        `entry ${i} patches offset ${offset} outside ${target.name || 'section ' + target.index}`,
        file,
        rel.name
      )
    if (symbol >= symbolCount)
      return diag(
        'ELF_BAD_RELOCATION',
        `entry ${i} refers to missing symbol ${symbol}`,
        file,
        rel.name
      )
    entries.push({ offset, symbol, type, addend })
  }
  return ok({ sectionIndex: rel.index, targetIndex: rel.info, withAddend, entries })
}

/** Returns the file bytes of a section (empty for NOBITS). The section must come from `elf`. */
export function sectionBytes(elf: ElfFile, section: ElfSection): Uint8Array {
  if (section.type === SHT.NOBITS || section.type === SHT.NULL) return new Uint8Array(0)
  return elf.bytes.subarray(section.offset, section.offset + section.size)
}
