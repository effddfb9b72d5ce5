/** @fileoverview Old→new instruction slot maps used when instructions are removed or replaced. */

import type { Insn } from '../isa/insn'
import type { Result } from '../util/result'
import { fail, ok } from '../util/result'

/**
 * Checks an old→new slot map: every entry is -1 (removed) or a slot in `[0, newCount)`, and
 * kept slots keep their order (strictly increasing).
 */
export function validateSlotMap(newIndexOf: Int32Array, newCount: number): Result<void> {
  let last = -1
  for (let i = 0; i < newIndexOf.length; i++) {
    const v = newIndexOf[i]!
    if (v === -1) continue
    if (v < 0 || v >= newCount || v <= last)
      return fail({
        code: 'FORMAT_BAD_SLOT_MAP',
        message: `old slot ${i} maps to ${v}: entries must be -1 or increasing slots below ${newCount}`,
        index: i
      })
    last = v
  }
  return ok(undefined)
}

/**
 * For every old position 0..n (n = one past the end), the new position of the first kept slot
 * at or after it (`newCount` when none): where code that fell through removed slots now lands.
 */
export function landingPositions(newIndexOf: Int32Array, newCount: number): Int32Array {
  const n = newIndexOf.length
  const pos = new Int32Array(n + 1)
  pos[n] = newCount
  for (let i = n - 1; i >= 0; i--) {
    const v = newIndexOf[i]!
    pos[i] = v >= 0 ? v : pos[i + 1]!
  }
  return pos
}

/** Builds the old→new map for removing the slots whose `keepMask` entry is 0. */
export function slotMapFromKeepMask(keepMask: ArrayLike<number | boolean>): Int32Array {
  const out = new Int32Array(keepMask.length)
  let next = 0
  for (let i = 0; i < keepMask.length; i++) out[i] = keepMask[i] ? next++ : -1
  return out
}

const CLASS_JMP = 0x05
const CLASS_JMP32 = 0x06

/** Options for {@link remapJumps}. */
export interface RemapJumpsOptions {
  /** Slots whose call immediate belongs to an ELF relocation (the ELF writer fixes those). */
  readonly relocatedSlots?: ReadonlySet<number>
}

/** Output of {@link remapJumps}. */
export interface RemappedCode {
  /** The kept slots, with jump offsets and pc-relative call immediates adjusted. */
  readonly slots: Insn[]
  /** Old→new slot map (-1 for removed), ready for the ELF writer. */
  readonly newIndexOf: Int32Array
}

/**
 * Removes the slots whose `keepMask` entry is 0 and fixes every kept jump (`off`; `imm` for
 * JMP32 `gotol`) and pc-relative bpf-to-bpf call (`imm`, src = 1): a branch to a removed slot
 * lands on the next kept slot. Both halves of a ld_imm64 must be kept or removed together.
 */
export function remapJumps(
  slots: readonly Insn[],
  keepMask: ArrayLike<number | boolean>,
  options: RemapJumpsOptions = {}
): Result<RemappedCode> {
  const n = slots.length
  if (keepMask.length !== n)
    return fail({
      code: 'FORMAT_BAD_SLOT_MAP',
      message: `keep mask has ${keepMask.length} entries for ${n} slots`
    })
  const secondHalf = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    if (slots[i]!.code === 0x18 && i + 1 < n) {
      secondHalf[i + 1] = 1
      if (Boolean(keepMask[i]) !== Boolean(keepMask[i + 1]))
        return fail({
          code: 'FORMAT_SPLIT_LDIMM64',
          message: `slot ${i}: ld_imm64 halves kept differently`,
          index: i
        })
      i++
    }
  }
  const newIndexOf = slotMapFromKeepMask(keepMask)
  const newCount = newIndexOf.reduce((c, v) => (v >= 0 ? c + 1 : c), 0)
  const pos = landingPositions(newIndexOf, newCount)
  const out: Insn[] = []
  for (let i = 0; i < n; i++) {
    const ni = newIndexOf[i]!
    if (ni < 0) continue
    const ins = slots[i]!
    const copy: Insn = { ...ins }
    out.push(copy)
    const cls = ins.code & 0x07
    const op = ins.code & 0xf0
    if (cls !== CLASS_JMP && cls !== CLASS_JMP32) continue
    if (secondHalf[i]) continue
    if (op === 0x90) continue // exit
    const useImm = op === 0x80 || (cls === CLASS_JMP32 && op === 0x00)
    if (op === 0x80) {
      if (cls !== CLASS_JMP || ins.src !== 1 || options.relocatedSlots?.has(i)) continue
    }
    const delta = useImm ? ins.imm : ins.off
    const target = i + delta + 1
    if (target < 0 || target > n)
      return fail({
        code: 'FORMAT_JUMP_OUT_OF_RANGE',
        message: `slot ${i} jumps to ${target}, outside 0..${n}`,
        index: i
      })
    const moved = pos[target]! - ni - 1
    if (useImm) copy.imm = moved
    else if (moved < -32768 || moved > 32767)
      return fail({
        code: 'FORMAT_JUMP_TOO_FAR',
        message: `slot ${i}: new offset ${moved} overflows 16 bits`,
        index: i
      })
    else copy.off = moved
  }
  return ok({ slots: out, newIndexOf })
}
