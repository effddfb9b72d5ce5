/** @fileoverview Writes a BPF object with one executable section's code replaced (possibly shorter). */

import type { Insn } from '../isa/insn'
import { INSN_SIZE, bytesFromSlots, readInsn, writeInsn } from '../isa/insn'
import type { Diagnostic, Result } from '../util/result'
import { fail, ok } from '../util/result'
import { setU64 } from './bytes'
import type { BpfObject, BpfProgram } from './bpf-object'
import { mapThroughSpans, parseBtfExt, rebuildBtfExt } from './btf-ext'
import type { BtfExtKind } from './btf-ext'
import { parseBtf } from './btf'
import { assembleElf } from './elf-layout'
import { sectionBytes } from './elf-read'
import type { ElfFile, ElfSection } from './elf-types'
import { ELF64_REL_SIZE, ELF64_RELA_SIZE, ELF64_SYM_SIZE, R_BPF, SHF, SHT } from './elf-types'
import { landingPositions, remapJumps, validateSlotMap } from './slot-map'

/** A replacement of one executable section's instructions. */
export interface SectionCodeEdit {
  /** Section name or index. */
  readonly section: string | number
  /** The new instruction slots of the whole section. */
  readonly slots: readonly Insn[]
  /**
   * For each old slot of the section, its new slot index, or -1 when it was removed. Kept slots
   * must stay in order. Relocated instructions must be kept (or see `dropRelocationsOnRemoved`).
   */
  readonly newIndexOf: Int32Array
  /** Drop relocations and CO-RE records of removed instructions instead of failing. */
  readonly dropRelocationsOnRemoved?: boolean
  /** line_info of a removed instruction: move it to the next kept one (default) or drop it. */
  readonly lineInfoOnRemoved?: 'moveToNext' | 'drop'
  /**
   * DWARF (`.debug_*`) addresses are not rewritten: `keep` (default) leaves them stale, `clear`
   * empties every `.debug_*` section and its relocations (BTF line info still carries sources).
   */
  readonly debugInfo?: 'keep' | 'clear'
}

/** The policy options of an edit (everything but the code itself). */
export type EditOptions = Pick<
  SectionCodeEdit,
  'dropRelocationsOnRemoved' | 'lineInfoOnRemoved' | 'debugInfo'
>

type Fail = { readonly ok: false; readonly error: Diagnostic }
const err = (code: string, message: string, section?: string, index?: number): Fail =>
  fail({
    code,
    message,
    ...(section !== undefined ? { section } : {}),
    ...(index !== undefined ? { index } : {})
  })

/**
 * Rewrites an ELF object with one executable section's code replaced. Fixes: the section size
 * and every later section's file offset; relocation offsets into the section; the immediates of
 * relocated calls and ld_imm64 function pointers that target the section (from any section);
 * symbol values/sizes in the section; `.BTF.ext` func_info, line_info and CO-RE records (and the
 * `.rel.BTF.ext` entries pointing at them). Relocation-owned immediates (map/data/call addends)
 * are taken from the original instructions. Jump offsets inside the new code are the caller's
 * (see `remapJumps`). `.BTF` is unchanged; DWARF (`.debug_*`) keeps stale addresses unless `debugInfo: 'clear'`.
 */
