/** @fileoverview Structural validation of instructions against the opcode table, following the kernel. */
import type { Insn } from './insn'
import { lookupSpec } from './lookup'
import { OPS_BY_CODE, type Field, type OpSpec } from './opcodes'
import type { Diagnostic } from '../util/result'
import { jumpTarget, type JumpSource } from './jump'

/** Validation profile switches. */
export interface ValidateOptions {
  /**
   * `kernel` (default) rejects what the Linux verifier rejects structurally: shifts by an
   * immediate >= the operand width (or negative) and division/modulo by an immediate zero.
   * `rfc` accepts them, as RFC 9669 defines their results (the conformance suite uses them).
   */
  readonly profile?: 'kernel' | 'rfc'
}

/** Highest valid register number (r10 is the read-only frame pointer). */
export const MAX_REG = 10

function diag(code: string, index: number, message: string): Diagnostic {
  return { code, index, message }
}

function hex(n: number): string {
  return '0x' + (n & 0xff).toString(16).padStart(2, '0')
}

/** Explains a slot whose opcode byte matches no row (or no variant of its rows). */
function unknownOpcode(ins: Insn, index: number): Diagnostic {
  const rows = OPS_BY_CODE[ins.code & 0xff] ?? []
  const only = rows.length === 1 ? rows[0] : undefined
  if (only?.match !== undefined && only.match.value === 0) {
    const f = only.match.field
    return diag(
      'ISA_RESERVED_FIELD',
      index,
      `${only.name}: reserved field ${f} must be 0, is ${ins[f]}`
    )
  }
  if (rows.length > 0) {
    const fields = [...new Set(rows.map((r) => r.match?.field).filter((f) => f !== undefined))]
    const what = fields.map((f) => `${f}=${ins[f]}`).join(', ')
    return diag('ISA_UNKNOWN_OPCODE', index, `opcode ${hex(ins.code)} has no variant with ${what}`)
  }
  return diag('ISA_UNKNOWN_OPCODE', index, `unknown opcode ${hex(ins.code)}`)
}

/** Fields of `spec` that name a register (and are not reserved or variant selectors). */
function registerFields(spec: OpSpec): Field[] {
  const regs: Field[] = []
  for (const f of ['dst', 'src'] as const) {
    if (spec.zero.includes(f) || spec.match?.field === f) continue
    regs.push(f)
  }
  return regs
}

/** True when the instruction writes its `dst` register. */
function writesDst(spec: OpSpec): boolean {
  return spec.kind === 'alu' || spec.kind === 'end' || spec.kind === 'ldx' || spec.kind === 'lddw'
}

/** Immediate-range checks (byte-swap widths; kernel: shift counts and division by zero). */
function checkImm(
  spec: OpSpec,
  ins: Insn,
  index: number,
  options: ValidateOptions
): Diagnostic | undefined {
  if (spec.kind === 'end') {
    if (ins.imm !== 16 && ins.imm !== 32 && ins.imm !== 64) {
      return diag('ISA_BAD_IMM', index, `${spec.name}: width must be 16, 32 or 64, is ${ins.imm}`)
    }
    return undefined
  }
  if (spec.kind !== 'alu' || spec.source !== 'imm' || options.profile === 'rfc') return undefined
  if (spec.op === 'lsh' || spec.op === 'rsh' || spec.op === 'arsh') {
    const width = spec.is64 ? 64 : 32
    if (ins.imm < 0 || ins.imm >= width) {
      return diag(
        'ISA_BAD_IMM',
        index,
        `${spec.name}: shift by ${ins.imm} is outside 0..${width - 1}`
      )
    }
  }
  if (
    (spec.op === 'div' || spec.op === 'mod' || spec.op === 'sdiv' || spec.op === 'smod') &&
    ins.imm === 0
  ) {
    return diag('ISA_BAD_IMM', index, `${spec.name}: division by immediate zero`)
  }
  return undefined
}

/** Checks the second slot of an lddw at `index`. */
function checkLddw(spec: OpSpec, slots: readonly Insn[], index: number): Diagnostic | undefined {
  if (spec.kind !== 'lddw') return undefined
  const next = slots[index + 1]
  if (next === undefined) {
    return diag('ISA_TRUNCATED_LDDW', index, 'lddw in the last slot has no second slot')
  }
  for (const f of ['code', 'dst', 'src', 'off'] as const) {
    if (next[f] !== 0) {
      return diag(
        'ISA_TRUNCATED_LDDW',
        index + 1,
        `second slot of lddw must have ${f} 0, has ${next[f]}`
      )
    }
  }
  if ((spec.pseudo === 'map_fd' || spec.pseudo === 'map_idx') && next.imm !== 0) {
    return diag(
      'ISA_RESERVED_FIELD',
      index + 1,
      `${spec.name}: reserved field imm of the second slot must be 0, is ${next.imm}`
    )
  }
  return undefined
}

/**
 * Validates the instruction starting at slot `index`: opcode, reserved fields, registers,
 * immediates and lddw pairing. Returns the first problem found, or undefined.
 */
export function validateInsn(
  slots: readonly Insn[],
  index: number,
  options: ValidateOptions = {}
): Diagnostic | undefined {
  const ins = slots[index]
  if (ins === undefined) return diag('ISA_TRUNCATED_LDDW', index, 'no instruction at this slot')
  const spec = lookupSpec(ins)
  if (spec === undefined) return unknownOpcode(ins, index)
  for (const f of spec.zero) {
    if (ins[f] !== 0) {
      return diag(
        'ISA_RESERVED_FIELD',
        index,
        `${spec.name}: reserved field ${f} must be 0, is ${ins[f]}`
      )
    }
  }
  for (const f of registerFields(spec)) {
    if (ins[f] > MAX_REG)
      return diag(
        'ISA_BAD_REGISTER',
        index,
        `${spec.name}: ${f} register r${ins[f]} does not exist`
      )
  }
  if (writesDst(spec) && ins.dst === MAX_REG) {
    return diag('ISA_BAD_REGISTER', index, `${spec.name}: r10 is read-only and cannot be written`)
  }
  if (spec.kind === 'atomic') {
    const loads = (spec.op.startsWith('fetch_') || spec.op === 'xchg') && ins.src === MAX_REG
    if (loads)
      return diag(
        'ISA_BAD_REGISTER',
        index,
        `${spec.name}: r10 is read-only and cannot receive the old value`
      )
  }
  return checkImm(spec, ins, index, options) ?? checkLddw(spec, slots, index)
}

/**
 * Checks every jump and local call of a decoded program: the target must be a slot of the
 * program and must not be the second slot of an lddw.
 */
export function validateJumps(program: {
  readonly insns: readonly JumpSource[]
  readonly slotCount: number
}): Diagnostic | undefined {
  const starts = new Uint8Array(program.slotCount)
  for (const d of program.insns) starts[d.index] = 1
  for (const d of program.insns) {
    const t = jumpTarget(d)
    if (t === undefined) continue
    if (t < 0 || t >= program.slotCount) {
      return diag(
        'ISA_JUMP_OUT_OF_RANGE',
        d.index,
        `${d.spec.name}: target ${t} is outside the program (0..${program.slotCount - 1})`
      )
    }
    if (starts[t] !== 1) {
      return diag(
        'ISA_JUMP_OUT_OF_RANGE',
        d.index,
        `${d.spec.name}: target ${t} is the second slot of an lddw`
      )
    }
  }
  return undefined
}
