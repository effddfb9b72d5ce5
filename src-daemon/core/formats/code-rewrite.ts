/**
 * @fileoverview Rewrites the code of several executable sections of an ELF object at once: their
 * relocation tables are rebuilt from the caller's list, and calls into them from other sections,
 * symbols, `.BTF.ext` records and (optionally) DWARF follow the new layout.
 */

import type { Insn } from '../isa/insn'
import { INSN_SIZE, bytesFromSlots, readInsn, writeInsn } from '../isa/insn'
import type { Diagnostic, Result } from '../util/result'
import { fail, ok } from '../util/result'
import { setU64 } from './bytes'
import { mapThroughSpans, parseBtfExt, rebuildBtfExt } from './btf-ext'
import type { BtfExtKind } from './btf-ext'
import { parseBtf } from './btf'
import { assembleElf } from './elf-layout'
import { sectionBytes } from './elf-read'
import type { ElfFile, ElfRelocation, ElfRelocationTable, ElfSection } from './elf-types'
import { ELF64_REL_SIZE, ELF64_RELA_SIZE, ELF64_SYM_SIZE, R_BPF, SHF, SHT } from './elf-types'
import { landingPositions, validateSlotMap } from './slot-map'

/** One relocation carried by an instruction of rewritten code. */
export interface CodeRelocation {
  /** New slot, within its section, of the instruction the relocation applies to. */
  readonly slot: number
  /** R_BPF_* type. */
  readonly type: number
  /** Symbol index in `.symtab`. */
  readonly symbol: number
  /** Addend (written only into SHT_RELA tables; clang's BPF objects use SHT_REL). */
  readonly addend?: number
  /** Immediate to store in the instruction (its REL addend), when the relocation owns it. */
  readonly imm?: number
  /**
   * For a call (R_BPF_64_32) or a function pointer (R_BPF_64_64 on ld_imm64): the target's new
   * slot in the symbol's section. The writer derives the immediate from the symbol's new value.
   */
  readonly codeTarget?: number
}

/** The new code of one executable section. */
export interface CodeRewrite {
  /** ELF section index. */
  readonly sectionIndex: number
  /** The new slots of the whole section (jump offsets already final). */
  readonly slots: readonly Insn[]
  /** For each old slot its new slot, or -1 when removed; kept slots keep their order. */
  readonly newIndexOf: Int32Array
  /** Every relocation of the new code (the section's old relocation table is replaced). */
  readonly relocations: readonly CodeRelocation[]
}

/** What to do with records of removed instructions and with DWARF. */
export interface RewriteOptions {
  /** line_info of a removed instruction: move it to the next kept one (default) or drop it. */
  readonly lineInfoOnRemoved?: 'moveToNext' | 'drop'
  /** CO-RE records of removed instructions: dropped when true, an error otherwise. */
  readonly dropCoreOnRemoved?: boolean
  /**
   * DWARF (`.debug_*`) addresses are not rewritten: `keep` (default) leaves them stale, `clear`
   * empties every `.debug_*` section and its relocations (BTF line info still carries sources).
   */
  readonly debugInfo?: 'keep' | 'clear'
}

type Fail = { readonly ok: false; readonly error: Diagnostic }

/** A failed Result with a diagnostic naming the section and slot. */
export function rewriteError(
  code: string,
  message: string,
  section?: string,
  index?: number
): Fail {
  return fail({
    code,
    message,
    ...(section !== undefined ? { section } : {}),
    ...(index !== undefined ? { index } : {})
  })
}

/** True for an executable section. */
export function isCodeSection(s: ElfSection): boolean {
  return (s.flags & SHF.EXECINSTR) !== 0
}

/**
 * Where code reaching old slot `oldSlot` of section `sectionIndex` now runs: a new slot, -1 when
 * no code is left there, or undefined when that section is not rewritten (nothing moved).
 */
export type LandingIn = (sectionIndex: number, oldSlot: number) => number | undefined

