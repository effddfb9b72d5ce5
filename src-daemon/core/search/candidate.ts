/**
 * @fileoverview A search candidate: a program as parallel typed arrays of fixed capacity (the
 * original slot count), with removed slots marked NOP, and its conversion back to compact slots.
 */
import type { Insn } from '../isa/insn'
import { lookupSpec } from '../isa/lookup'
import { OPS } from '../isa/opcodes'

/** What a slot holds: a live instruction, a removed one, or the second half of an ld_imm64. */
export const SlotKind = { live: 0, nop: 1, lddwTail: 2 } as const

/** A slot kind value. */
export type SlotKindValue = (typeof SlotKind)[keyof typeof SlotKind]

/** Row value for slots that have no opcode-table row (NOPs, ld_imm64 tails, unknown opcodes). */
export const NO_ROW = 0xffff

/**
 * A program of fixed capacity as parallel arrays. `row[i]` is the opcode-table row id of a live
 * slot (or {@link NO_ROW}); NOP slots keep stale fields that only matter if revived by a move.
 */
export class Candidate {
  /** Number of slots (fixed for the life of the candidate). */
  readonly length: number
  /** Opcode byte per slot. */
  readonly code: Uint8Array
  /** Destination register field per slot. */
  readonly dst: Uint8Array
  /** Source register field per slot. */
  readonly src: Uint8Array
  /** Signed 16-bit offset per slot. */
  readonly off: Int16Array
  /** Signed 32-bit immediate per slot. */
  readonly imm: Int32Array
  /** {@link SlotKind} per slot. */
  readonly kind: Uint8Array
  /** Opcode-table row id per slot, {@link NO_ROW} when none. */
  readonly row: Uint16Array

  /** Makes an empty candidate of `length` slots, all NOP. */
  constructor(length: number) {
    this.length = length
    this.code = new Uint8Array(length)
    this.dst = new Uint8Array(length)
    this.src = new Uint8Array(length)
    this.off = new Int16Array(length)
    this.imm = new Int32Array(length)
    this.kind = new Uint8Array(length).fill(SlotKind.nop)
    this.row = new Uint16Array(length).fill(NO_ROW)
  }

