/** @fileoverview Writes an optimized program in its input's own format (ELF object, K2 .insns, assembly, raw). */
import type { Insn } from '../../core/isa/insn'
import { disasmSlots } from '../../core/isa/disasm'
import { replaceProgramCode, writeK2Insns } from '../../core/formats'
import type { Candidate } from '../../core/search/candidate'
import { SlotKind } from '../../core/search/candidate'
import { InputError } from './input-error'
import type { LoadedInput, LoadedProgram } from './load'

const sameSlot = (a: Insn, b: Insn): boolean =>
  a.code === b.code && a.dst === b.dst && a.src === b.src && a.off === b.off && a.imm === b.imm

/** Default output path: `name.summit.ext` beside the input. */
export function defaultOutPath(file: string): string {
  const m = /^(.*?)(\.[^./]*)?$/.exec(file)
  return `${m?.[1] ?? file}.summit${m?.[2] ?? ''}`
}

/**
 * The bytes to write for `best` (a fixed-capacity candidate over `linked`, the program the search
 * ran on). ELF: the program's code replaced in place, relocations, symbols and BTF.ext moved,
 * debug info cleared; unchanged slots keep their original (relocated) encoding.
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
  const prog = obj?.programs.find((p) => p.name === program.name && p.section === program.section)
  if (obj === undefined || prog === undefined)
    throw new InputError({
      code: 'OPTIMIZE_NO_OBJECT',
      message: 'program not found in the object',
      file: input.file
    })
  if (linked.length !== prog.slotCount)
    throw new InputError({
      code: 'OPTIMIZE_SUBPROGRAMS',
      message: 'writing programs with bpf-to-bpf calls into an object is not supported yet',
      file: input.file,
      section: program.section
    })
  const newIndexOf = new Int32Array(prog.slotCount).fill(-1)
  const code: Insn[] = []
  const compact = best.compact()
  let k = 0
  for (let i = 0; i < best.length; i++) {
    if (best.kind[i] === SlotKind.nop) continue
    newIndexOf[i] = k
    const now = compact[k]!
    const relocated = prog.relocations.some((r) => r.slot === i || r.slot === i - 1)
    if (sameSlot(now, linked[i]!)) code.push({ ...prog.slots[i]! })
    else if (relocated)
      throw new InputError({
        code: 'OPTIMIZE_RELOCATED_EDIT',
        message: 'the search changed a relocated instruction; cannot write it into the object',
        file: input.file,
        section: program.section,
        index: i
      })
    else code.push({ ...now })
    k++
  }
  const r = replaceProgramCode(obj, prog, code, newIndexOf, { debugInfo: 'clear' })
  if (!r.ok) throw new InputError({ ...r.error, file: input.file, section: program.section })
  return r.value
}