/**
 * One relocation entry of an instruction that moved to `slotNew` (now `now`, same kind as
 * `old`): calls and function pointers into rewritten code are re-aimed at where their old
 * target lands; every other relocation keeps the original instruction's immediate (its addend).
 */
export function moveRelocation(
  elf: ElfFile,
  entry: ElfRelocation,
  old: Insn,
  now: Insn,
  slotNew: number,
  landingIn: LandingIn
): Result<CodeRelocation> {
  const base = { slot: slotNew, type: entry.type, symbol: entry.symbol, addend: entry.addend }
  const sym = elf.symbols[entry.symbol]
  const isCall = entry.type === R_BPF.R_64_32 && old.code === 0x85 && old.src === 1
  const isPointer = entry.type === R_BPF.R_64_64 && old.code === 0x18
  if (isCall && (now.code !== 0x85 || now.src !== 1))
    return rewriteError('ELF_BAD_RELOCATION', 'call relocation no longer on a call')
  if (isPointer && now.code !== 0x18)
    return rewriteError('ELF_BAD_RELOCATION', 'ld_imm64 relocation no longer on ld_imm64')
  if (!isCall && !isPointer) return ok(base)
  const oldSlot =
    sym === undefined
      ? NaN
      : isCall
        ? sym.value / INSN_SIZE + old.imm + 1
        : (sym.value + old.imm) / INSN_SIZE
  const t = sym === undefined ? undefined : landingIn(sym.shndx, oldSlot)
  if (t === undefined) return ok({ ...base, imm: old.imm })
  if (t < 0)
    return rewriteError(
      'ELF_CALL_TARGET_REMOVED',
      isCall
        ? `call target slot ${oldSlot} has no code left`
        : `function pointer target ${(sym?.value ?? 0) + old.imm} has no code left`
    )
  return ok({ ...base, codeTarget: t })
}

/** An edited section with its landing positions (old slot → where code reaching it now runs). */
interface Edit {
  readonly sec: ElfSection
  readonly rewrite: CodeRewrite
  readonly pos: Int32Array
  readonly code: Uint8Array
}

/**
 * Writes `elf` with the code of every section in `rewrites` replaced. Relocation tables of those
 * sections are rebuilt from `relocations` (immediates written as asked); relocated calls and
 * function pointers in other code sections that target a rewritten section are re-aimed at
 * where their old target now lands; symbols in rewritten sections move; `.BTF.ext` func, line
 * and CO-RE records (and `.rel.BTF.ext`) follow. `.BTF` is unchanged.
 */
