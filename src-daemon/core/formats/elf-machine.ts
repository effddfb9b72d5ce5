/**
 * @fileoverview Decides whether an ELF object whose machine field is 0 (EM_NONE, as some old
 * clangs wrote for BPF) holds BPF: its code must decode as valid BPF instructions and its code
 * relocations must be BPF's, on the instructions BPF relocates.
 */

import { INSN_SIZE, readInsn, slotsFromBytes } from '../isa/insn'
import { lookupSpec } from '../isa/lookup'
import { validateInsn } from '../isa/validate'
import type { ElfFile, ElfSection } from './elf-types'
import { isLdImm64Relocation, R_BPF, SHF, SHT } from './elf-types'

/** Contents of a section (elf-read's sectionBytes, which imports this module). */
function contents(elf: ElfFile, s: ElfSection): Uint8Array {
  return elf.bytes.subarray(s.offset, s.offset + s.size)
}

/** ELF type of relocatable objects. */
const ET_REL = 1

/** Why an object is not BPF: a message and, where known, the section and slot. */
export interface NotBpf {
  readonly message: string
  readonly section?: string
  readonly index?: number
}

/**
 * Why `elf` does not hold BPF code, or undefined when it does: a relocatable object with at
 * least one executable section, every executable section a whole number of valid BPF
 * instructions, and every relocation into code an R_BPF_64_64 (or the type 0 old clangs wrote) on
 * a ld_imm64 or an R_BPF_64_32 on a call.
 */
export function notBpfContent(elf: ElfFile): NotBpf | undefined {
  if (elf.type !== ET_REL) return { message: `ELF type ${elf.type} is not a relocatable object` }
  const code = elf.sections.filter(
    (s) => (s.flags & SHF.EXECINSTR) !== 0 && s.type === SHT.PROGBITS && s.size > 0
  )
  if (code.length === 0) return { message: 'there is no executable section' }
  for (const s of code) {
    if (s.size % INSN_SIZE !== 0)
      return { message: `size ${s.size} is not a multiple of 8`, section: s.name }
    const slots = slotsFromBytes(contents(elf, s))
    for (let i = 0; i < slots.length; i++) {
      const problem = validateInsn(slots, i)
      if (problem !== undefined)
        return { message: `not a BPF instruction (${problem.message})`, section: s.name, index: i }
      if (lookupSpec(slots[i]!)?.kind === 'lddw') i++
    }
  }
  for (const t of elf.relocations) {
    const target = elf.sections[t.targetIndex]!
    if (!code.includes(target)) continue
    const bytes = contents(elf, target)
    for (const e of t.entries) {
      const slot = e.offset / INSN_SIZE
      const ins = Number.isInteger(slot) ? readInsn(bytes, slot) : undefined
      const fits =
        (isLdImm64Relocation(e.type) && ins?.code === 0x18) ||
        (e.type === R_BPF.R_64_32 && ins?.code === 0x85)
      if (!fits)
        return {
          message: `relocation type ${e.type} at byte ${e.offset} is not a BPF relocation of its instruction`,
          section: target.name,
          ...(Number.isInteger(slot) ? { index: slot } : {})
        }
    }
  }
  return undefined
}
