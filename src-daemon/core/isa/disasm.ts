/** @fileoverview Disassembly in any of the three syntaxes: llvm (llvm-objdump), ubpf, k2. */
import type { Insn } from './insn'
import { decodeLenient, type Decoded, type Program, type RawSlot } from './decode'
import { llvmText } from './disasm-llvm'
import { ubpfText } from './disasm-ubpf'
import { k2Text } from './disasm-k2'
import { ok, type Result } from '../util/result'

/** The text syntaxes the disassembler speaks. */
export type Syntax = 'llvm' | 'ubpf' | 'k2'

/** All syntaxes, for option parsing. */
export const SYNTAXES: readonly Syntax[] = ['llvm', 'ubpf', 'k2']

/** The text of one instruction in `syntax`; only k2 can fail (unsupported instruction). */
export function disasmInsn(d: Decoded | RawSlot, syntax: Syntax): Result<string> {
  if (syntax === 'llvm') return ok(llvmText(d))
  if (syntax === 'ubpf') return ok(ubpfText(d))
  return k2Text(d)
}

/** One text line per instruction of a decoded program (the first failure for k2). */
export function disasmProgram(program: Program, syntax: Syntax): Result<string[]> {
  return disasmEntries(program.insns, syntax)
}

/** One text line per instruction of raw slots, decoded leniently (unknown slots included). */
export function disasmSlots(slots: readonly Insn[], syntax: Syntax): Result<string[]> {
  return disasmEntries(decodeLenient(slots), syntax)
}

function disasmEntries(entries: readonly (Decoded | RawSlot)[], syntax: Syntax): Result<string[]> {
  const lines: string[] = []
  for (const d of entries) {
    const r = disasmInsn(d, syntax)
    if (!r.ok) return r
    lines.push(r.value)
  }
  return ok(lines)
}