export function replaceSectionCode(elf: ElfFile, edit: SectionCodeEdit): Result<Uint8Array> {
  const sec = elf.sections.find((s) =>
    typeof edit.section === 'number' ? s.index === edit.section : s.name === edit.section
  )
  if (sec === undefined) return err('ELF_NO_SUCH_SECTION', `no section ${String(edit.section)}`)
  const name = sec.name
  if (!isCodeSection(sec) || sec.type !== SHT.PROGBITS)
    return err('ELF_NOT_CODE', 'section is not an executable PROGBITS section', name)
  if (sec.size % INSN_SIZE !== 0)
    return err('ELF_BAD_PROGRAM', 'section size is not a multiple of 8', name)
  const oldCount = sec.size / INSN_SIZE
  const newCount = edit.slots.length
  if (edit.newIndexOf.length !== oldCount)
    return err(
      'FORMAT_BAD_SLOT_MAP',
      `slot map has ${edit.newIndexOf.length} entries, section has ${oldCount}`,
      name
    )
  const valid = validateSlotMap(edit.newIndexOf, newCount)
  if (!valid.ok) return fail({ ...valid.error, section: name })
  const map = edit.newIndexOf
  const pos = landingPositions(map, newCount)
  const oldCode = sectionBytes(elf, sec)
  const replaced = new Map<number, Uint8Array>()
  const code = bytesFromSlots(edit.slots)
  replaced.set(sec.index, code)
  const contentOf = (s: ElfSection): Uint8Array => {
    let c = replaced.get(s.index)
    if (c === undefined) {
      c = sectionBytes(elf, s).slice()
      replaced.set(s.index, c)
    }
    return c
  }
  const symInSec = (i: number): boolean => elf.symbols[i]?.shndx === sec.index
  const newSymValue = (i: number): number => {
    const v = elf.symbols[i]!.value
    return symInSec(i) && v % INSN_SIZE === 0 && v <= sec.size ? pos[v / INSN_SIZE]! * INSN_SIZE : v
  }

  // 1. Relocations: move those applying to the edited section; fix those targeting it.
  for (const table of elf.relocations) {
    const relSec = elf.sections[table.sectionIndex]!
    const target = elf.sections[table.targetIndex]!
    const entSize = table.withAddend ? ELF64_RELA_SIZE : ELF64_REL_SIZE
    const isEdited = target.index === sec.index
    const targetsCode = table.entries.some((e) => symInSec(e.symbol))
    if (!isEdited && !targetsCode) continue
    const oldRel = sectionBytes(elf, relSec)
    const kept: Uint8Array[] = []
    for (let k = 0; k < table.entries.length; k++) {
      const e = table.entries[k]!
      const entry = oldRel.slice(k * entSize, (k + 1) * entSize)
      const ev = new DataView(entry.buffer)
      let slotOld = -1
      let slotNew = -1
      if (isEdited) {
        if (e.offset % INSN_SIZE !== 0)
          return err(
            'ELF_BAD_RELOCATION',
            `relocation at byte ${e.offset} is not on an instruction`,
            name
          )
        slotOld = e.offset / INSN_SIZE
        slotNew = map[slotOld]!
        if (slotNew < 0) {
          if (edit.dropRelocationsOnRemoved) continue
          return err(
            'ELF_RELOCATION_ON_REMOVED_INSN',
            `instruction ${slotOld} carries a relocation but was removed`,
            name,
            slotOld
          )
        }
        setU64(ev, 0, slotNew * INSN_SIZE)
      }
      kept.push(entry)
      if (!isCodeSection(target)) continue
      const bytes = isEdited ? code : contentOf(target)
      const at = isEdited ? slotNew : e.offset / INSN_SIZE
      if (!Number.isInteger(at) || (at + 1) * INSN_SIZE > bytes.length) continue
      const oldIns = readInsn(
        isEdited ? oldCode : sectionBytes(elf, target),
        isEdited ? slotOld : at
      )
      const fixed = fixRelocatedInsn(e.type, e.symbol, oldIns, bytes, at)
      if (!fixed.ok) return fail({ ...fixed.error, section: target.name, index: at })
    }
    const merged = new Uint8Array(kept.length * entSize)
    kept.forEach((b, i) => merged.set(b, i * entSize))
    replaced.set(relSec.index, merged)
  }

  /** New slot where code reaching old slot `t` now runs (the next kept slot), or -1 if none. */
  function landingSlot(t: number): number {
    if (!Number.isInteger(t) || t < 0 || t >= oldCount) return -1
    const p = pos[t]!
    return p < newCount ? p : -1
  }

  /** Re-applies a relocated instruction's addend-carrying immediate at its new place. */
  function fixRelocatedInsn(
    type: number,
    sym: number,
    oldIns: Insn,
    bytes: Uint8Array,
    at: number
  ): Result<void> {
    const now = readInsn(bytes, at)
    if (type === R_BPF.R_64_32 && oldIns.code === 0x85 && oldIns.src === 1) {
      if (now.code !== 0x85 || now.src !== 1)
        return err('ELF_BAD_RELOCATION', 'call relocation no longer on a call')
      let imm = oldIns.imm
      if (symInSec(sym)) {
        const oldTarget = elf.symbols[sym]!.value / INSN_SIZE + oldIns.imm + 1
        const landing = landingSlot(oldTarget)
        if (landing < 0)
          return err('ELF_CALL_TARGET_REMOVED', `call target slot ${oldTarget} has no code left`)
        imm = landing - newSymValue(sym) / INSN_SIZE - 1
      }
      writeInsn(bytes, at, { ...now, imm })
    } else if (type === R_BPF.R_64_64 && oldIns.code === 0x18) {
      if (now.code !== 0x18)
        return err('ELF_BAD_RELOCATION', 'ld_imm64 relocation no longer on ld_imm64')
      let imm = oldIns.imm
      if (symInSec(sym)) {
        const oldByte = elf.symbols[sym]!.value + oldIns.imm
        const landing = landingSlot(oldByte / INSN_SIZE)
        if (landing < 0)
          return err(
            'ELF_CALL_TARGET_REMOVED',
            `function pointer target ${oldByte} has no code left`
          )
        imm = landing * INSN_SIZE - newSymValue(sym)
      }
      writeInsn(bytes, at, { ...now, imm })
    }
    return ok(undefined)
  }

  // 2. Symbols defined in the edited section.
  if (elf.symtabIndex !== 0) {
    const symtab = elf.sections[elf.symtabIndex]!
    const bytes = contentOf(symtab)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    for (const s of elf.symbols) {
      if (s.shndx !== sec.index || s.value % INSN_SIZE !== 0 || s.value > sec.size) continue
      const start = pos[s.value / INSN_SIZE]!
      setU64(view, s.index * ELF64_SYM_SIZE + 8, start * INSN_SIZE)
      const endByte = s.value + s.size
      if (s.size > 0 && endByte % INSN_SIZE === 0 && endByte <= sec.size)
        setU64(view, s.index * ELF64_SYM_SIZE + 16, (pos[endByte / INSN_SIZE]! - start) * INSN_SIZE)
    }
  }

  // 3. .BTF.ext records of the edited section, and relocations pointing into .BTF.ext.
  const ext = fixBtfExt(elf, sec, edit, pos, replaced)
  if (!ext.ok) return ext
  if (edit.debugInfo === 'clear') {
    const empty = new Uint8Array(0)
    for (const s of elf.sections) if (s.name.startsWith('.debug_')) replaced.set(s.index, empty)
    for (const t of elf.relocations)
      if (elf.sections[t.targetIndex]!.name.startsWith('.debug_'))
        replaced.set(t.sectionIndex, empty)
  }
  return assembleElf(elf, replaced)
}

