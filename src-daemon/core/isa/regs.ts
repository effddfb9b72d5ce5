/**
 * @fileoverview Register liveness facts per instruction, from the table row: which registers an
 * instruction reads, which one it writes, and which a call clobbers. Masks (bit n = rn) are
 * the allocation-free form; the array forms are for readability.
 */
import type { Insn } from './insn'
import type { OpSpec } from './opcodes'

/** What liveness needs of an instruction. */
export interface RegSource {
  /** Its table row. */
  readonly spec: OpSpec
  /** Its raw slot. */
  readonly insn: Insn
}

/** Argument registers r1..r5, which calls read (conservatively) and clobber. */
export const ARG_REGS_MASK = 0b111110

const bit = (r: number): number => 1 << r

/** Bit mask of registers `d` reads (calls: all of r1..r5, since the arity is not known here). */
export function readMask(d: RegSource): number {
  const { spec, insn } = d
  switch (spec.kind) {
    case 'alu': {
      if (spec.op === 'mov' || spec.op === 'movsx') return spec.source === 'reg' ? bit(insn.src) : 0
      const dst = bit(insn.dst)
      return spec.source === 'reg' && spec.op !== 'neg' ? dst | bit(insn.src) : dst
    }
    case 'end':
      return bit(insn.dst)
    case 'jmp':
      return spec.source === 'reg' ? bit(insn.dst) | bit(insn.src) : bit(insn.dst)
    case 'ja':
    case 'lddw':
      return 0
    case 'call':
      return ARG_REGS_MASK
    case 'exit':
      return bit(0)
    case 'ldabs':
      return bit(6)
    case 'ldind':
      return bit(6) | bit(insn.src)
    case 'ldx':
      return bit(insn.src)
    case 'st':
      return bit(insn.dst)
    case 'stx':
      return bit(insn.dst) | bit(insn.src)
    case 'atomic':
      return bit(insn.dst) | bit(insn.src) | (spec.op === 'cmpxchg' ? bit(0) : 0)
  }
}

/** The register `d` writes (its result), or undefined when it writes none. */
export function regWritten(d: RegSource): number | undefined {
  const { spec, insn } = d
  switch (spec.kind) {
    case 'alu':
    case 'end':
    case 'lddw':
    case 'ldx':
      return insn.dst
    case 'call':
    case 'ldabs':
    case 'ldind':
      return 0
    case 'atomic':
      if (spec.op === 'cmpxchg') return 0
      return spec.op === 'xchg' || spec.op.startsWith('fetch_') ? insn.src : undefined
    default:
      return undefined
  }
}

/** Registers left undefined by `d` besides its result: r1..r5 after calls and legacy packet loads. */
export function clobberMask(d: RegSource): number {
  const k = d.spec.kind
  return k === 'call' || k === 'ldabs' || k === 'ldind' ? ARG_REGS_MASK : 0
}

/** Registers `d` reads, ascending. */
export function regsRead(d: RegSource): number[] {
  const m = readMask(d)
  const out: number[] = []
  for (let r = 0; r < 16; r++) if (m & bit(r)) out.push(r)
  return out
}
