/** @fileoverview Links one entry program with its subprograms into a flat, loader-style instruction array. */

import type { Insn } from '../isa/insn'
import type { Diagnostic, Result } from '../util/result'
import { fail, ok } from '../util/result'
import type { BpfObject, BpfProgram } from './bpf-object'

/** ld_imm64 `src` value for a map reference (imm = index into `BpfObject.maps`). */
export const PSEUDO_MAP_FD = 1
/** ld_imm64 `src` value for a global-data address (imm = index into `globalData`, next imm = offset). */
export const PSEUDO_MAP_VALUE = 2
/** ld_imm64 `src` value for a function address (imm = target - (slot + 1)). */
export const PSEUDO_FUNC = 4
/** call `src` value for a bpf-to-bpf call (imm = target - (slot + 1)). */
export const PSEUDO_CALL = 1

/** One function placed in a linked program. */
export interface LinkedFunction {
  /** Function name. */
  readonly name: string
  /** Its section. */
  readonly section: string
  /** First slot in the linked program. */
  readonly firstSlot: number
  /** Number of slots. */
  readonly slotCount: number
  /** The function in the object model. */
  readonly program: BpfProgram
}

/** An unresolved external symbol (`__kconfig`, `__ksym`) referenced by a slot. */
export interface LinkedExtern {
  /** Slot in the linked program. */
  readonly slot: number
  /** Symbol name. */
  readonly name: string
}

/** An entry program with its subprograms appended, as the kernel would receive it. */
export interface LinkedProgram {
  /** The entry function's name. */
  readonly name: string
  /** The entry function's section. */
  readonly section: string
  /** All slots: the entry function first (slots 0..entry.slotCount-1), then called subprograms. */
  readonly slots: readonly Insn[]
  /** Functions in placement order; [0] is the entry. */
  readonly functions: readonly LinkedFunction[]
  /** External symbols left for the loader. */
  readonly externs: readonly LinkedExtern[]
}

/**
 * Links `entry` like libbpf: every subprogram reached by a call (relocated or pc-relative) or a
 * function-pointer load is appended once, calls and pointers are made relative to their new
 * places, map loads become `src = PSEUDO_MAP_FD, imm = map index` and global-data loads
 * `src = PSEUDO_MAP_VALUE, imm = globalData index` with the offset in the second slot's imm.
 */
export function linkProgram(obj: BpfObject, entry: BpfProgram): Result<LinkedProgram> {
  const slots: Insn[] = []
  const functions: LinkedFunction[] = []
  const externs: LinkedExtern[] = []
  const placed = new Map<BpfProgram, number>()
  const bad = (code: string, message: string, index: number): { ok: false; error: Diagnostic } =>
    fail({ code, message, section: entry.section, index, ...(obj.file ? { file: obj.file } : {}) })
  const place = (p: BpfProgram): number => {
    const at = placed.get(p)
    if (at !== undefined) return at
    const start = slots.length
    placed.set(p, start)
    functions.push({
      name: p.name,
      section: p.section,
      firstSlot: start,
      slotCount: p.slotCount,
      program: p
    })
    for (const s of p.slots) slots.push({ ...s })
    return start
  }
  const functionAt = (sectionIndex: number, slot: number): BpfProgram | undefined =>
    obj.programs.find((p) => p.sectionIndex === sectionIndex && p.firstSlot === slot)
  place(entry)
  for (let f = 0; f < functions.length; f++) {
    const fn = functions[f]!
    const relocs = new Map(fn.program.relocations.map((r) => [r.slot, r]))
    for (let i = 0; i < fn.slotCount; i++) {
      const at = fn.firstSlot + i
      const ins = slots[at]!
      const r = relocs.get(i)
      if (r === undefined) {
        if (ins.code !== 0x85 || ins.src !== PSEUDO_CALL) continue
        const callee = functionAt(fn.program.sectionIndex, fn.program.firstSlot + i + ins.imm + 1)
        if (callee === undefined)
          return bad('LINK_BAD_CALL', `call does not reach a function start`, at)
        slots[at] = { ...ins, imm: place(callee) - at - 1 }
        continue
      }
      const t = r.target
      switch (t.kind) {
        case 'map':
          slots[at] = { ...ins, src: PSEUDO_MAP_FD, imm: t.mapIndex }
          break
        case 'data': {
          const data = obj.globalData.findIndex((g) => g.sectionIndex === t.sectionIndex)
          const hi = slots[at + 1]
          if (data < 0 || hi === undefined)
            return bad(
              'LINK_UNSUPPORTED_RELOCATION',
              `ld_imm64 of section ${t.section} is not global data`,
              at
            )
          slots[at] = { ...ins, src: PSEUDO_MAP_VALUE, imm: data }
          slots[at + 1] = { ...hi, imm: t.offset }
          break
        }
        case 'call':
        case 'function': {
          const callee = functionAt(t.sectionIndex, t.slot)
          if (callee === undefined)
            return bad('LINK_BAD_CALL', `target ${t.section}+${t.slot} is not a function start`, at)
          const rel = place(callee) - at - 1
          slots[at] =
            t.kind === 'call' ? { ...ins, imm: rel } : { ...ins, src: PSEUDO_FUNC, imm: rel }
          break
        }
        case 'extern':
          externs.push({ slot: at, name: t.name })
          break
        case 'other':
          return bad('LINK_UNSUPPORTED_RELOCATION', t.reason, at)
      }
    }
  }
  return ok({ name: entry.name, section: entry.section, slots, functions, externs })
}