function isCodeSection(s: ElfSection): boolean {
  return (s.flags & SHF.EXECINSTR) !== 0
}

function fixBtfExt(
  elf: ElfFile,
  sec: ElfSection,
  edit: SectionCodeEdit,
  pos: Int32Array,
  replaced: Map<number, Uint8Array>
): Result<void> {
  const extSec = elf.sections.find((s) => s.name === '.BTF.ext')
  const btfSec = elf.sections.find((s) => s.name === '.BTF')
  if (extSec === undefined || btfSec === undefined) return ok(undefined)
  const extBytes = sectionBytes(elf, extSec)
  const ext = parseBtfExt(extBytes)
  const btf = parseBtf(sectionBytes(elf, btfSec))
  if (!ext.ok || !btf.ok)
    return err('BTF_EXT_BAD', 'cannot update unparsable .BTF/.BTF.ext', '.BTF.ext')
  const edited = new Set<number>()
  for (const sub of ext.value.subsections)
    for (const b of sub.blocks)
      if (btf.value.stringAt(b.secNameOff) === sec.name) edited.add(b.secNameOff)
  if (edited.size === 0) return ok(undefined)
  const map = edit.newIndexOf
  const newEnd = pos[map.length]!
  const remap = (kind: BtfExtKind, offs: readonly number[]): Result<Int32Array> => {
    const out = new Int32Array(offs.length)
    for (let i = 0; i < offs.length; i++) {
      const off = offs[i]!
      const slot = off / INSN_SIZE
      if (!Number.isInteger(slot) || slot >= map.length)
        return err(
          'BTF_EXT_BAD',
          `${kind} record at insn byte ${off} is outside ${sec.name}`,
          '.BTF.ext'
        )
      const kept = map[slot]!
      if (kept >= 0) out[i] = kept * INSN_SIZE
      else if (kind === 'core') {
        if (!edit.dropRelocationsOnRemoved)
          return err(
            'ELF_RELOCATION_ON_REMOVED_INSN',
            `instruction ${slot} has a CO-RE relocation but was removed`,
            sec.name,
            slot
          )
        out[i] = -1
      } else if (kind === 'line' && edit.lineInfoOnRemoved === 'drop') out[i] = -1
      else out[i] = pos[slot]! < newEnd ? pos[slot]! * INSN_SIZE : -1
    }
    // Records must stay strictly increasing: of records landing on one insn keep the last (its own).
    let next = Number.POSITIVE_INFINITY
    for (let i = out.length - 1; i >= 0; i--) {
      if (out[i]! < 0) continue
      if (out[i]! >= next) out[i] = -1
      else next = out[i]!
    }
    return ok(out)
  }
  const rebuilt = rebuildBtfExt(extBytes, ext.value, edited, remap)
  if (!rebuilt.ok) return rebuilt
  replaced.set(extSec.index, rebuilt.value.bytes)
  for (const table of elf.relocations) {
    if (table.targetIndex !== extSec.index) continue
    const relSec = elf.sections[table.sectionIndex]!
    const entSize = table.withAddend ? ELF64_RELA_SIZE : ELF64_REL_SIZE
    const old = sectionBytes(elf, relSec)
    const kept: Uint8Array[] = []
    table.entries.forEach((e, k) => {
      const moved = mapThroughSpans(rebuilt.value.spans, e.offset)
      if (moved < 0) return
      const entry = old.slice(k * entSize, (k + 1) * entSize)
      setU64(new DataView(entry.buffer), 0, moved)
      kept.push(entry)
    })
    const merged = new Uint8Array(kept.length * entSize)
    kept.forEach((b, i) => merged.set(b, i * entSize))
    replaced.set(relSec.index, merged)
  }
  return ok(undefined)
}

