/** @fileoverview Rewrites map references in ld_imm64 from map indices to kernel map fds. */
import type { Insn } from '../../core/isa/insn'
import { fail, ok, type Result } from '../../core/util/result'
import type { KernelError } from './kernel-error'

/** ld_imm64 opcode (BPF_LD | BPF_IMM | BPF_DW). */
const LD_IMM64 = 0x18
/** ld_imm64 src: imm is a map (fd when loading, index in Summit's programs). */
export const PSEUDO_MAP_FD = 1
/** ld_imm64 src: imm is a map and the second slot's imm an offset into its value. */
export const PSEUDO_MAP_VALUE = 2

/**
 * Returns a copy of `insns` in which every ld_imm64 with src=1 (map) or src=2 (map value) has
 * its map index replaced by `fds[index]`. Fails with KERNEL_BAD_MAP_INDEX naming the slot.
 */
export function patchMapFds(
  insns: readonly Insn[],
  fds: readonly number[]
): Result<Insn[], KernelError> {
  const out = insns.map((i) => ({ ...i }))
  for (let i = 0; i < out.length; i++) {
    const ins = out[i]!
    if (ins.code !== LD_IMM64) continue
    if (ins.src === PSEUDO_MAP_FD || ins.src === PSEUDO_MAP_VALUE) {
      const fd = fds[ins.imm]
      if (ins.imm < 0 || fd === undefined) {
        return fail({
          code: 'KERNEL_BAD_MAP_INDEX',
          message: `ld_imm64 refers to map ${ins.imm} but the program has ${fds.length} map(s)`,
          index: i
        })
      }
      ins.imm = fd
    }
    i++ // the second slot of ld_imm64 is data
  }
  return ok(out)
}