export function rewriteCodeSections(
  elf: ElfFile,
  rewrites: readonly CodeRewrite[],
  options: RewriteOptions = {}
): Result<Uint8Array> {
  const edits = new Map<number, Edit>()
  for (const rw of rewrites) {
    const e = prepareEdit(elf, rw)
    if (!e.ok) return e
    if (edits.has(rw.sectionIndex))
      return rewriteError('FORMAT_BAD_EDIT', 'section rewritten twice', e.value.sec.name)
    edits.set(rw.sectionIndex, e.value)
  }
  const replaced = new Map<number, Uint8Array>()
  for (const e of edits.values()) replaced.set(e.sec.index, e.code)
  const contentOf = (s: ElfSection): Uint8Array => {
    let c = replaced.get(s.index)
    if (c === undefined) {
      c = sectionBytes(elf, s).slice()
      replaced.set(s.index, c)
    }
    return c
  }
  const editOfSymbol = (i: number): Edit | undefined => {
    const s = elf.symbols[i]
    return s === undefined ? undefined : edits.get(s.shndx)
  }
  const newSymValue = (i: number): number => {
    const s = elf.symbols[i]!
    const e = edits.get(s.shndx)
    if (e === undefined || s.value % INSN_SIZE !== 0 || s.value > e.sec.size) return s.value
    return e.pos[s.value / INSN_SIZE]! * INSN_SIZE
  }

  // 1. Relocation tables: rebuilt for rewritten sections, re-aimed where they target one.
  const tableOf = new Map<number, ElfRelocationTable>()
  for (const t of elf.relocations) tableOf.set(t.targetIndex, t)
  for (const e of edits.values()) {
    const table = tableOf.get(e.sec.index)
    if (table === undefined) {
      if (e.rewrite.relocations.length === 0) continue
      return rewriteError(
        'ELF_NO_RELOCATION_TABLE',
        'the new code needs relocations but the section has no relocation table',
        e.sec.name
      )
    }
    const built = buildTable(elf, e, table, newSymValue)
    if (!built.ok) return built
    replaced.set(table.sectionIndex, built.value)
  }
  for (const table of elf.relocations) {
    const target = elf.sections[table.targetIndex]!
    if (edits.has(target.index) || !isCodeSection(target)) continue
    if (!table.entries.some((x) => editOfSymbol(x.symbol) !== undefined)) continue
    const old = sectionBytes(elf, target)
    const bytes = contentOf(target)
    for (const x of table.entries) {
      const e = editOfSymbol(x.symbol)
      if (e === undefined || x.offset % INSN_SIZE !== 0) continue
      const at = x.offset / INSN_SIZE
      const r = reaimInsn(elf, e, x.type, x.symbol, readInsn(old, at), newSymValue)
      if (!r.ok) return fail({ ...r.error, section: target.name, index: at })
      if (r.value !== undefined) writeInsn(bytes, at, r.value)
    }
  }

  // 2. Symbols defined in rewritten sections.
  if (elf.symtabIndex !== 0) {
    const bytes = contentOf(elf.sections[elf.symtabIndex]!)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    for (const s of elf.symbols) {
      const e = edits.get(s.shndx)
      if (e === undefined || s.value % INSN_SIZE !== 0 || s.value > e.sec.size) continue
      const start = e.pos[s.value / INSN_SIZE]!
      setU64(view, s.index * ELF64_SYM_SIZE + 8, start * INSN_SIZE)
      const endByte = s.value + s.size
      if (s.size > 0 && endByte % INSN_SIZE === 0 && endByte <= e.sec.size)
        setU64(
          view,
          s.index * ELF64_SYM_SIZE + 16,
          (e.pos[endByte / INSN_SIZE]! - start) * INSN_SIZE
        )
    }
  }

  // 3. .BTF.ext records of rewritten sections, and relocations pointing into .BTF.ext.
  const ext = fixBtfExt(elf, edits, options, replaced)
  if (!ext.ok) return ext
  if (options.debugInfo === 'clear') {
    const empty = new Uint8Array(0)
    for (const s of elf.sections) if (s.name.startsWith('.debug_')) replaced.set(s.index, empty)
    for (const t of elf.relocations)
      if (elf.sections[t.targetIndex]!.name.startsWith('.debug_'))
        replaced.set(t.sectionIndex, empty)
  }
  return assembleElf(elf, replaced)
}

/** Checks one rewrite and computes its landing positions. */
function prepareEdit(elf: ElfFile, rw: CodeRewrite): Result<Edit> {
  const sec = elf.sections[rw.sectionIndex]
  if (sec === undefined || rw.sectionIndex === 0)
    return rewriteError('ELF_NO_SUCH_SECTION', `no section ${rw.sectionIndex}`)
  if (!isCodeSection(sec) || sec.type !== SHT.PROGBITS)
    return rewriteError('ELF_NOT_CODE', 'section is not an executable PROGBITS section', sec.name)
  if (sec.size % INSN_SIZE !== 0)
    return rewriteError('ELF_BAD_PROGRAM', 'section size is not a multiple of 8', sec.name)
  const oldCount = sec.size / INSN_SIZE
  if (rw.newIndexOf.length !== oldCount)
    return rewriteError(
      'FORMAT_BAD_SLOT_MAP',
      `slot map has ${rw.newIndexOf.length} entries, section has ${oldCount}`,
      sec.name
    )
  const valid = validateSlotMap(rw.newIndexOf, rw.slots.length)
  if (!valid.ok) return fail({ ...valid.error, section: sec.name })
  return ok({
    sec,
    rewrite: rw,
    pos: landingPositions(rw.newIndexOf, rw.slots.length),
    code: bytesFromSlots(rw.slots)
  })
}

