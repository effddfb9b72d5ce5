/**
 * @fileoverview Instruction text in LLVM's BPF syntax, exactly as Debian's LLVM 14
 * `llvm-objdump -d` prints it (default CPU, no alu32 decoding). Instructions LLVM 14 cannot
 * decode (it prints `<unknown>`) or misreads as another operation get the syntax newer LLVM
 * (17+) uses: mod/smod `%=`/`s%=`, sdiv `s/=`, movsx `= (s8)`, sign-extending loads
 * `*(s8 *)`, stores of immediates, jset `&`, gotol, bswap, and the alu32 forms of 32-bit
 * atomics. One deliberate LLVM 14 quirk is kept because clang 14 emits it: a 32-bit atomic
 * fetch-add prints like a plain atomic add (`lock *(u32 *)(r1 + 0) += r2`).
 */
import type { Insn } from './insn'
import type { AtomicSpec, JmpCond, OpSpec } from './opcodes'
import type { Decoded, RawSlot } from './decode'

/** Text LLVM prints for bytes it cannot decode. */
export const LLVM_UNKNOWN = '<unknown>'

const ALU_SYMBOL: Record<string, string> = {
  add: '+=',
  sub: '-=',
  mul: '*=',
  div: '/=',
  sdiv: 's/=',
  or: '|=',
  and: '&=',
  lsh: '<<=',
  rsh: '>>=',
  mod: '%=',
  smod: 's%=',
  xor: '^=',
  mov: '=',
  arsh: 's>>='
}

const JMP_SYMBOL: Record<JmpCond, string> = {
  jeq: '==',
  jgt: '>',
  jge: '>=',
  jset: '&',
  jne: '!=',
  jsgt: 's>',
  jsge: 's>=',
  jlt: '<',
  jle: '<=',
  jslt: 's<',
  jsle: 's<='
}

/** Formats a relative branch offset the way LLVM does: `+N` or `-N`. */
export function llvmBranchOffset(off: number): string {
  return off >= 0 ? `+${off}` : `${off}`
}

/** The `(rB + off)` / `(rB - off)` address operand. */
function addr(base: number, off: number): string {
  return off < 0 ? `r${base} - ${-off}` : `r${base} + ${off}`
}

function atomicText(spec: AtomicSpec, ins: Insn): string {
  const a = addr(ins.dst, ins.off)
  const s = ins.src
  if (spec.bytes === 8) {
    if (spec.op === 'xchg') return `r${s} = xchg_64(${a}, r${s})`
    if (spec.op === 'cmpxchg') return `r0 = cmpxchg_64(${a}, r0, r${s})`
    if (spec.op.startsWith('fetch_')) return `r${s} = atomic_${spec.op}((u64 *)(${a}), r${s})`
    return `lock *(u64 *)(${a}) ${ALU_SYMBOL[spec.op] ?? '?'} r${s}`
  }
  // LLVM 14 without alu32 decodes imm 0x00 and 0x01 both as the plain 32-bit add.
  if (spec.op === 'add' || spec.op === 'fetch_add') return `lock *(u32 *)(${a}) += r${s}`
  if (spec.op === 'xchg') return `w${s} = xchg32_32(${a}, w${s})`
  if (spec.op === 'cmpxchg') return `w0 = cmpxchg32_32(${a}, w0, w${s})`
  if (spec.op.startsWith('fetch_')) return `w${s} = atomic_${spec.op}((u32 *)(${a}), w${s})`
  return `lock *(u32 *)(${a}) ${ALU_SYMBOL[spec.op] ?? '?'} w${s}`
}

function sizeName(bytes: number, signed = false): string {
  return `${signed ? 's' : 'u'}${bytes * 8}`
}

/** The text of one instruction given its row, raw slot and (for lddw) 64-bit immediate. */
function specText(spec: OpSpec, ins: Insn, imm64: bigint | undefined): string {
  switch (spec.kind) {
    case 'alu': {
      const p = spec.is64 ? 'r' : 'w'
      const d = `${p}${ins.dst}`
      if (spec.op === 'neg') return `${d} = -${d}`
      if (spec.op === 'movsx') return `${d} = (s${spec.ext ?? 0})${p}${ins.src}`
      const rhs = spec.source === 'reg' ? `${p}${ins.src}` : `${ins.imm}`
      return `${d} ${ALU_SYMBOL[spec.op] ?? '?'} ${rhs}`
    }
    case 'end':
      if (ins.imm !== 16 && ins.imm !== 32 && ins.imm !== 64) return LLVM_UNKNOWN
      return `r${ins.dst} = ${spec.order === 'swap' ? 'bswap' : spec.order}${ins.imm} r${ins.dst}`
    case 'jmp': {
      const p = spec.is32 ? 'w' : 'r'
      const rhs = spec.source === 'reg' ? `${p}${ins.src}` : `${ins.imm}`
      return `if ${p}${ins.dst} ${JMP_SYMBOL[spec.cond]} ${rhs} goto ${llvmBranchOffset(ins.off)}`
    }
    case 'ja':
      return spec.long ? `gotol ${llvmBranchOffset(ins.imm)}` : `goto ${llvmBranchOffset(ins.off)}`
    case 'call':
      return spec.target === 'reg' ? `callx r${ins.dst}` : `call ${ins.imm}`
    case 'exit':
      return 'exit'
    case 'lddw':
      if (spec.pseudo !== 'imm64') return `ld_pseudo\tr${ins.dst}, ${ins.src}, ${ins.imm >>> 0}`
      return `r${ins.dst} = ${BigInt.asIntN(64, imm64 ?? BigInt(ins.imm >>> 0))} ll`
    case 'ldabs':
      return `r0 = *(${sizeName(spec.bytes)} *)skb[${ins.imm}]`
    case 'ldind':
      return `r0 = *(${sizeName(spec.bytes)} *)skb[r${ins.src}]`
    case 'ldx':
      return `r${ins.dst} = *(${sizeName(spec.bytes, spec.signed)} *)(${addr(ins.src, ins.off)})`
    case 'st':
      return `*(${sizeName(spec.bytes)} *)(${addr(ins.dst, ins.off)}) = ${ins.imm}`
    case 'stx':
      return `*(${sizeName(spec.bytes)} *)(${addr(ins.dst, ins.off)}) = r${ins.src}`
    case 'atomic':
      return atomicText(spec, ins)
  }
}

/** The llvm-objdump instruction text of one decoded (or raw, undecodable) instruction. */
export function llvmText(d: Decoded | RawSlot): string {
  if (d.spec === undefined) return LLVM_UNKNOWN
  return specText(d.spec, d.insn, d.imm64)
}
