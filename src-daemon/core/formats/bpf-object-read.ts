/** @fileoverview Builds the BPF model (programs, maps, relocation targets, global data) from a parsed ELF. */

import type { Insn } from '../isa/insn'
import { INSN_SIZE, slotsFromBytes } from '../isa/insn'
import type { Diagnostic, Result } from '../util/result'
import { fail, ok } from '../util/result'
import { LeReader, readCString } from './bytes'
import type {
  BpfMap,
  BpfObject,
  BpfProgram,
  GlobalDataSection,
  ProgramRelocation,
  RelocationTarget
} from './bpf-object'
import type { Btf } from './btf'
import { parseBtf } from './btf'
import { parseElf, sectionBytes } from './elf-read'
import type { ElfFile, ElfRelocation, ElfSection } from './elf-types'
import { isLdImm64Relocation, R_BPF, SHF, SHN, SHT, STB, STT } from './elf-types'
import { linkLegacyMaps, readBtfMaps, readLegacyMaps } from './maps-read'
import { guessProgramType } from './prog-type'

/** Largest global data section accepted (BPF map values are far smaller). */
const MAX_GLOBAL_DATA = 1 << 28

/** Options for {@link readBpfObject}. */
export interface ReadBpfObjectOptions {
  /** File name put into diagnostics and the model. */
  readonly file?: string
}

/** True for a section name that libbpf treats as global data (an internal array map). */
export function isGlobalDataSection(name: string): boolean {
  return /^\.(data|rodata|bss)(\.|$)/.test(name)
}

/** Reads a BPF ELF object into programs, maps and relocation targets. Never throws on bad input. */
export function readBpfObject(
  bytes: Uint8Array,
  options: ReadBpfObjectOptions = {}
): Result<BpfObject> {
  const file = options.file
  const parsed = parseElf(bytes, options)
  if (!parsed.ok) return parsed
  const elf = parsed.value
  const byName = (n: string): ElfSection | undefined => elf.sections.find((s) => s.name === n)

  const btfSec = byName('.BTF')
  const btfExtSec = byName('.BTF.ext')
  const btf = btfSec ? sectionBytes(elf, btfSec) : undefined
  const btfParsed = btf ? parseBtf(btf) : undefined
  let btfTypes: Btf | undefined
  if (btfParsed !== undefined) {
    if (btfParsed.ok) btfTypes = btfParsed.value
    else if (byName('.maps')) return fail({ ...btfParsed.error, ...(file ? { file } : {}) })
  }

  const maps: BpfMap[] = []
  const mapsSec = byName('.maps')
  if (mapsSec) {
    if (!btfTypes)
      return fail(
        withFile(
          { code: 'MAP_NO_BTF', message: '.maps section without .BTF', section: '.maps' },
          file
        )
      )
    const m = readBtfMaps(elf, btfTypes, mapsSec, file)
    if (!m.ok) return m
    maps.push(...m.value)
  }
  const legacySec = byName('maps')
  if (legacySec) {
    const m = readLegacyMaps(elf, legacySec, file)
    if (!m.ok) return m
    maps.push(...m.value)
  }

  const globalData: GlobalDataSection[] = []
  for (const s of elf.sections) {
    if (!isGlobalDataSection(s.name) || (s.flags & SHF.EXECINSTR) !== 0) continue
    if (s.type !== SHT.PROGBITS && s.type !== SHT.NOBITS) continue
    if (s.size > MAX_GLOBAL_DATA)
      return fail(
        withFile(
          {
            code: 'ELF_SECTION_OUT_OF_RANGE',
            message: `size ${s.size} is too large`,
            section: s.name
          },
          file
        )
      )
    const data = s.type === SHT.NOBITS ? new Uint8Array(s.size) : sectionBytes(elf, s).slice()
    globalData.push({
      name: s.name,
      sectionIndex: s.index,
      size: s.size,
      bytes: data,
      readonly: s.name.startsWith('.rodata')
    })
  }

  const programs: BpfProgram[] = []
  for (const s of elf.sections) {
    if ((s.flags & SHF.EXECINSTR) === 0 || s.type !== SHT.PROGBITS) continue
    const p = readSectionPrograms(elf, s, maps, file)
    if (!p.ok) return p
    programs.push(...p.value)
  }
  programs.sort((a, b) => Number(a.isSubprogram) - Number(b.isSubprogram))
  const linked = linkLegacyMaps(maps, programs, file)
  if (!linked.ok) return linked

  const licSec = byName('license')
  const license = licSec
    ? readCString(bytes, licSec.offset, licSec.offset + licSec.size)
    : undefined
  const verSec = byName('version')
  const kernelVersion =
    verSec && verSec.size >= 4 ? new LeReader(sectionBytes(elf, verSec)).u32(0) : undefined

  const obj: { -readonly [K in keyof BpfObject]: BpfObject[K] } = {
    elf,
    sections: elf.sections,
    symbols: elf.symbols,
    programs,
    maps: linked.value,
    globalData
  }
  if (file !== undefined) obj.file = file
  if (license !== undefined) obj.license = license
  if (kernelVersion !== undefined) obj.kernelVersion = kernelVersion
  if (btf) obj.btf = btf
  if (btfTypes) obj.btfTypes = btfTypes
  if (btfExtSec) obj.btfExt = sectionBytes(elf, btfExtSec)
  return ok(obj)
}

