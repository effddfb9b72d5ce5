/** @fileoverview ELF64 constants and the raw (format-level) model of a relocatable BPF object. */

/** ELF machine number of BPF. */
export const EM_BPF = 247
/** ELF machine number "none": some old clangs wrote it into BPF objects. */
export const EM_NONE = 0
/** Size of the ELF64 file header. */
export const ELF64_EHDR_SIZE = 64
/** Size of one ELF64 section header. */
export const ELF64_SHDR_SIZE = 64
/** Size of one ELF64 symbol. */
export const ELF64_SYM_SIZE = 24
/** Size of one ELF64 REL entry. */
export const ELF64_REL_SIZE = 16
/** Size of one ELF64 RELA entry. */
export const ELF64_RELA_SIZE = 24

/** Section types used here. */
export const SHT = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  NOBITS: 8,
  REL: 9
} as const

/** Section flags used here. */
export const SHF = { WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4 } as const

/** Symbol types (low nibble of st_info). */
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const

/** Symbol bindings (high nibble of st_info). */
export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const

/** Special section indices. */
export const SHN = { UNDEF: 0, ABS: 0xfff1, COMMON: 0xfff2, XINDEX: 0xffff } as const

/** BPF relocation types. */
export const R_BPF = {
  NONE: 0,
  R_64_64: 1,
  R_64_ABS64: 2,
  R_64_ABS32: 3,
  R_64_NODYLD32: 4,
  R_64_32: 10
} as const

/**
 * True for the relocation types loaders accept on a ld_imm64 (map, global data, function
 * address): R_BPF_64_64, and type 0, which old clangs wrote there (iproute2 and libbpf look only
 * at the instruction and the symbol).
 */
export function isLdImm64Relocation(type: number): boolean {
  return type === R_BPF.R_64_64 || type === R_BPF.NONE
}

/** One section header, with its name resolved and 64-bit fields as safe integers. */
export interface ElfSection {
  /** Index in the section header table. */
  readonly index: number
  /** Name from the section-name string table ('' when unnamed). */
  readonly name: string
  /** sh_name (offset of the name in .shstrtab). */
  readonly nameOffset: number
  /** sh_type. */
  readonly type: number
  /** sh_flags (low 32 bits; BPF objects use no higher flags). */
  readonly flags: number
  /** sh_offset: file offset of the contents. */
  readonly offset: number
  /** sh_size in bytes (for NOBITS: memory size, no file bytes). */
  readonly size: number
  /** sh_link. */
  readonly link: number
  /** sh_info. */
  readonly info: number
  /** sh_addralign. */
  readonly addralign: number
  /** sh_entsize. */
  readonly entsize: number
}

/** One symbol of .symtab. */
export interface ElfSymbol {
  /** Index in the symbol table. */
  readonly index: number
  /** Name from the symbol string table. */
  readonly name: string
  /** STT_* type. */
  readonly type: number
  /** STB_* binding. */
  readonly bind: number
  /** st_other (visibility). */
  readonly other: number
  /** st_shndx: section index, or a special SHN_* value. */
  readonly shndx: number
  /** st_value (for relocatable objects: offset within the section). */
  readonly value: number
  /** st_size in bytes. */
  readonly size: number
}

/** One relocation entry. */
export interface ElfRelocation {
  /** Byte offset of the patched location within the target section. */
  readonly offset: number
  /** Symbol index into .symtab. */
  readonly symbol: number
  /** R_BPF_* type. */
  readonly type: number
  /** Explicit addend (RELA only; 0 for REL). */
  readonly addend: number
}

/** A relocation section and the section it applies to. */
export interface ElfRelocationTable {
  /** Index of the SHT_REL/SHT_RELA section itself. */
  readonly sectionIndex: number
  /** Index of the section the relocations patch (sh_info). */
  readonly targetIndex: number
  /** True for SHT_RELA (explicit addends). */
  readonly withAddend: boolean
  /** The entries, in file order. */
  readonly entries: readonly ElfRelocation[]
}

/** A parsed ELF64 little-endian relocatable file (format level, not yet BPF-specific). */
export interface ElfFile {
  /** The original bytes (not copied). */
  readonly bytes: Uint8Array
  /** e_type (1 = relocatable). */
  readonly type: number
  /** e_machine. */
  readonly machine: number
  /** e_shoff: file offset of the section header table. */
  readonly shoff: number
  /** e_shstrndx. */
  readonly shstrndx: number
  /** All section headers, index 0 included. */
  readonly sections: readonly ElfSection[]
  /** All symbols of the (single) symbol table, index 0 included; empty when there is none. */
  readonly symbols: readonly ElfSymbol[]
  /** Index of .symtab (0 when absent). */
  readonly symtabIndex: number
  /** Relocation tables, in section order. */
  readonly relocations: readonly ElfRelocationTable[]
}