  /** Builds a candidate from raw slots (ld_imm64 = two slots; the second is marked as a tail). */
  static fromSlots(slots: readonly Insn[]): Candidate {
    const c = new Candidate(slots.length)
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!
      c.code[i] = s.code & 0xff
      c.dst[i] = s.dst & 0xf
      c.src[i] = s.src & 0xf
      c.off[i] = s.off
      c.imm[i] = s.imm
      const spec = lookupSpec(s)
      c.kind[i] = SlotKind.live
      c.row[i] = spec === undefined ? NO_ROW : spec.id
      if (spec?.kind === 'lddw' && i + 1 < slots.length) {
        i++
        const t = slots[i]!
        c.code[i] = t.code & 0xff
        c.dst[i] = t.dst & 0xf
        c.src[i] = t.src & 0xf
        c.off[i] = t.off
        c.imm[i] = t.imm
        c.kind[i] = SlotKind.lddwTail
        c.row[i] = NO_ROW
      }
    }
    return c
  }

  /** Overwrites this candidate with `other` (same length) without allocating. */
  copyFrom(other: Candidate): void {
    this.code.set(other.code)
    this.dst.set(other.dst)
    this.src.set(other.src)
    this.off.set(other.off)
    this.imm.set(other.imm)
    this.kind.set(other.kind)
    this.row.set(other.row)
  }

  /** A fresh copy. */
  clone(): Candidate {
    const c = new Candidate(this.length)
    c.copyFrom(this)
    return c
  }

  /** True when both candidates hold the same live program slot by slot (NOP contents ignored). */
  equals(other: Candidate): boolean {
    if (other.length !== this.length) return false
    for (let i = 0; i < this.length; i++) {
      const k = this.kind[i]
      if (k !== other.kind[i]) return false
      if (k !== SlotKind.nop && !this.sameInsnAt(i, other)) return false
    }
    return true
  }

  /** True when slot `i` holds the same instruction fields here and in `other` (kinds aside). */
  sameInsnAt(i: number, other: Candidate): boolean {
    return (
      this.code[i] === other.code[i] &&
      this.dst[i] === other.dst[i] &&
      this.src[i] === other.src[i] &&
      this.off[i] === other.off[i] &&
      this.imm[i] === other.imm[i]
    )
  }

  /**
   * 32-bit FNV-1a hash of the live slots in order (NOP slots skipped, so equal programs with
   * NOPs in different places hash alike unless a jump offset differs). For caches, not identity.
   */
  hash(): number {
    let h = 0x811c9dc5
    for (let i = 0; i < this.length; i++) {
      if (this.kind[i] === SlotKind.nop) continue
      h = Math.imul(h ^ this.code[i]!, 0x01000193)
      h = Math.imul(h ^ (this.dst[i]! | (this.src[i]! << 4)), 0x01000193)
      h = Math.imul(h ^ (this.off[i]! & 0xffff), 0x01000193)
      h = Math.imul(h ^ this.imm[i]!, 0x01000193)
    }
    return h >>> 0
  }

  /** Number of non-NOP slots (an ld_imm64 counts 2). */
  liveSlots(): number {
    let n = 0
    for (let i = 0; i < this.length; i++) if (this.kind[i] !== SlotKind.nop) n++
    return n
  }

  /** Slot `i` as an {@link Insn} (its stored fields, whatever its kind). */
  slot(i: number): Insn {
    return {
      code: this.code[i]!,
      dst: this.dst[i]!,
      src: this.src[i]!,
      off: this.off[i]!,
      imm: this.imm[i]!
    }
  }

  /** Slot count is preserved; NOPs become `ja +0` (what an in-place patch of the object needs). */
  toFixedSlots(): Insn[] {
    const out: Insn[] = []
    for (let i = 0; i < this.length; i++) {
      out.push(
        this.kind[i] === SlotKind.nop
          ? { code: 0x05, dst: 0, src: 0, off: 0, imm: 0 }
          : this.slot(i)
      )
    }
    return out
  }

  /**
   * The program with NOP slots physically removed and every jump (16-bit `off`, `gotol`'s 32-bit
   * `imm`, bpf-to-bpf call `imm`) re-targeted. A jump to a NOP slot lands on the next kept slot,
   * which is where execution of the NOP would have continued; backward jumps work the same way.
   */
  compact(): Insn[] {
    const n = this.length
    // newIndex[t] = number of kept slots before t, for t in [0, n].
    const newIndex = new Int32Array(n + 1)
    let kept = 0
    for (let t = 0; t < n; t++) {
      newIndex[t] = kept
      if (this.kind[t] !== SlotKind.nop) kept++
    }
    newIndex[n] = kept
    const out: Insn[] = []
    for (let i = 0; i < n; i++) {
      if (this.kind[i] === SlotKind.nop) continue
      const ins = this.slot(i)
      const r = this.row[i]!
      const spec = r === NO_ROW ? undefined : OPS[r]
      if (spec !== undefined && this.kind[i] === SlotKind.live) {
        if (spec.kind === 'jmp' || (spec.kind === 'ja' && !spec.long)) {
          ins.off = retarget(newIndex, n, i, ins.off)
        } else if (
          (spec.kind === 'ja' && spec.long) ||
          (spec.kind === 'call' && spec.target === 'local')
        ) {
          ins.imm = retarget(newIndex, n, i, ins.imm)
        }
      }
      out.push(ins)
    }
    return out
  }
}

/** New relative offset of a jump at old slot `i` with old relative offset `rel`. */
function retarget(newIndex: Int32Array, n: number, i: number, rel: number): number {
  const t = i + 1 + rel
  if (t < 0 || t > n) return rel // out of range already: leave as is, validation reports it
  return newIndex[t]! - newIndex[i]! - 1
}
