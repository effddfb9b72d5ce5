/** @fileoverview Decoding raw slots for the analysis, deferring per-instruction checks as the kernel does. */
import { decodeLenient, type Decoded, type Program } from '../isa/decode'
import type { Insn } from '../isa/insn'
import { OPS_BY_CODE, opByName } from '../isa/opcodes'
import { validateInsn } from '../isa/validate'
import type { Diagnostic } from '../util/result'

/** Opcode bytes our table knows but the kernel's instruction table does not (callx). */
const NOT_IN_KERNEL_TABLE: ReadonlySet<number> = new Set([0x8d])
/** Stand-in row for undecodable slots (never executed: reaching one rejects the program). */
const PLACEHOLDER = opByName('ja')

/**
 * Decodes raw slots (jump targets are checked by the CFG). Unknown opcode bytes, LDX fields and
 * ld_imm64 pairs fail at once; other per-instruction field
 * problems (reserved fields, registers, immediates) are kept and reported only if the
 * instruction is reached, as the kernel checks them while walking paths.
 */
export function decodeRaw(
  slots: readonly Insn[]
):
  | { ok: true; program: Program; problems: (Diagnostic | undefined)[] }
  | { ok: false; error: Diagnostic } {
  if (slots.length === 0)
    return { ok: false, error: { code: 'CFG_EMPTY', message: 'empty program', index: 0 } }
  const insns: Decoded[] = []
  const problems: (Diagnostic | undefined)[] = []
  for (const d of decodeLenient(slots)) {
    const p0 =
      d.spec === undefined || d.spec.kind === 'lddw' || (d.insn.code & 7) === 1
        ? validateInsn(slots, d.index)
        : undefined
    if (NOT_IN_KERNEL_TABLE.has(d.insn.code)) {
      const hex = d.insn.code.toString(16).padStart(2, '0')
      return {
        ok: false,
        error: { code: 'ISA_UNKNOWN_OPCODE', message: `unknown opcode ${hex}`, index: d.index }
      }
    }
    const wholeProgram =
      (OPS_BY_CODE[d.insn.code] ?? []).length === 0 ||
      (d.insn.code & 7) === 1 ||
      d.spec?.kind === 'lddw'
    if (p0 !== undefined && wholeProgram) {
      // The kernel checks opcode bytes, LDX fields and ld_imm64 pairs over the whole program.
      return { ok: false, error: { ...p0, index: p0.index ?? d.index } }
    }
    if (d.spec === undefined) {
      // Unknown encodings fail only when reached; for the CFG they stand in as a fall-through.
      const p = validateInsn(slots, d.index) ?? {
        code: 'ISA_UNKNOWN_OPCODE',
        message: 'unknown opcode',
        index: d.index
      }
      insns.push({
        index: d.index,
        spec: PLACEHOLDER,
        insn: { code: PLACEHOLDER.code, dst: 0, src: 0, off: 0, imm: 0 }
      })
      problems.push(p)
      continue
    }
    insns.push(d)
    // The kernel ignores `off` of exit (it checks only imm, src and dst).
    const exitOffOnly =
      d.spec.kind === 'exit' && d.insn.dst === 0 && d.insn.src === 0 && d.insn.imm === 0
    problems.push(exitOffOnly ? undefined : validateInsn(slots, d.index))
  }
  return { ok: true, program: { insns, slotCount: slots.length }, problems }
}
