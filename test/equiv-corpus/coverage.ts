/**
 * @fileoverview Slot coverage of a set of inputs, measured with the interpreter only: slot i is
 * reached when the program with slot i replaced by a jump to an appended `r0 = MARK; exit`
 * returns MARK on some input. Shows whether generated inputs reach a program's deep paths.
 */
import { compileProgram } from '../../src-daemon/core/interp/compile'
import { createMachine } from '../../src-daemon/core/interp/api'
import type { RunInput } from '../../src-daemon/core/interp/types'
import { insn, type Insn } from '../../src-daemon/core/isa/insn'
import type { CorpusProgram } from './corpus-program'

const MARK = 0x5eedc0de

/** Slot indices that start an instruction (skipping the second half of ld_imm64). */
export function instructionSlots(slots: readonly Insn[]): number[] {
  const out: number[] = []
  for (let i = 0; i < slots.length; i++) {
    out.push(i)
    if (slots[i]!.code === 0x18) i++
  }
  return out
}

/** For every instruction slot, whether some input reaches it; plus the list of unreached slots. */
export function slotCoverage(
  p: CorpusProgram,
  inputs: readonly RunInput[]
): { reached: number; total: number; unreached: number[] } {
  const n = p.slots.length
  const unreached: number[] = []
  const starts = instructionSlots(p.slots)
  for (const i of starts) {
    const probe = [...p.slots, insn(0xb7, 0, 0, 0, MARK), insn(0x95)]
    probe[i] = insn(0x05, 0, 0, n - i - 1, 0)
    if (p.slots[i]!.code === 0x18) probe[i + 1] = insn(0x05, 0, 0, 0, 0)
    const m = createMachine(compileProgram(probe, p.env.maps, p.env.model.ctxKind))
    const hit = inputs.some((input) => m.exec(input) === 0 && m.r0lo === MARK && m.r0hi === 0)
    if (!hit) unreached.push(i)
  }
  return { reached: starts.length - unreached.length, total: starts.length, unreached }
}
