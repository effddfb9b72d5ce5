/** @fileoverview Where control-transfer instructions go: absolute slot targets from relative offsets. */
import type { Insn } from './insn'
import type { OpSpec } from './opcodes'

/** The parts of an instruction a jump target depends on. */
export interface JumpSource {
  /** Slot index of the instruction. */
  readonly index: number
  /** Its table row. */
  readonly spec: OpSpec
  /** Its raw slot. */
  readonly insn: Insn
}

/**
 * The absolute slot index a control transfer goes to: ja/conditional jumps (off), gotol (imm)
 * and bpf-to-bpf calls (imm), all relative to the next slot. Undefined for other instructions.
 */
export function jumpTarget(d: JumpSource): number | undefined {
  const s = d.spec
  if (s.kind === 'jmp' || (s.kind === 'ja' && !s.long)) return d.index + 1 + d.insn.off
  if (s.kind === 'ja') return d.index + 1 + d.insn.imm
  if (s.kind === 'call' && s.target === 'local') return d.index + 1 + d.insn.imm
  return undefined
}
