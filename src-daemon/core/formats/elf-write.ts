/** @fileoverview Writes a BPF object with one executable section's code replaced (possibly shorter). */

import type { Insn } from '../isa/insn'
import { INSN_SIZE, readInsn } from '../isa/insn'
import type { Result } from '../util/result'
import { fail, ok } from '../util/result'
import type { BpfObject, BpfProgram } from './bpf-object'
import type { CodeRelocation } from './code-rewrite'
import { isCodeSection, moveRelocation, rewriteCodeSections, rewriteError } from './code-rewrite'
import { sectionBytes } from './elf-read'
import type { ElfFile, ElfSection } from './elf-types'
import { SHT } from './elf-types'
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
  if (sec === undefined)
    return rewriteError('ELF_NO_SUCH_SECTION', `no section ${String(edit.section)}`)
  const name = sec.name
  if (!isCodeSection(sec) || sec.type !== SHT.PROGBITS)
    return rewriteError('ELF_NOT_CODE', 'section is not an executable PROGBITS section', name)
  if (sec.size % INSN_SIZE !== 0)
    return rewriteError('ELF_BAD_PROGRAM', 'section size is not a multiple of 8', name)
  const oldCount = sec.size / INSN_SIZE
  if (edit.newIndexOf.length !== oldCount)
    return rewriteError(
      'FORMAT_BAD_SLOT_MAP',
      `slot map has ${edit.newIndexOf.length} entries, section has ${oldCount}`,
      name
    )
  const valid = validateSlotMap(edit.newIndexOf, edit.slots.length)
  if (!valid.ok) return fail({ ...valid.error, section: name })
  const relocations = movedRelocations(elf, sec, edit)
  if (!relocations.ok) return relocations
  return rewriteCodeSections(
    elf,
    [
      {
        sectionIndex: sec.index,
        slots: edit.slots,
        newIndexOf: edit.newIndexOf,
        relocations: relocations.value
      }
    ],
    {
      dropCoreOnRemoved: edit.dropRelocationsOnRemoved === true,
      ...(edit.lineInfoOnRemoved !== undefined
        ? { lineInfoOnRemoved: edit.lineInfoOnRemoved }
        : {}),
      ...(edit.debugInfo !== undefined ? { debugInfo: edit.debugInfo } : {})
    }
  )
}

/** The relocations of `sec` moved to their instructions' new slots (see {@link moveRelocation}). */
function movedRelocations(
  elf: ElfFile,
  sec: ElfSection,
  edit: SectionCodeEdit
): Result<CodeRelocation[]> {
  const table = elf.relocations.find((t) => t.targetIndex === sec.index)
  const out: CodeRelocation[] = []
  if (table === undefined) return ok(out)
  const map = edit.newIndexOf
  const pos = landingPositions(map, edit.slots.length)
  const oldCode = sectionBytes(elf, sec)
  const landingIn = (sectionIndex: number, t: number): number | undefined => {
    if (sectionIndex !== sec.index) return undefined
    const p = Number.isInteger(t) && t >= 0 && t < map.length ? pos[t]! : -1
    return p < edit.slots.length ? p : -1
  }
  for (const e of table.entries) {
    if (e.offset % INSN_SIZE !== 0)
      return rewriteError(
        'ELF_BAD_RELOCATION',
        `relocation at byte ${e.offset} is not on an instruction`,
        sec.name
      )
    const slotOld = e.offset / INSN_SIZE
    const slotNew = map[slotOld]!
    if (slotNew < 0) {
      if (edit.dropRelocationsOnRemoved) continue
      return rewriteError(
        'ELF_RELOCATION_ON_REMOVED_INSN',
        `instruction ${slotOld} carries a relocation but was removed`,
        sec.name,
        slotOld
      )
    }
    const r = moveRelocation(
      elf,
      e,
      readInsn(oldCode, slotOld),
      edit.slots[slotNew]!,
      slotNew,
      landingIn
    )
    if (!r.ok) return fail({ ...r.error, section: sec.name, index: slotNew })
    out.push(r.value)
  }
  return ok(out)
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
  if (sec === undefined)
    return rewriteError('ELF_NO_SUCH_SECTION', `no section ${program.sectionIndex}`)
  if (newIndexOf.length !== program.slotCount)
    return rewriteError(
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