/** New slot where code reaching old slot `t` of an edited section runs, or -1 if none is left. */
function landing(e: Edit, t: number): number {
  if (!Number.isInteger(t) || t < 0 || t >= e.rewrite.newIndexOf.length) return -1
  const p = e.pos[t]!
  return p < e.rewrite.slots.length ? p : -1
}

/** Serialises a rewritten section's relocations, writing the immediates they own into its code. */
function buildTable(
  elf: ElfFile,
  e: Edit,
  table: ElfRelocationTable,
  newSymValue: (i: number) => number
): Result<Uint8Array> {
  const entSize = table.withAddend ? ELF64_RELA_SIZE : ELF64_REL_SIZE
  const relocs = [...e.rewrite.relocations].sort((a, b) => a.slot - b.slot)
  const out = new Uint8Array(relocs.length * entSize)
  const view = new DataView(out.buffer)
  const n = e.rewrite.slots.length
  for (let k = 0; k < relocs.length; k++) {
    const r = relocs[k]!
    const where = (msg: string): Fail => rewriteError('ELF_BAD_RELOCATION', msg, e.sec.name, r.slot)
    if (!Number.isInteger(r.slot) || r.slot < 0 || r.slot >= n)
      return where(`relocation on slot ${r.slot}, outside the new code`)
    if (r.symbol <= 0 || r.symbol >= elf.symbols.length)
      return where(`relocation names missing symbol ${r.symbol}`)
    const ins = readInsn(e.code, r.slot)
    let imm = r.imm
    if (r.codeTarget !== undefined) {
      const symValue = newSymValue(r.symbol)
      if (r.type === R_BPF.R_64_32 && ins.code === 0x85)
        imm = r.codeTarget - symValue / INSN_SIZE - 1
      else if (r.type === R_BPF.R_64_64 && ins.code === 0x18)
        imm = r.codeTarget * INSN_SIZE - symValue
      else return where('a code-target relocation must be on a call or ld_imm64')
    }
    if (imm !== undefined) writeInsn(e.code, r.slot, { ...ins, imm })
    setU64(view, k * entSize, r.slot * INSN_SIZE)
    view.setUint32(k * entSize + 8, r.type, true)
    view.setUint32(k * entSize + 12, r.symbol, true)
    if (table.withAddend) view.setBigInt64(k * entSize + 16, BigInt(r.addend ?? 0), true)
  }
  return ok(out)
}

/**
 * The new form of a relocated call or function pointer in an unedited section whose symbol lies
 * in edited section `e` (undefined when nothing changes).
 */
function reaimInsn(
  elf: ElfFile,
  e: Edit,
  type: number,
  sym: number,
  ins: Insn,
  newSymValue: (i: number) => number
): Result<Insn | undefined> {
  const value = elf.symbols[sym]!.value
  if (type === R_BPF.R_64_32 && ins.code === 0x85 && ins.src === 1) {
    const oldTarget = value / INSN_SIZE + ins.imm + 1
    const t = landing(e, oldTarget)
    if (t < 0)
      return rewriteError(
        'ELF_CALL_TARGET_REMOVED',
        `call target slot ${oldTarget} has no code left`
      )
    return ok({ ...ins, imm: t - newSymValue(sym) / INSN_SIZE - 1 })
  }
  if (type === R_BPF.R_64_64 && ins.code === 0x18) {
    const oldByte = value + ins.imm
    const t = landing(e, oldByte / INSN_SIZE)
    if (t < 0)
      return rewriteError(
        'ELF_CALL_TARGET_REMOVED',
        `function pointer target ${oldByte} has no code left`
      )
    return ok({ ...ins, imm: t * INSN_SIZE - newSymValue(sym) })
  }
  return ok(undefined)
}

