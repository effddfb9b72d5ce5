/** @fileoverview Test-only minimal ELF64 BPF writer and section reader, for llvm-objdump comparisons. */

/** One executable section extracted from an ELF object. */
export interface ExecSection {
  /** Section name. */
  name: string
  /** Raw section bytes. */
  bytes: Uint8Array
  /** Symbols defined in the section (functions and labels), sorted by offset. */
  symbols: { name: string; offset: number }[]
}

const SHT_PROGBITS = 1
const SHT_SYMTAB = 2
const SHT_STRTAB = 3
const SHF_ALLOC = 0x2
const SHF_EXECINSTR = 0x4

/** Builds a string table holding `names`, returning the table and each name's offset. */
function strtab(names: string[]): { bytes: Uint8Array; offsets: number[] } {
  const enc = new TextEncoder()
  const parts: number[] = [0]
  const offsets: number[] = []
  for (const n of names) {
    offsets.push(parts.length)
    parts.push(...enc.encode(n), 0)
  }
  return { bytes: Uint8Array.from(parts), offsets }
}

/**
 * Wraps raw program bytes into a relocatable ELF64 little-endian EM_BPF object with one
 * executable section `sectionName` and one global function symbol `funcName` at offset 0
 * (no symbol when `funcName` is null).
 */
export function wrapInElf(
  code: Uint8Array,
  sectionName = '.text',
  funcName: string | null = 'prog'
): Uint8Array {
  const shstr = strtab([sectionName, '.strtab', '.symtab'])
  const str = strtab([funcName ?? ''])
  // Symbols: null, then the function symbol (global, FUNC) in section 1.
  const sym = new Uint8Array(funcName === null ? 24 : 48)
  const sv = new DataView(sym.buffer)
  if (funcName !== null) {
    sv.setUint32(24, str.offsets[0] ?? 0, true)
    sv.setUint8(28, (1 << 4) | 2)
    sv.setUint16(30, 1, true)
    sv.setBigUint64(40, BigInt(code.length), true)
  }
  const blobs = [code, shstr.bytes, str.bytes, sym]
  let off = 64
  const offsets: number[] = []
  for (const b of blobs) {
    off = (off + 7) & ~7
    offsets.push(off)
    off += b.length
  }
  const shoff = (off + 7) & ~7
  const total = shoff + 5 * 64
  const out = new Uint8Array(total)
  const v = new DataView(out.buffer)
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0)
  v.setUint16(16, 1, true) // ET_REL
  v.setUint16(18, 247, true) // EM_BPF
  v.setUint32(20, 1, true)
  v.setBigUint64(40, BigInt(shoff), true)
  v.setUint16(52, 64, true)
  v.setUint16(58, 64, true)
  v.setUint16(60, 5, true)
  v.setUint16(62, 2, true) // shstrndx
  blobs.forEach((b, i) => out.set(b, offsets[i] ?? 0))
  const sh = (
    i: number,
    name: number,
    type: number,
    flags: number,
    o: number,
    size: number,
    link = 0,
    info = 0,
    align = 8,
    entsize = 0
  ): void => {
    const base = shoff + i * 64
    v.setUint32(base, name, true)
    v.setUint32(base + 4, type, true)
    v.setBigUint64(base + 8, BigInt(flags), true)
    v.setBigUint64(base + 24, BigInt(o), true)
    v.setBigUint64(base + 32, BigInt(size), true)
    v.setUint32(base + 40, link, true)
    v.setUint32(base + 44, info, true)
    v.setBigUint64(base + 48, BigInt(align), true)
    v.setBigUint64(base + 56, BigInt(entsize), true)
  }
  const so = shstr.offsets
  sh(1, so[0] ?? 0, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, offsets[0] ?? 0, code.length)
  sh(2, so[1] ?? 0, SHT_STRTAB, 0, offsets[1] ?? 0, shstr.bytes.length, 0, 0, 1)
  sh(3, so[1] ?? 0, SHT_STRTAB, 0, offsets[2] ?? 0, str.bytes.length, 0, 0, 1)
  sh(4, so[2] ?? 0, SHT_SYMTAB, 0, offsets[3] ?? 0, sym.length, 3, 1, 8, 24)
  return out
}

function cstr(bytes: Uint8Array, at: number): string {
  let end = at
  while (end < bytes.length && bytes[end] !== 0) end++
  return new TextDecoder().decode(bytes.subarray(at, end))
}

/** Extracts every non-empty executable section of an ELF64 little-endian object, with its symbols. */
export function readExecSections(file: Uint8Array): ExecSection[] {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength)
  const shoff = Number(v.getBigUint64(40, true))
  const shnum = v.getUint16(60, true)
  const shstrndx = v.getUint16(62, true)
  const hdr = (i: number) => {
    const b = shoff + i * 64
    return {
      name: v.getUint32(b, true),
      type: v.getUint32(b + 4, true),
      flags: Number(v.getBigUint64(b + 8, true)),
      offset: Number(v.getBigUint64(b + 24, true)),
      size: Number(v.getBigUint64(b + 32, true)),
      link: v.getUint32(b + 40, true)
    }
  }
  const names = hdr(shstrndx)
  const out = new Map<number, ExecSection>()
  for (let i = 0; i < shnum; i++) {
    const h = hdr(i)
    if (h.type !== SHT_PROGBITS || (h.flags & SHF_EXECINSTR) === 0 || h.size === 0) continue
    out.set(i, {
      name: cstr(file, names.offset + h.name),
      bytes: file.slice(h.offset, h.offset + h.size),
      symbols: []
    })
  }
  for (let i = 0; i < shnum; i++) {
    const h = hdr(i)
    if (h.type !== SHT_SYMTAB) continue
    const strs = hdr(h.link)
    for (let o = h.offset; o + 24 <= h.offset + h.size; o += 24) {
      const info = v.getUint8(o + 4)
      const shndx = v.getUint16(o + 6, true)
      const sec = out.get(shndx)
      const type = info & 0xf
      if (sec === undefined || (type !== 0 && type !== 2)) continue
      const name = cstr(file, strs.offset + v.getUint32(o, true))
      if (name === '') continue
      sec.symbols.push({ name, offset: Number(v.getBigUint64(o + 8, true)) })
    }
  }
  for (const s of out.values()) s.symbols.sort((a, b) => a.offset - b.offset)
  return [...out.values()]
}