function withFile(d: Diagnostic, file: string | undefined): Diagnostic {
  return file === undefined ? d : { ...d, file }
}

/** Splits one executable section into its functions and resolves their relocations. */
function readSectionPrograms(
  elf: ElfFile,
  sec: ElfSection,
  maps: readonly BpfMap[],
  file: string | undefined
): Result<BpfProgram[]> {
  const where = (message: string, code = 'ELF_BAD_PROGRAM', index?: number): Result<never> =>
    fail({
      code,
      message,
      section: sec.name,
      ...(file ? { file } : {}),
      ...(index !== undefined ? { index } : {})
    })
  if (sec.size % INSN_SIZE !== 0) return where(`size ${sec.size} is not a multiple of 8`)
  const slots = slotsFromBytes(sectionBytes(elf, sec))
  const total = slots.length
  const funcs = elf.symbols
    .filter((s) => s.shndx === sec.index && s.type === STT.FUNC)
    .sort((a, b) => a.value - b.value)
  const isText = sec.name === '.text'
  const progType = guessProgramType(sec.name)
  const ranges: { name: string; first: number; count: number; global: boolean }[] = []
  if (funcs.length === 0) {
    if (total > 0) ranges.push({ name: sec.name, first: 0, count: total, global: true })
  } else {
    for (let i = 0; i < funcs.length; i++) {
      const f = funcs[i]!
      const next = funcs[i + 1]
      if (f.value % INSN_SIZE !== 0 || f.size % INSN_SIZE !== 0 || f.value + f.size > sec.size)
        return where(
          `function ${f.name} [${f.value}, +${f.size}) is misaligned or outside the section`,
          'ELF_BAD_SYMBOL'
        )
      const end = f.size > 0 ? f.value + f.size : (next?.value ?? sec.size)
      if (next !== undefined && end > next.value)
        return where(`function ${f.name} overlaps ${next.name}`, 'ELF_BAD_SYMBOL')
      ranges.push({
        name: f.name,
        first: f.value / INSN_SIZE,
        count: (end - f.value) / INSN_SIZE,
        global: f.bind === STB.GLOBAL || f.bind === STB.WEAK
      })
    }
  }
  const table = elf.relocations.find((t) => t.targetIndex === sec.index)
  const relocs: ProgramRelocation[] = []
  for (const e of table?.entries ?? []) {
    if (e.offset % INSN_SIZE !== 0)
      return where(`relocation at byte ${e.offset} is not on an instruction`, 'ELF_BAD_RELOCATION')
    const slot = e.offset / INSN_SIZE
    const resolved = resolveTarget(elf, e, slots, slot, maps)
    const sym = elf.symbols[e.symbol]
    const symName =
      sym?.type === STT.SECTION ? (elf.sections[sym.shndx]?.name ?? '') : (sym?.name ?? '')
    relocs.push({
      slot,
      sectionSlot: slot,
      type: e.type,
      symbol: symName,
      symbolIndex: e.symbol,
      target: resolved
    })
  }
  const out: BpfProgram[] = []
  for (const r of ranges) {
    const mine = relocs
      .filter((x) => x.sectionSlot >= r.first && x.sectionSlot < r.first + r.count)
      .map((x) => ({ ...x, slot: x.sectionSlot - r.first }))
      .sort((a, b) => a.slot - b.slot)
    out.push({
      name: r.name,
      section: sec.name,
      sectionIndex: sec.index,
      firstSlot: r.first,
      slotCount: r.count,
      slots: slots.slice(r.first, r.first + r.count),
      relocations: mine,
      isSubprogram: isText,
      global: r.global,
      progType
    })
  }
  return ok(out)
}

