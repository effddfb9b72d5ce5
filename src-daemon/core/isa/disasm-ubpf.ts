/**
 * @fileoverview Instruction text in the uBPF assembler syntax of the bpf_conformance corpus:
 * `add32 %r1, %r2`, `mov %r0, 1` (64-bit ALU has no suffix), `ldxdw %r0, [%r1+8]`,
 * `stxw [%r10-4], %r1`, `jeq %r1, 5, +2`, `ja32 +3` (gotol), `lddw %r0, 0x1122334455667788`,
 * `be16 %r0`, `bswap32 %r0`, `movsx1664 %r1, %r2`, `lock fetch add32 [%r1], %r2`,
 * `call 1`, `call local +4`, `exit`. Immediates are signed decimal, lddw values hex.
 * Extensions where uBPF has no syntax: `call kfunc N`, and pseudo lddw sources as
 * `lddw %r1, map_fd 3` (with `, HI` when the second slot's immediate is non-zero).
 */
import type { Insn } from './insn'
import type { OpSpec } from './opcodes'
import type { Decoded, RawSlot } from './decode'

/** Text used for slots with no table row. */
export const UBPF_UNKNOWN = '.unknown'

function reg(n: number): string {
  return `%r${n}`
}

/** `+N` / `-N` relative offsets. */
function rel(n: number): string {
  return n >= 0 ? `+${n}` : `${n}`
}

/** The `[%rB+off]` memory operand (`[%rB]` when the offset is 0). */
function mem(base: number, off: number): string {
  if (off === 0) return `[${reg(base)}]`
  return `[${reg(base)}${off > 0 ? '+' : '-'}${Math.abs(off)}]`
}

const SIZE_SUFFIX: Record<number, string> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' }

function specText(spec: OpSpec, ins: Insn, imm64: bigint | undefined, hiImm: number): string {
  switch (spec.kind) {
    case 'alu': {
      const w = spec.is64 ? '' : '32'
      if (spec.op === 'neg') return `neg${w} ${reg(ins.dst)}`
      if (spec.op === 'movsx')
        return `movsx${spec.ext ?? 0}${spec.is64 ? '64' : '32'} ${reg(ins.dst)}, ${reg(ins.src)}`
      const rhs = spec.source === 'reg' ? reg(ins.src) : `${ins.imm}`
      return `${spec.op}${w} ${reg(ins.dst)}, ${rhs}`
    }
    case 'end':
      return `${spec.order === 'swap' ? 'bswap' : spec.order}${ins.imm} ${reg(ins.dst)}`
    case 'jmp': {
      const rhs = spec.source === 'reg' ? reg(ins.src) : `${ins.imm}`
      return `${spec.cond}${spec.is32 ? '32' : ''} ${reg(ins.dst)}, ${rhs}, ${rel(ins.off)}`
    }
    case 'ja':
      return spec.long ? `ja32 ${rel(ins.imm)}` : `ja ${rel(ins.off)}`
    case 'call':
      if (spec.target === 'local') return `call local ${rel(ins.imm)}`
      if (spec.target === 'kfunc') return `call kfunc ${ins.imm}`
      if (spec.target === 'reg') return `call %r${ins.dst}`
      return `call ${ins.imm}`
    case 'exit':
      return 'exit'
    case 'lddw': {
      if (spec.pseudo === 'imm64') {
        const v = BigInt.asUintN(64, imm64 ?? BigInt(ins.imm >>> 0))
        return `lddw ${reg(ins.dst)}, 0x${v.toString(16)}`
      }
      const hi = hiImm !== 0 ? `, ${hiImm}` : ''
      return `lddw ${reg(ins.dst)}, ${spec.pseudo} ${ins.imm}${hi}`
    }
    case 'ldabs':
      return `ldabs${SIZE_SUFFIX[spec.bytes] ?? '?'} ${ins.imm}`
    case 'ldind':
      return `ldind${SIZE_SUFFIX[spec.bytes] ?? '?'} ${reg(ins.src)}, ${ins.imm}`
    case 'ldx':
      return `ldx${spec.signed ? 's' : ''}${SIZE_SUFFIX[spec.bytes] ?? '?'} ${reg(ins.dst)}, ${mem(ins.src, ins.off)}`
    case 'st':
      return `st${SIZE_SUFFIX[spec.bytes] ?? '?'} ${mem(ins.dst, ins.off)}, ${ins.imm}`
    case 'stx':
      return `stx${SIZE_SUFFIX[spec.bytes] ?? '?'} ${mem(ins.dst, ins.off)}, ${reg(ins.src)}`
    case 'atomic': {
      const w = spec.bytes === 4 ? '32' : ''
      const op = spec.op.startsWith('fetch_') ? `fetch ${spec.op.slice(6)}` : spec.op
      return `lock ${op}${w} ${mem(ins.dst, ins.off)}, ${reg(ins.src)}`
    }
  }
}

/** The uBPF-syntax text of one decoded (or raw, undecodable) instruction. */
export function ubpfText(d: Decoded | RawSlot): string {
  if (d.spec === undefined) return UBPF_UNKNOWN
  return specText(d.spec, d.insn, d.imm64, d.next?.imm ?? 0)
}
