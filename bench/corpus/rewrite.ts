/**
 * @fileoverview A cheap rewrite that keeps a program's meaning: the first `rX += k` becomes
 * `rX -= -k` (or `-=` becomes `+=`), 64- or 32-bit. Proving the two equal checks the prover on a
 * program that really differs, where a self-check could be answered by the program's shape alone.
 */
import type { Insn } from '../../src-daemon/core/isa/insn'

const LD_IMM64 = 0x18
/** add/sub with an immediate, 64-bit (ALU64) and 32-bit (ALU); `^ 0x10` swaps add and sub. */
const ADD_SUB_K: readonly number[] = [0x07, 0x17, 0x04, 0x14]
const INT32_MIN = -0x80000000

/** The rewritten copy and the slot changed, or undefined when no slot qualifies. */
export function addSubRewrite(
  slots: readonly Insn[]
): { readonly slots: Insn[]; readonly index: number } | undefined {
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!
    if (s.code === LD_IMM64) {
      i++ // the second slot of an ld_imm64 is data
      continue
    }
    if (!ADD_SUB_K.includes(s.code) || s.imm === INT32_MIN) continue
    const out = slots.map((x) => ({ ...x }))
    out[i] = { ...s, code: s.code ^ 0x10, imm: -s.imm | 0 }
    return { slots: out, index: i }
  }
  return undefined
}