/** Decides what a relocation on slot `slot` means (map, global data, subprogram call, extern). */
function resolveTarget(
  elf: ElfFile,
  e: ElfRelocation,
  slots: readonly Insn[],
  slot: number,
  maps: readonly BpfMap[]
): RelocationTarget {
  const sym = elf.symbols[e.symbol]
  const ins = slots[slot]
  if (sym === undefined || ins === undefined)
    return { kind: 'other', reason: 'no symbol or instruction' }
  if (sym.shndx === SHN.UNDEF) return { kind: 'extern', name: sym.name }
  const target = elf.sections[sym.shndx]
  if (target === undefined)
    return { kind: 'other', reason: `symbol in special section ${sym.shndx}` }
  const isCall = ins.code === 0x85 && ins.src === 1
  if (e.type === R_BPF.R_64_32 && isCall) {
    const slotIn = sym.value / INSN_SIZE + ins.imm + 1
    const fn = elf.symbols.find(
      (s) => s.shndx === sym.shndx && s.type === STT.FUNC && s.value === slotIn * INSN_SIZE
    )
    return {
      kind: 'call',
      section: target.name,
      sectionIndex: target.index,
      slot: slotIn,
      ...(fn ? { function: fn.name } : {})
    }
  }
  if (!isLdImm64Relocation(e.type) || ins.code !== 0x18)
    return {
      kind: 'other',
      reason: `relocation type ${e.type} on opcode 0x${ins.code.toString(16)}`
    }
  const at = sym.value + ins.imm + e.addend
  const mapIdx = maps.findIndex((m) => m.sectionIndex === sym.shndx && m.offset === at)
  if (mapIdx >= 0) return { kind: 'map', mapIndex: mapIdx, name: maps[mapIdx]!.name }
  if ((target.flags & SHF.EXECINSTR) !== 0 && at % INSN_SIZE === 0) {
    const fn = elf.symbols.find(
      (s) => s.shndx === sym.shndx && s.type === STT.FUNC && s.value === at
    )
    return {
      kind: 'function',
      section: target.name,
      sectionIndex: target.index,
      slot: at / INSN_SIZE,
      ...(fn ? { function: fn.name } : {})
    }
  }
  if (target.name === '.maps' || target.name === 'maps')
    return { kind: 'other', reason: `no map at offset ${at} of ${target.name}` }
  if (isGlobalDataSection(target.name) || (target.flags & SHF.ALLOC) !== 0)
    return { kind: 'data', section: target.name, sectionIndex: target.index, offset: at }
  return { kind: 'other', reason: `ld_imm64 refers to section ${target.name}` }
}
