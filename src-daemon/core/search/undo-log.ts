/** @fileoverview A fixed-capacity undo log of candidate slots in preallocated typed arrays. */
import { SlotKind, type Candidate } from './candidate'

/** Saves slots before a move mutates them and restores them on rejection; never allocates. */
export class UndoLog {
  /** Number of saved entries. */
  count = 0
  /** Saved slot indices. */
  readonly idx: Int32Array
  /** Saved fields, per entry. */
  readonly code: Uint8Array
  readonly dst: Uint8Array
  readonly src: Uint8Array
  readonly off: Int16Array
  readonly imm: Int32Array
  readonly kind: Uint8Array
  readonly row: Uint16Array

  /** Makes a log holding up to `capacity` slots. */
  constructor(capacity: number) {
    this.idx = new Int32Array(capacity)
    this.code = new Uint8Array(capacity)
    this.dst = new Uint8Array(capacity)
    this.src = new Uint8Array(capacity)
    this.off = new Int16Array(capacity)
    this.imm = new Int32Array(capacity)
    this.kind = new Uint8Array(capacity)
    this.row = new Uint16Array(capacity)
  }

  /** Records slot i of c as it is now. */
  save(c: Candidate, i: number): void {
    const k = this.count++
    this.idx[k] = i
    this.code[k] = c.code[i]!
    this.dst[k] = c.dst[i]!
    this.src[k] = c.src[i]!
    this.off[k] = c.off[i]!
    this.imm[k] = c.imm[i]!
    this.kind[k] = c.kind[i]!
    this.row[k] = c.row[i]!
  }

  /** Restores entries after the first `mark` (newest first) and forgets them. */
  undoTo(c: Candidate, mark: number): void {
    for (let k = this.count - 1; k >= mark; k--) {
      const i = this.idx[k]!
      c.code[i] = this.code[k]!
      c.dst[i] = this.dst[k]!
      c.src[i] = this.src[k]!
      c.off[i] = this.off[k]!
      c.imm[i] = this.imm[k]!
      c.kind[i] = this.kind[k]!
      c.row[i] = this.row[k]!
    }
    this.count = mark
  }

  /** Writes saved entry k's instruction (not its kind) into slot i of c. */
  writeEntry(c: Candidate, k: number, i: number): void {
    c.code[i] = this.code[k]!
    c.dst[i] = this.dst[k]!
    c.src[i] = this.src[k]!
    c.off[i] = this.off[k]!
    c.imm[i] = this.imm[k]!
    c.row[i] = this.row[k]!
  }

  /** True when some saved slot differs from its saved state (NOP contents ignored). */
  changed(c: Candidate): boolean {
    for (let k = 0; k < this.count; k++) {
      const i = this.idx[k]!
      const kind = c.kind[i]!
      if (kind !== this.kind[k]) return true
      if (kind === SlotKind.nop) continue
      if (
        c.code[i] !== this.code[k] ||
        c.dst[i] !== this.dst[k] ||
        c.src[i] !== this.src[k] ||
        c.off[i] !== this.off[k] ||
        c.imm[i] !== this.imm[k] ||
        c.row[i] !== this.row[k]
      )
        return true
    }
    return false
  }
}
