/** @fileoverview Finds the opcode-table row of one instruction slot. */
import type { Insn } from './insn'
import { OPS_BY_CODE, type OpSpec } from './opcodes'

/**
 * Returns the table row that `ins` encodes, choosing among rows that share its opcode byte by
 * their `match` field, or undefined when no row fits (unknown opcode or unknown variant).
 * Reserved-field checks are not done here: see validate.
 */
export function lookupSpec(ins: Insn): OpSpec | undefined {
  const rows = OPS_BY_CODE[ins.code & 0xff]
  if (rows === undefined) return undefined
  let fallback: OpSpec | undefined
  for (const row of rows) {
    const m = row.match
    if (m === undefined) fallback = row
    else if (ins[m.field] === m.value) return row
  }
  return fallback
}
