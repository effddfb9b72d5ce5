/**
 * @fileoverview llvm-objdump listing lines carry both bytes and text, and LLVM's text drops
 * some fields (a call's kind, a 32-bit fetch-add's fetch bit, a pseudo ld_imm64's second
 * immediate, the ld_ind immediate). When a listing line's text is exactly what its bytes
 * disassemble to, the bytes are the faithful source; when the text was edited, the text wins.
 */
import type { Insn } from './insn'
import { decodeLenient } from './decode'
import { llvmText } from './disasm-llvm'
import { canonicalLlvm, stripTargetNote } from './asm-llvm'

/** True when slots `a` and `b` are bit-identical. */
function sameSlots(a: readonly Insn[], b: readonly Insn[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => {
      const y = b[i]
      return (
        y !== undefined &&
        x.code === y.code &&
        x.dst === y.dst &&
        x.src === y.src &&
        x.off === y.off &&
        x.imm === y.imm
      )
    })
  )
}

/**
 * The slots to use for a listing line whose text encodes to `fromText`: the listed bytes when
 * they differ from `fromText` only because the text cannot show some field (their own
 * disassembly is the line's text), otherwise `fromText`.
 */
export function preferListedSlots(body: string, fromText: Insn[], listed: Insn[]): Insn[] {
  if (sameSlots(fromText, listed)) return fromText
  const decoded = decodeLenient(listed)
  const only = decoded[0]
  if (decoded.length !== 1 || only === undefined || only.spec === undefined) return fromText
  const printed = canonicalLlvm(llvmText(only))
  return printed === canonicalLlvm(stripTargetNote(body)) ? listed : fromText
}