/**
 * Convenience: replaces one program's (function's) slots inside its section. `newIndexOf` is
 * program-relative (length = the program's old slot count, values index `slots`).
 */
export function replaceProgramCode(
  obj: BpfObject,
  program: BpfProgram,
  slots: readonly Insn[],
  newIndexOf: Int32Array,
  options: EditOptions = {}
): Result<Uint8Array> {
  const sec = obj.sections[program.sectionIndex]
  if (sec === undefined) return err('ELF_NO_SUCH_SECTION', `no section ${program.sectionIndex}`)
  if (newIndexOf.length !== program.slotCount)
    return err(
      'FORMAT_BAD_SLOT_MAP',
      `slot map has ${newIndexOf.length} entries, program has ${program.slotCount}`,
      sec.name
    )
  const all = readSectionSlots(obj, sec)
  const before = all.slice(0, program.firstSlot)
  const after = all.slice(program.firstSlot + program.slotCount)
  const full = new Int32Array(all.length)
  for (let i = 0; i < program.firstSlot; i++) full[i] = i
  for (let i = 0; i < program.slotCount; i++) {
    const v = newIndexOf[i]!
    full[program.firstSlot + i] = v < 0 ? -1 : v + program.firstSlot
  }
  for (let i = 0; i < after.length; i++)
    full[program.firstSlot + program.slotCount + i] = program.firstSlot + slots.length + i
  return replaceSectionCode(obj.elf, {
    section: sec.index,
    slots: [...before, ...slots, ...after],
    newIndexOf: full,
    ...options
  })
}

function readSectionSlots(obj: BpfObject, sec: ElfSection): Insn[] {
  const bytes = sectionBytes(obj.elf, sec)
  const out: Insn[] = []
  for (let i = 0; i < bytes.length / INSN_SIZE; i++) out.push(readInsn(bytes, i))
  return out
}

/** Result of {@link removeProgramSlots}: the new object and the program's new code. */
export interface RemovedSlots {
  /** The rewritten object file. */
  readonly bytes: Uint8Array
  /** The program's new slots (jumps fixed). */
  readonly slots: readonly Insn[]
  /** Program-relative old→new slot map (-1 = removed). */
  readonly newIndexOf: Int32Array
}

/**
 * Removes the slots of `program` whose `keepMask` entry is 0: fixes jumps and pc-relative calls
 * (leaving relocated calls to the writer), then rewrites the object.
 */
export function removeProgramSlots(
  obj: BpfObject,
  program: BpfProgram,
  keepMask: ArrayLike<number | boolean>,
  options: EditOptions = {}
): Result<RemovedSlots> {
  const relocatedSlots = new Set(program.relocations.map((r) => r.slot))
  const code = remapJumps(program.slots, keepMask, { relocatedSlots })
  if (!code.ok) return fail({ ...code.error, section: program.section })
  const out = replaceProgramCode(obj, program, code.value.slots, code.value.newIndexOf, options)
  if (!out.ok) return out
  return ok({ bytes: out.value, slots: code.value.slots, newIndexOf: code.value.newIndexOf })
}
