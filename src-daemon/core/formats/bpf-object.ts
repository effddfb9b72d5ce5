/** @fileoverview The BPF-level model of an object file: programs, maps, relocations, global data. */

import type { Insn } from '../isa/insn'
import type { Btf } from './btf'
import type { ElfFile, ElfSection, ElfSymbol } from './elf-types'
import type { ProgramTypeGuess } from './prog-type'

/** A map definition read from `.maps` (BTF) or the legacy `maps` section. */
export interface BpfMap {
  /** Map name (the variable / symbol name). */
  readonly name: string
  /** BPF_MAP_TYPE_* value. */
  readonly type: number
  /** Key size in bytes. */
  readonly keySize: number
  /** Value size in bytes. */
  readonly valueSize: number
  /** max_entries. */
  readonly maxEntries: number
  /** map_flags. */
  readonly flags: number
  /** Inner map template for map-in-map types. */
  readonly inner?: BpfMap
  /**
   * Pinning, 0 for none. BTF maps: libbpf's `pinning` (1 = by name under the pin root). Legacy
   * maps: iproute2's (1 = the object's namespace, 2 = tc's global namespace, higher = a path from
   * its pinning database).
   */
  readonly pinning: number
  /** iproute2's `id`, `inner_id` and `inner_idx` (legacy `struct bpf_elf_map` entries only). */
  readonly ids?: LegacyMapIds
  /**
   * What the loader stores in this map-in-map or program array when it creates it: BTF `values`
   * initialisers, iproute2's inner_idx placements and numbered tail-call sections.
   */
  readonly initial?: readonly MapSlot[]
  /** Where the definition came from. */
  readonly source: 'btf' | 'legacy'
  /** Section holding the definition (for relocation matching). */
  readonly sectionIndex: number
  /** Byte offset of the definition within that section. */
  readonly offset: number
}

/** iproute2's map identities: a map's own id, its inner map's id, its index in outer maps. */
export interface LegacyMapIds {
  /** `id`: names the map for `inner_id` and for numbered sections `id/key` (0 = none). */
  readonly id: number
  /** `inner_id`: for a map-in-map, the id of the map that is its inner template (0 = none). */
  readonly innerId: number
  /** `inner_idx`: where this map goes in the map-in-maps whose inner_id is its id (-1 = nowhere). */
  readonly innerIndex: number
}

/** One entry a loader stores in a map-in-map (a map) or program array (a program) at creation. */
export interface MapSlot {
  /** Key (array index). */
  readonly index: number
  /** What is stored. */
  readonly kind: 'map' | 'program'
  /** The map's or program's name in this object. */
  readonly name: string
}

/** A section of global variables (libbpf turns each into an internal array map). */
export interface GlobalDataSection {
  /** Section name, e.g. `.data`, `.rodata`, `.bss`, `.rodata.str1.1`. */
  readonly name: string
  /** ELF section index. */
  readonly sectionIndex: number
  /** Size in bytes. */
  readonly size: number
  /** Initial contents (all zero for `.bss`). */
  readonly bytes: Uint8Array
  /** True for read-only data (`.rodata*`). */
  readonly readonly: boolean
}

/** What a relocated instruction refers to. */
export type RelocationTarget =
  | { readonly kind: 'map'; readonly mapIndex: number; readonly name: string }
  | {
      readonly kind: 'data'
      readonly section: string
      readonly sectionIndex: number
      /** Byte offset within the data section (symbol value + instruction addend). */
      readonly offset: number
    }
  | {
      readonly kind: 'call'
      readonly section: string
      readonly sectionIndex: number
      /** Target slot index within that section. */
      readonly slot: number
      /** Function symbol at the target, when there is one. */
      readonly function?: string
    }
  | {
      readonly kind: 'function'
      readonly section: string
      readonly sectionIndex: number
      /** Slot (within that section) whose address a ld_imm64 loads, e.g. a bpf_loop callback. */
      readonly slot: number
      /** Function symbol at the target, when there is one. */
      readonly function?: string
    }
  | { readonly kind: 'extern'; readonly name: string }
  | { readonly kind: 'other'; readonly reason: string }

/** A relocation mapped onto one instruction of a program. */
export interface ProgramRelocation {
  /** Slot index within the program (0 = its first slot). */
  readonly slot: number
  /** Slot index within the section. */
  readonly sectionSlot: number
  /** R_BPF_* type. */
  readonly type: number
  /** Symbol name ('' for unnamed). */
  readonly symbol: string
  /** Symbol index in .symtab. */
  readonly symbolIndex: number
  /** Resolved meaning. */
  readonly target: RelocationTarget
}

/** One function of an executable section: an entry program or a subprogram. */
export interface BpfProgram {
  /** Function name (the section name when the section has no function symbols). */
  readonly name: string
  /** Section name, e.g. `xdp`, `kprobe/do_sys_open`, `.text`. */
  readonly section: string
  /** ELF section index. */
  readonly sectionIndex: number
  /** First slot within the section. */
  readonly firstSlot: number
  /** Number of 8-byte slots. */
  readonly slotCount: number
  /** The instruction slots (ld_imm64 takes two). */
  readonly slots: readonly Insn[]
  /** Relocations on this function's instructions, in slot order. */
  readonly relocations: readonly ProgramRelocation[]
  /** True for functions in `.text` (callable subprograms, not loadable entry points). */
  readonly isSubprogram: boolean
  /** True for STB_GLOBAL/WEAK functions. */
  readonly global: boolean
  /** Program type guessed from the section name. */
  readonly progType: ProgramTypeGuess
}

/** A parsed BPF object file. */
export interface BpfObject {
  /** File name given to the reader, if any. */
  readonly file?: string
  /** The ELF structure (sections, symbols, raw relocations, original bytes). */
  readonly elf: ElfFile
  /** All sections (same as `elf.sections`). */
  readonly sections: readonly ElfSection[]
  /** All symbols (same as `elf.symbols`). */
  readonly symbols: readonly ElfSymbol[]
  /** Every function of every executable section, entry programs first in section order. */
  readonly programs: readonly BpfProgram[]
  /** Maps: BTF-defined (`.maps`) and legacy (`maps`), in definition order. */
  readonly maps: readonly BpfMap[]
  /** License string from the `license` section. */
  readonly license?: string
  /** Kernel version from the legacy `version` section. */
  readonly kernelVersion?: number
  /** Raw `.BTF` section. */
  readonly btf?: Uint8Array
  /** Parsed `.BTF`, when it parsed. */
  readonly btfTypes?: Btf
  /** Raw `.BTF.ext` section. */
  readonly btfExt?: Uint8Array
  /** Global data sections (.data*, .rodata*, .bss*). */
  readonly globalData: readonly GlobalDataSection[]
}
