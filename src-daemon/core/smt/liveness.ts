/** @fileoverview Register liveness over a decoded program's control flow (for window post-conditions). */
import type { Decoded, Program } from '../isa/decode'
import { jumpTarget } from '../isa/jump'
import { clobberMask, readMask, regWritten } from '../isa/regs'
import { helperArgCount } from '../analysis/helpers'

/** Successor positions (indices into `insns`) of instruction `k`. */
export function successors(
  insns: readonly Decoded[],
  k: number,
  slotToIndex: Map<number, number>
): number[] {
  const d = insns[k] as Decoded
  const s = d.spec
  const out: number[] = []
  const next = k + 1 < insns.length ? k + 1 : -1
  if (s.kind === 'exit') return out
  const t = s.kind === 'call' ? undefined : jumpTarget(d)
  if (t !== undefined) {
    const ti = slotToIndex.get(t)
    if (ti !== undefined) out.push(ti)
    if (s.kind === 'ja') return out
  }
  if (next >= 0) out.push(next)
  return out
}

/**
 * For each instruction, the bit mask of registers live just after it: read on some path before
 * being written. Exits read r0; a helper call reads r1..rN for its prototype's N arguments (all
 * five when the helper is unknown). Computed by backward fixpoint iteration.
 */
export function liveAfter(program: Program): Uint16Array {
  return liveness(program).liveOut
}

/** Registers live just before each instruction, and just after it (see {@link liveAfter}). */
export function liveness(program: Program): { liveIn: Uint16Array; liveOut: Uint16Array } {
  const insns = program.insns
  const slotToIndex = new Map(insns.map((d, k) => [d.index, k]))
  const liveIn = new Uint16Array(insns.length)
  const liveOut = new Uint16Array(insns.length)
  const succ = insns.map((_, k) => successors(insns, k, slotToIndex))
  for (let changed = true; changed;) {
    changed = false
    for (let k = insns.length - 1; k >= 0; k--) {
      const d = insns[k] as Decoded
      let out = 0
      for (const s of succ[k] as number[]) out |= liveIn[s] as number
      const w = regWritten(d)
      const kills = (w === undefined ? 0 : 1 << w) | clobberMask(d)
      const reads =
        d.spec.kind === 'exit'
          ? 1
          : d.spec.kind === 'call' && d.spec.target === 'helper'
            ? ((1 << (helperArgCount(d.insn.imm) + 1)) - 2) & 0x3e
            : readMask(d)
      const inn = (out & ~kills) | reads
      if (out !== liveOut[k] || inn !== liveIn[k]) {
        liveOut[k] = out
        liveIn[k] = inn
        changed = true
      }
    }
  }
  return { liveIn, liveOut }
}
