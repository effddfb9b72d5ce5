/** @fileoverview Writes an optimized program in its input's own format (ELF object, K2 .insns, assembly, raw). */
import type { Insn } from '../../core/isa/insn'
import { disasmSlots } from '../../core/isa/disasm'
import {
  readBpfObject,
  writeK2Insns,
  writeLinkedProgram,
  type BpfObject,
  type LinkedLayout
} from '../../core/formats'
import { Candidate, SlotKind } from '../../core/search/candidate'
import type { LinkedProgram } from '../kernel/link-object'
import { linkedForKernel } from './program-model'
import { InputError } from './input-error'
import type { LoadedInput, LoadedProgram } from './load'

/** Default output path: `name.summit.ext` beside the input. */
export function defaultOutPath(file: string): string {
  const m = /^(.*?)(\.[^./]*)?$/.exec(file)
  return `${m?.[1] ?? file}.summit${m?.[2] ?? ''}`
}

/** How the kernel-oracle linker laid out a program: placed functions and what its map indices mean. */
export function layoutOf(obj: BpfObject, linked: LinkedProgram): LinkedLayout {
  const data: (number | undefined)[] = obj.maps.map(() => undefined)
  for (const name of linked.dataSections)
    data.push(obj.globalData.find((d) => d.name === name)?.sectionIndex)
  return { functions: linked.functions, maps: obj.maps.map((_, i) => i), data }
}

/** Slots with map-value references (src 2) naming their data section instead of a map index. */
function byDataName(slots: readonly Insn[], linked: LinkedProgram, mapCount: number): string[] {
  return slots.map((s) => {
    const name = s.code === 0x18 && s.src === 2 ? linked.dataSections[s.imm - mapCount] : undefined
    return JSON.stringify(name === undefined ? s : { ...s, imm: name })
  })
}

/**
 * Reads the written object back, links it as the search did and checks that it is the program
 * that was proven: `best` with any function it no longer calls restored to its original code.
 */
function checkReadBack(
  bytes: Uint8Array,
  input: LoadedInput,
  program: LoadedProgram,
  before: LinkedProgram,
  linked: readonly Insn[],
  best: Candidate
): void {
  const where = { file: input.file, section: program.section }
  const back = readBpfObject(bytes, { file: input.file })
  if (!back.ok)
    throw new InputError({
      ...back.error,
      code: 'EXPORT_READBACK',
      message: `the written object does not read back: ${back.error.message}`
    })
  const after = linkedForKernel(back.value, program.name, where)
  const expected = best.clone()
  const orig = Candidate.fromSlots(linked)
  for (const f of before.functions.slice(1)) {
    const a = f.firstSlot
    const b = a + f.program.slotCount
    let live = false
    for (let i = a; i < b; i++) if (best.kind[i] !== SlotKind.nop) live = true
    if (live) continue
    for (let i = a; i < b; i++)
      for (const k of ['code', 'dst', 'src', 'off', 'imm', 'kind', 'row'] as const)
        expected[k][i] = orig[k][i]!
  }
  const want = byDataName(expected.compact(), before, back.value.maps.length)
  const got = byDataName(after.slots, after.linked, back.value.maps.length)
  const at = want.findIndex((w, i) => w !== got[i])
  if (at >= 0 || want.length !== got.length)
    throw new InputError({
      code: 'EXPORT_READBACK',
      message: `the written object reads back as a different program (slot ${at < 0 ? Math.min(want.length, got.length) : at})`,
      ...where
    })
}

/**
 * The bytes to write for `best` (a fixed-capacity candidate over `linked`, the program the search
 * ran on). ELF: every function of the linked program written back into its own section, with
 * relocations, symbols and BTF.ext kept consistent and debug info cleared; the result is read
 * back and checked to be the proven program.
 */
export function outputBytes(
  input: LoadedInput,
  program: LoadedProgram,
  linked: readonly Insn[],
  best: Candidate
): Uint8Array {
  const slots = best.compact()
  if (input.kind === 'k2' || input.kind === 'raw') return writeK2Insns(slots)
  if (input.kind === 'asm' || input.kind === 'conformance') {
    const text = disasmSlots(slots, 'llvm')
    if (!text.ok) throw new InputError(text.error)
    return new TextEncoder().encode(text.value.map((l) => `\t${l.trim()}`).join('\n') + '\n')
  }
  const obj = input.object
  if (obj === undefined)
    throw new InputError({
      code: 'OPTIMIZE_NO_OBJECT',
      message: 'program not found in the object',
      file: input.file
    })
  const { linked: before, core } = linkedForKernel(obj, program.name, {
    file: input.file,
    section: program.section
  })
  const keep = Uint8Array.from(best.kind, (k) => (k === SlotKind.nop ? 0 : 1))
  const r = writeLinkedProgram(
    obj,
    layoutOf(obj, before),
    linked,
    { slots: best.toFixedSlots(), keep },
    { debugInfo: 'clear', ...(core !== undefined ? { core: core.applied } : {}) }
  )
  if (!r.ok) throw new InputError({ ...r.error, file: input.file })
  checkReadBack(r.value, input, program, before, linked, best)
  return r.value
}
