/** @fileoverview Test helper: legality invariants a proposed candidate must satisfy. */
import { lookupSpec } from '../../src-daemon/core/isa/lookup'
import { OPS } from '../../src-daemon/core/isa/opcodes'
import type { Candidate } from '../../src-daemon/core/search/candidate'
import { NO_ROW, SlotKind } from '../../src-daemon/core/search/candidate'
import { isEditable } from '../../src-daemon/core/search/proposal-table'

/** All arrays of a candidate as plain arrays. */
export function snapshot(c: Candidate): number[][] {
  return [c.code, c.dst, c.src, c.off, c.imm, c.kind, c.row].map((a) => Array.from(a))
}

/** Returns a description of the first broken invariant, or undefined. */
export function violation(
  c: Candidate,
  orig: Candidate,
  win: [number, number],
  jumpsAllowed: boolean
): string | undefined {
  const snapO = snapshot(orig)
  for (let i = 0; i < c.length; i++) {
    const ok =
      orig.kind[i] === SlotKind.live && orig.row[i] !== NO_ROW && isEditable(OPS[orig.row[i]!]!)
    const inWin = i >= win[0] && i <= win[1]
    if (!ok || !inWin) {
      const same = snapshot(c).every((arr, f) => arr[i] === snapO[f]![i])
      if (same || orig.kind[i] === SlotKind.nop) continue
      // Only the unreachable-code idiom removes non-editable slots (idiom-moves.test.ts checks
      // that it picks unreachable ones); the gap is then an ordinary NOP slot that later moves
      // may fill, so it is checked like any other slot below.
      if (!inWin || c.kind[i] === SlotKind.lddwTail) return `slot ${i} must not change`
      const row = c.row[i]!
      if (c.kind[i] === SlotKind.live && (row === NO_ROW || !isEditable(OPS[row]!)))
        return `slot ${i} must not change`
    }
    if (c.kind[i] === SlotKind.lddwTail) return `slot ${i} became a tail`
    if (c.kind[i] !== SlotKind.live) continue
    const spec = lookupSpec(c.slot(i))
    if (spec === undefined || spec.id !== c.row[i])
      return `slot ${i}: row ${c.row[i]} does not decode back`
    for (const f of spec.zero) if (c[f][i] !== 0) return `slot ${i}: ${f} must be zero`
    const writesDst = spec.kind === 'alu' || spec.kind === 'end' || spec.kind === 'ldx'
    if (c.dst[i]! > (writesDst ? 9 : 10)) return `slot ${i}: dst out of range`
    if (c.src[i]! > 10) return `slot ${i}: src out of range`
    if (spec.kind === 'end' && ![16, 32, 64].includes(c.imm[i]!)) return `slot ${i}: end width`
    if (spec.kind === 'alu' && spec.source === 'imm') {
      const shift = spec.op === 'lsh' || spec.op === 'rsh' || spec.op === 'arsh'
      if (shift && (c.imm[i]! < 0 || c.imm[i]! >= (spec.is64 ? 64 : 32))) return `slot ${i}: shift`
      if ((spec.op === 'div' || spec.op === 'mod') && c.imm[i] === 0)
        return `slot ${i}: divide by 0`
    }
    if (spec.kind === 'jmp' || spec.kind === 'ja') {
      const isOrig =
        orig.kind[i] === SlotKind.live && orig.row[i] === c.row[i] && orig.off[i] === c.off[i]
      if (
        !jumpsAllowed &&
        !isOrig &&
        !(orig.row[i] !== NO_ROW && OPS[orig.row[i]!]!.kind === spec.kind)
      )
        return `slot ${i}: jump created in a window`
      const t = i + 1 + c.off[i]!
      if (t <= i || t >= c.length) return `slot ${i}: jump target ${t} out of range`
      if (c.kind[t] === SlotKind.lddwTail) return `slot ${i}: jump into an ld_imm64`
    }
  }
  return undefined
}
