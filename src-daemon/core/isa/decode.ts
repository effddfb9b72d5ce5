/** @fileoverview Decodes instruction slots into table-annotated instructions, and encodes them back. */
import type { Insn } from './insn'
import { lookupSpec } from './lookup'
import type { OpSpec } from './opcodes'
import { fail, ok, type Result } from '../util/result'
export { jumpTarget } from './jump'
import { validateInsn, validateJumps, type ValidateOptions } from './validate'

/** One instruction: a table row with its raw slot (and, for lddw, the second slot). */
export interface Decoded {
  /** Slot index of the (first) slot of this instruction. */
  readonly index: number
  /** The opcode-table row. */
  readonly spec: OpSpec
  /** The raw (first) slot. */
  readonly insn: Insn
  /** For lddw: the full 64-bit immediate, low half from `insn.imm`, high half from `next.imm`. */
  readonly imm64?: bigint
  /** For lddw: the raw second slot. */
  readonly next?: Insn
}

/** A decoded program: one entry per instruction, in slot order. */
export interface Program {
  /** The instructions; an lddw covers two slots. */
  readonly insns: Decoded[]
  /** Number of 8-byte slots the program occupies. */
  readonly slotCount: number
}

/** Where a program comes from, for diagnostics. */
export interface SourcePlace {
  /** Input file name. */
  readonly file?: string
  /** Section (program) name. */
  readonly section?: string
}

/** The 64-bit value of an lddw pair: low 32 bits from the first slot, high from the second. */
export function lddwValue(lo: Insn, hi: Insn): bigint {
  return (BigInt(hi.imm >>> 0) << 32n) | BigInt(lo.imm >>> 0)
}

/** Builds a decoded entry for slot `index` given its row (no checks). */
function entry(slots: readonly Insn[], index: number, spec: OpSpec, first: Insn): Decoded {
  if (spec.kind !== 'lddw') return { index, spec, insn: first }
  const next = slots[index + 1]
  if (next === undefined) return { index, spec, insn: first }
  return { index, spec, insn: first, next, imm64: lddwValue(first, next) }
}

/**
 * Decodes and validates a whole program. Total on arbitrary input: every failure is a
 * diagnostic naming the slot index (and file/section when given), never an exception.
 */
export function decodeProgram(
  slots: readonly Insn[],
  where: SourcePlace = {},
  options: ValidateOptions = {}
): Result<Program> {
  const place = {
    ...(where.file !== undefined ? { file: where.file } : {}),
    ...(where.section !== undefined ? { section: where.section } : {})
  }
  if (slots.length === 0) {
    return fail({ code: 'ISA_EMPTY_PROGRAM', message: 'program has no instructions', ...place })
  }
  const insns: Decoded[] = []
  for (let i = 0; i < slots.length;) {
    const slot = slots[i] as Insn
    const problem = validateInsn(slots, i, options)
    if (problem !== undefined) return fail({ ...problem, ...place, index: problem.index ?? i })
    const spec = lookupSpec(slot) as OpSpec
    insns.push(entry(slots, i, spec, slot))
    i += spec.kind === 'lddw' ? 2 : 1
  }
  const program: Program = { insns, slotCount: slots.length }
  const jumpProblem = validateJumps(program)
  if (jumpProblem !== undefined) return fail({ ...jumpProblem, ...place })
  return ok(program)
}

/** An undecodable slot in a lenient decoding (unknown opcode or an lddw cut short). */
export interface RawSlot {
  /** Slot index. */
  readonly index: number
  /** No table row. */
  readonly spec: undefined
  /** The raw slot. */
  readonly insn: Insn
}

/**
 * Decodes without validating, the way a disassembler walks bytes: known rows become entries
 * (an lddw with a following slot takes two slots), anything else is a one-slot raw entry.
 */
export function decodeLenient(slots: readonly Insn[]): (Decoded | RawSlot)[] {
  const out: (Decoded | RawSlot)[] = []
  for (let i = 0; i < slots.length;) {
    const slot = slots[i] as Insn
    const spec = lookupSpec(slot)
    if (spec === undefined || (spec.kind === 'lddw' && i + 1 >= slots.length)) {
      out.push({ index: i, spec: undefined, insn: slot })
      i += 1
      continue
    }
    out.push(entry(slots, i, spec, slot))
    i += spec.kind === 'lddw' ? 2 : 1
  }
  return out
}

/**
 * Encodes decoded instructions back to slots (exact inverse of decoding). For lddw the two
 * immediates come from `imm64` when present, so an edited `imm64` is honoured.
 */
export function encodeProgram(insns: readonly (Decoded | RawSlot)[]): Insn[] {
  const out: Insn[] = []
  for (const d of insns) {
    if (d.spec === undefined || d.spec.kind !== 'lddw') {
      out.push({ ...d.insn })
      continue
    }
    const second = d.next ?? { code: 0, dst: 0, src: 0, off: 0, imm: 0 }
    if (d.imm64 === undefined) {
      out.push({ ...d.insn }, { ...second })
      continue
    }
    const lo = Number(BigInt.asIntN(32, d.imm64))
    const hi = Number(BigInt.asIntN(32, d.imm64 >> 32n))
    out.push({ ...d.insn, imm: lo }, { ...second, imm: hi })
  }
  return out
}
