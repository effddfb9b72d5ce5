/** @fileoverview Public API of the formats layer: ELF BPF objects, BTF, K2 triples, conformance data, detection. */

/** ELF structure: `parseElf(bytes, {file})` → sections, symbols, relocation tables. */
export { parseElf, sectionBytes } from './elf-read'
export type { ParseElfOptions } from './elf-read'
export { EM_BPF, R_BPF, SHF, SHN, SHT, STB, STT } from './elf-types'
export type { ElfFile, ElfRelocation, ElfRelocationTable, ElfSection, ElfSymbol } from './elf-types'

/** BPF model: `readBpfObject(bytes, {file})` → programs, maps, relocation targets, global data. */
export { isGlobalDataSection, readBpfObject } from './bpf-object-read'
export type { ReadBpfObjectOptions } from './bpf-object-read'
export type {
  BpfMap,
  BpfObject,
  BpfProgram,
  GlobalDataSection,
  LegacyMapIds,
  MapSlot,
  ProgramRelocation,
  RelocationTarget
} from './bpf-object'
export { guessProgramType, programTypeByName, PROGRAM_TYPES } from './prog-type'
export type { ProgramTypeGuess } from './prog-type'

/** BTF: types and strings of `.BTF`; `.BTF.ext` structure. */
export { BTF_KIND, parseBtf, skipModifiers, typeSize } from './btf'
export type { Btf, BtfMember, BtfType } from './btf'
export { coreRecordSlots, parseBtfExt, readCoreRecords } from './btf-ext'
export type { BtfExt, BtfExtBlock, BtfExtKind, BtfExtSubsection } from './btf-ext'
export { linkLegacyMaps, readBtfMaps, readLegacyMaps } from './maps-read'

/** Writing: replace a section's / program's code (shorter or longer), fixing the whole object. */
export { removeProgramSlots, replaceProgramCode, replaceSectionCode } from './elf-write'
export type { EditOptions, RemovedSlots, SectionCodeEdit } from './elf-write'
export { assembleElf } from './elf-layout'

/** Slot maps and jump fixing for removing instructions. */
export { landingPositions, remapJumps, slotMapFromKeepMask, validateSlotMap } from './slot-map'
export type { RemapJumpsOptions, RemappedCode } from './slot-map'

/** K2 triples (`.insns`, `.maps`, `.desc`). */
export {
  k2InnerMap,
  k2MapFdsToIndices,
  parseK2Desc,
  parseK2Insns,
  parseK2Maps,
  parseK2Program,
  writeK2Desc,
  writeK2Insns,
  writeK2Maps
} from './k2'
export type { K2Desc, K2Map, K2Program } from './k2'

/** bpf_conformance `.data` files. */
export { parseConformanceData } from './conformance-data'
export type { ConformanceAsmLine, ConformanceSection, ConformanceTest } from './conformance-data'

/** Input format detection. */
export { detectInput, k2CompanionNames, looksLikeText } from './detect'
export type { DetectedInput, InputKind } from './detect'

/** Text helpers (no platform TextDecoder needed). */
export { decodeUtf8, encodeUtf8 } from './bytes'

/** Linking an entry program with its subprograms into one loader-style instruction array. */
export { PSEUDO_CALL, PSEUDO_FUNC, PSEUDO_MAP_FD, PSEUDO_MAP_VALUE, linkProgram } from './link'
export type { LinkedExtern, LinkedFunction, LinkedProgram } from './link'

/** Writing a program optimized in its linked form back into its object (all functions, all relocations). */
export { layoutOfLink, writeLinkedProgram } from './export-linked'
export type { LinkedEdit, LinkedLayout, PlacedFunction, WriteLinkedOptions } from './export-linked'
export { rewriteCodeSections } from './code-rewrite'
export type { CodeRelocation, CodeRewrite, RewriteOptions } from './code-rewrite'

/** CO-RE: resolving `.BTF.ext` core records against a target kernel's BTF, as libbpf does. */
export { CORE_KIND, coreTarget, essentialName, patchCoreInsn, resolveCoreRecord } from './core-relo'
export type { CoreRecord, CoreResolution, CoreTarget } from './core-relo'
export { applyCoreRelocations, coreRecordsOfLink } from './core-apply'
export type { AppliedCore } from './core-apply'
