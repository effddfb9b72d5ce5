/**
 * @fileoverview Instruction text in K2's text language (`OPCODE op1 op2 op3`, decimal operands,
 * e.g. `MOV64XC 0 1`, `LDXW 2 1 4`, `STXDW 10 -8 1`, `JEQXC 1 0 3`, `LDMAPID 1 0`,
 * `MOVDWXC 2 4294967296`). Covers the subset K2's `package` branch knows; any other
 * instruction is an error value with code `K2_UNSUPPORTED`.
 */
import type { Insn } from './insn'
import type { OpSpec } from './opcodes'
import type { Decoded, RawSlot } from './decode'
import { fail, ok, type Result } from '../util/result'

const K2_ALU_OPS = new Set([
  'add',
  'sub',
  'mul',
  'div',
  'or',
  'and',
  'lsh',
  'rsh',
  'mod',
  'xor',
  'mov',
  'arsh'
])

const SIZE_SUFFIX: Record<number, string> = { 1: 'B', 2: 'H', 4: 'W', 8: 'DW' }

/** K2 text for a row it knows, or undefined. */
function specText(spec: OpSpec, ins: Insn, imm64: bigint | undefined): string | undefined {
  switch (spec.kind) {
    case 'alu': {
      const w = spec.is64 ? '64' : '32'
      if (spec.op === 'neg') return `NEG${w}XC ${ins.dst}`
      if (!K2_ALU_OPS.has(spec.op)) return undefined
      const name = `${spec.op.toUpperCase()}${w}X${spec.source === 'reg' ? 'Y' : 'C'}`
      return `${name} ${ins.dst} ${spec.source === 'reg' ? ins.src : ins.imm}`
    }
    case 'end':
      return spec.order === 'swap' ? undefined : `${spec.order.toUpperCase()} ${ins.dst} ${ins.imm}`
    case 'jmp': {
      const name = `${spec.cond.toUpperCase()}${spec.is32 ? '32' : ''}X${spec.source === 'reg' ? 'Y' : 'C'}`
      return `${name} ${ins.dst} ${spec.source === 'reg' ? ins.src : ins.imm} ${ins.off}`
    }
    case 'ja':
      return spec.long ? undefined : `JA ${ins.off}`
    case 'call':
      return spec.target === 'helper' ? `CALL ${ins.imm}` : undefined
    case 'exit':
      return 'EXIT'
    case 'lddw':
      if (spec.pseudo === 'imm64') {
        return `MOVDWXC ${ins.dst} ${BigInt.asIntN(64, imm64 ?? BigInt(ins.imm))}`
      }
      return spec.pseudo === 'map_fd' ? `LDMAPID ${ins.dst} ${ins.imm}` : undefined
    case 'ldabs':
      return spec.bytes === 2 ? `LDABSH ${ins.imm}` : undefined
    case 'ldind':
      return spec.bytes === 2 && ins.imm === 0 ? `LDINDH ${ins.src}` : undefined
    case 'ldx':
      return spec.signed
        ? undefined
        : `LDX${SIZE_SUFFIX[spec.bytes] ?? '?'} ${ins.dst} ${ins.src} ${ins.off}`
    case 'st':
      return `ST${SIZE_SUFFIX[spec.bytes] ?? '?'} ${ins.dst} ${ins.off} ${ins.imm}`
    case 'stx':
      return `STX${SIZE_SUFFIX[spec.bytes] ?? '?'} ${ins.dst} ${ins.off} ${ins.src}`
    case 'atomic':
      return spec.op === 'add'
        ? `XADD${spec.bytes * 8} ${ins.dst} ${ins.off} ${ins.src}`
        : undefined
  }
}

/** The K2-text of one instruction, or a `K2_UNSUPPORTED` diagnostic naming its slot. */
export function k2Text(d: Decoded | RawSlot): Result<string> {
  const text = d.spec === undefined ? undefined : specText(d.spec, d.insn, d.imm64)
  if (text !== undefined) return ok(text)
  const what = d.spec === undefined ? `opcode 0x${d.insn.code.toString(16)}` : d.spec.name
  return fail({
    code: 'K2_UNSUPPORTED',
    index: d.index,
    message: `${what} has no K2 text form (K2 does not support this instruction)`
  })
}