/** Moves `.BTF.ext` records of every rewritten section through its slot map. */
function fixBtfExt(
  elf: ElfFile,
  edits: ReadonlyMap<number, Edit>,
  options: RewriteOptions,
  replaced: Map<number, Uint8Array>
): Result<void> {
  const extSec = elf.sections.find((s) => s.name === '.BTF.ext')
  const btfSec = elf.sections.find((s) => s.name === '.BTF')
  if (extSec === undefined || btfSec === undefined) return ok(undefined)
  const extBytes = sectionBytes(elf, extSec)
  const ext = parseBtfExt(extBytes)
  const btf = parseBtf(sectionBytes(elf, btfSec))
  if (!ext.ok || !btf.ok)
    return rewriteError('BTF_EXT_BAD', 'cannot update unparsable .BTF/.BTF.ext', '.BTF.ext')
  const byName = new Map<string, Edit>()
  for (const e of edits.values()) byName.set(e.sec.name, e)
  const editOf = new Map<number, Edit>()
  for (const sub of ext.value.subsections)
    for (const b of sub.blocks) {
      const e = byName.get(btf.value.stringAt(b.secNameOff) ?? '')
      if (e !== undefined) editOf.set(b.secNameOff, e)
    }
  if (editOf.size === 0) return ok(undefined)
  const remap = (kind: BtfExtKind, offs: readonly number[], nameOff: number): Result<Int32Array> =>
    remapRecords(editOf.get(nameOff)!, kind, offs, options)
  const rebuilt = rebuildBtfExt(extBytes, ext.value, new Set(editOf.keys()), remap)
  if (!rebuilt.ok) return rebuilt
  replaced.set(extSec.index, rebuilt.value.bytes)
  for (const table of elf.relocations) {
    if (table.targetIndex !== extSec.index) continue
    const relSec = elf.sections[table.sectionIndex]!
    const entSize = table.withAddend ? ELF64_RELA_SIZE : ELF64_REL_SIZE
    const old = sectionBytes(elf, relSec)
    const kept: Uint8Array[] = []
    table.entries.forEach((x, k) => {
      const moved = mapThroughSpans(rebuilt.value.spans, x.offset)
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

/** New instruction offsets of one block's records (-1 drops a record). */
function remapRecords(
  e: Edit,
  kind: BtfExtKind,
  offs: readonly number[],
  options: RewriteOptions
): Result<Int32Array> {
  const map = e.rewrite.newIndexOf
  const newEnd = e.rewrite.slots.length
  const out = new Int32Array(offs.length)
  for (let i = 0; i < offs.length; i++) {
    const off = offs[i]!
    const slot = off / INSN_SIZE
    if (!Number.isInteger(slot) || slot >= map.length)
      return rewriteError(
        'BTF_EXT_BAD',
        `${kind} record at insn byte ${off} is outside ${e.sec.name}`,
        '.BTF.ext'
      )
    const kept = map[slot]!
    if (kept >= 0) out[i] = kept * INSN_SIZE
    else if (kind === 'core') {
      if (options.dropCoreOnRemoved !== true)
        return rewriteError(
          'ELF_RELOCATION_ON_REMOVED_INSN',
          `instruction ${slot} has a CO-RE relocation but was removed`,
          e.sec.name,
          slot
        )
      out[i] = -1
    } else if (kind === 'line' && options.lineInfoOnRemoved === 'drop') out[i] = -1
    else out[i] = e.pos[slot]! < newEnd ? e.pos[slot]! * INSN_SIZE : -1
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
