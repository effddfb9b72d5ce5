/**
 * @fileoverview Proposal moves that mutate a candidate in place and record an undo entry in
 * preallocated buffers, so a proposal/undo pair allocates nothing.
 */
import { OPS } from '../isa/opcodes'
import { NO_ROW, SlotKind, type Candidate } from './candidate'
import { independent } from './defuse'
import { UndoLog } from './undo-log'
import { proposeIdiom } from './idiom-moves'
import { OperandSampler } from './operand-sampler'
import { parseKernelVersion, targetHas } from '../analysis/kernel-target'
import { buildPool, buildProposalTable, MAX_OPERANDS, type ProposalTable } from './proposal-table'
import type { Rng } from './rng'

/** Move ids, in the order of {@link MOVE_NAMES}. */
export const Move = {
  operand: 0,
  replace: 1,
  nop: 2,
  replace2: 3,
  memWidth: 4,
  swap: 5,
  remove: 6,
  idiom: 7
} as const

/** Move names indexed by move id. */
export const MOVE_NAMES = [
  'operand',
  'replace',
  'nop',
  'replace2',
  'memWidth',
  'swap',
  'remove',
  'idiom'
] as const

/** Number of moves. */
export const MOVE_COUNT = MOVE_NAMES.length

/** Relative move probabilities (need not sum to 1). */
export interface MoveWeights {
  readonly pOperand: number
  readonly pReplace: number
  readonly pNop: number
  readonly pReplace2: number
  readonly pMemWidth: number
  readonly pSwap: number
  readonly pRemove: number
  readonly pIdiom: number
}

/** Settings of a {@link Proposer}. */
export interface ProposerOptions extends MoveWeights {
  /** Radius of the default immediate/offset pool. */
  readonly immRadius: number
  readonly allowBackwardJumps: boolean
  readonly allowJumpsInWindow: boolean
  readonly allowIsaV4: boolean
  /** Kernel the result is for (`6.1`); rows it lacks are never created. Empty/absent: newest. */
  readonly targetKernel?: string
}

const TRIES = 16
const UNIT = 0x40000000

/**
 * Samples moves on one candidate shape. Create one per chain with the original program (for the
 * immediate/offset pools); then call {@link propose} and, on rejection, {@link undo}.
 */
export class Proposer {
  /** Sampling tables. */
  readonly table: ProposalTable
  /** Operand value sampler (pools and window-bounded jump targets). */
  readonly sampler: OperandSampler
  private readonly cumulative = new Float64Array(MOVE_COUNT)
  private readonly opts: ProposerOptions
  private readonly n: number
  private winStart = 0
  private winEnd: number
  private readonly log = new UndoLog(4)
  private readonly original: Candidate

  /**
   * Prepares tables and pools from the original program. Slots marked 1 in `pinned` keep their
   * original instruction or are removed: no move rewrites them; slots marked 2 are kept.
   */
  constructor(
    original: Candidate,
    opts: ProposerOptions,
    private readonly pinned?: Uint8Array
  ) {
    this.original = original
    this.opts = opts
    this.n = original.length
    this.winEnd = original.length - 1
    const target = parseKernelVersion(opts.targetKernel ?? '')
    const version = target.ok ? target.value : undefined
    this.table = buildProposalTable(opts.allowIsaV4, version)
    const imms: number[] = []
    const offs: number[] = []
    for (let i = 0; i < original.length; i++) {
      if (original.kind[i] !== SlotKind.live) continue
      const r = original.row[i]!
      if (r === NO_ROW || !this.table.editable[r]) continue
      imms.push(original.imm[i]!)
      if (!this.table.jump[r]) offs.push(original.off[i]!)
    }
    this.sampler = new OperandSampler(
      original.length,
      buildPool(opts.immRadius, imms),
      buildPool(opts.immRadius, offs),
      opts.allowBackwardJumps && targetHas(version, 'bounded_loops')
    )
    const w = [
      opts.pOperand,
      opts.pReplace,
      opts.pNop,
      opts.pReplace2,
      opts.pMemWidth,
      opts.pSwap,
      opts.pRemove,
      opts.pIdiom
    ]
    const total = w.reduce((a, b) => a + b, 0)
    let acc = 0
    for (let m = 0; m < MOVE_COUNT; m++) {
      acc += w[m]! / total
      this.cumulative[m] = acc
    }
    this.cumulative[MOVE_COUNT - 1] = 1
  }

  /** Restricts moves to slots [start, end] (inclusive). */
  setWindow(start: number, end: number): void {
    this.winStart = Math.max(0, start)
    this.winEnd = Math.min(this.n - 1, end)
    this.sampler.setWindow(this.winStart, this.winEnd)
  }

  /** Current window as [start, end]. */
  window(): [number, number] {
    return [this.winStart, this.winEnd]
  }

  /** Picks a move by probability and applies it; returns the move id, or -1 if nothing changed. */
  propose(c: Candidate, rng: Rng): number {
    const u = rng.int(UNIT) / UNIT
    let m = 0
    while (m < MOVE_COUNT - 1 && u >= this.cumulative[m]!) m++
    return this.apply(m, c, rng) ? m : -1
  }

  /** Applies move `m`; returns false (with nothing changed and no undo pending) when it changed nothing. */
  apply(m: number, c: Candidate, rng: Rng): boolean {
    this.log.count = 0
    let done = false
    switch (m) {
      case Move.operand:
        done = this.moveOperand(c, rng)
        break
      case Move.replace:
        done = this.moveReplace(c, rng)
        break
      case Move.nop:
        done = this.moveNop(c, rng)
        break
      case Move.replace2:
        done = this.moveReplace2(c, rng)
        break
      case Move.memWidth:
        done = this.moveMemWidth(c, rng)
        break
      case Move.swap:
        done = this.moveSwap(c, rng)
        break
      case Move.remove:
        done = this.moveRemove(c, rng)
        break
      case Move.idiom:
        done = proposeIdiom(c, this.log, this.winStart, this.winEnd, rng)
        break
    }
    if (!done || this.rewritesPinned(c)) {
      this.undo(c)
      return false
    }
    if (!this.log.changed(c)) {
      this.log.count = 0
      return false
    }
    return true
  }

  /**
   * True when the pending move left a pinned slot live with other than its original instruction,
   * or removed a frozen one.
   */
  private rewritesPinned(c: Candidate): boolean {
    const pinned = this.pinned
    if (pinned === undefined) return false
    const o = this.original
    for (let k = 0; k < this.log.count; k++) {
      const i = this.log.idx[k]!
      const p = pinned[i]!
      if (p === 0) continue
      if (c.kind[i] === SlotKind.nop) {
        if (p === 2 && o.kind[i] !== SlotKind.nop) return true
        continue
      }
      if (c.kind[i] !== o.kind[i] || !c.sameInsnAt(i, o)) return true
    }
    return false
  }

  /** Reverts the last applied move (no-op if none is pending). */
  undo(c: Candidate): void {
    this.log.undoTo(c, 0)
  }

  /** Forgets the pending undo record (the move was accepted). */
  commit(): void {
    this.log.count = 0
  }

  private slotInWindow(rng: Rng): number {
    return this.winStart + rng.int(this.winEnd - this.winStart + 1)
  }

  /** True for a live slot whose row moves may edit. */
  private isEditableLive(c: Candidate, i: number): boolean {
    if (c.kind[i] !== SlotKind.live) return false
    const r = c.row[i]!
    return r !== NO_ROW && this.table.editable[r] === 1
  }

  private setField(c: Candidate, i: number, field: number, v: number): void {
    if (field === 0) c.dst[i] = v
    else if (field === 1) c.src[i] = v
    else if (field === 2) c.off[i] = v
    else c.imm[i] = v
  }

  private moveOperand(c: Candidate, rng: Rng): boolean {
    for (let t = 0; t < TRIES; t++) {
      const i = this.slotInWindow(rng)
      if (!this.isEditableLive(c, i)) continue
      const r = c.row[i]!
      const count = this.table.operandCount[r]!
      if (count === 0) continue
      const k = rng.int(count)
      const field = this.table.operandField[r * MAX_OPERANDS + k]!
      const dom = this.table.operandDomain[r * MAX_OPERANDS + k]!
      this.log.save(c, i)
      if (this.sampler.sampleOperand(c, i, field, dom, true, rng)) return true
      this.undo(c)
    }
    return false
  }

  /** Writes a new row into slot i with freshly sampled operands; false if none fits. */
  private writeNewRow(c: Candidate, i: number, rng: Rng): boolean {
    const jumpsOk =
      (this.sampler.isWhole || this.opts.allowJumpsInWindow) && this.sampler.jumpRange(i) >= 0
    const plain = this.table.createPlain
    const jumps = this.table.createJump
    const total = plain.length + (jumpsOk ? jumps.length : 0)
    const current = c.kind[i] === SlotKind.live ? c.row[i]! : NO_ROW
    for (let t = 0; t < TRIES; t++) {
      const pick = rng.int(total)
      const r = pick < plain.length ? plain[pick]! : jumps[pick - plain.length]!
      if (r === current) continue
      const mark = this.log.count
      this.log.save(c, i)
      if (this.fillRow(c, i, r, rng)) return true
      this.log.undoTo(c, mark)
    }
    return false
  }

  private fillRow(c: Candidate, i: number, r: number, rng: Rng): boolean {
    c.kind[i] = SlotKind.live
    c.row[i] = r
    c.code[i] = opCode(r)
    c.dst[i] = 0
    c.src[i] = 0
    c.off[i] = 0
    c.imm[i] = 0
    const mf = this.table.matchField[r]!
    if (mf !== 0) this.setField(c, i, mf - 1, this.table.matchValue[r]!)
    const count = this.table.operandCount[r]!
    for (let k = 0; k < count; k++) {
      const field = this.table.operandField[r * MAX_OPERANDS + k]!
      const dom = this.table.operandDomain[r * MAX_OPERANDS + k]!
      if (!this.sampler.sampleOperand(c, i, field, dom, false, rng)) return false
    }
    return true
  }

  private replaceable(c: Candidate, i: number): boolean {
    return c.kind[i] === SlotKind.nop || this.isEditableLive(c, i)
  }

  private moveReplace(c: Candidate, rng: Rng): boolean {
    for (let t = 0; t < TRIES; t++) {
      const i = this.slotInWindow(rng)
      if (!this.replaceable(c, i)) continue
      return this.writeNewRow(c, i, rng)
    }
    return false
  }

  private moveReplace2(c: Candidate, rng: Rng): boolean {
    if (this.winEnd <= this.winStart) return false
    for (let t = 0; t < TRIES; t++) {
      const i = this.winStart + rng.int(this.winEnd - this.winStart)
      if (!this.replaceable(c, i) || !this.replaceable(c, i + 1)) continue
      if (!this.writeNewRow(c, i, rng)) return false
      return this.writeNewRow(c, i + 1, rng)
    }
    return false
  }

  private moveNop(c: Candidate, rng: Rng): boolean {
    for (let t = 0; t < TRIES; t++) {
      const i = this.slotInWindow(rng)
      if (c.kind[i] === SlotKind.nop) return false
      if (!this.isEditableLive(c, i)) continue
      this.log.save(c, i)
      c.kind[i] = SlotKind.nop
      return true
    }
    return false
  }

  /**
   * Removes one live instruction or, half of the time, it and the next live one: pairs such as
   * `r0 <<= 32; r0 >>= 32` are dead together but costly one at a time.
   */
  private moveRemove(c: Candidate, rng: Rng): boolean {
    for (let t = 0; t < TRIES; t++) {
      const i = this.slotInWindow(rng)
      if (!this.isEditableLive(c, i)) continue
      this.log.save(c, i)
      c.kind[i] = SlotKind.nop
      if (rng.int(2) === 0) {
        let j = i + 1
        while (j <= this.winEnd && c.kind[j] === SlotKind.nop) j++
        if (j <= this.winEnd && this.isEditableLive(c, j)) {
          this.log.save(c, j)
          c.kind[j] = SlotKind.nop
        }
      }
      return true
    }
    return false
  }

  private moveMemWidth(c: Candidate, rng: Rng): boolean {
    for (let t = 0; t < TRIES; t++) {
      const i = this.slotInWindow(rng)
      if (!this.isEditableLive(c, i)) continue
      const r = c.row[i]!
      const fam = this.table.familyOf[r]!
      if (fam < 0) continue
      const start = this.table.familyStart[fam]!
      const size = this.table.familyStart[fam + 1]! - start
      if (size < 2) continue
      let nr = this.table.familyRows[start + rng.int(size - 1)]!
      if (nr === r) nr = this.table.familyRows[start + size - 1]!
      this.log.save(c, i)
      c.row[i] = nr
      c.code[i] = opCode(nr)
      return true
    }
    return false
  }

  /** True when some live jump lands on slot t (entering between a swapped pair would change meaning). */
  private isJumpTarget(c: Candidate, t: number): boolean {
    for (let j = 0; j < this.n; j++) {
      if (c.kind[j] !== SlotKind.live) continue
      const r = c.row[j]!
      if (r !== NO_ROW && this.table.jump[r] === 1 && j + 1 + c.off[j]! === t) return true
    }
    return false
  }

  private moveSwap(c: Candidate, rng: Rng): boolean {
    if (this.winEnd <= this.winStart) return false
    for (let t = 0; t < TRIES; t++) {
      const i = this.winStart + rng.int(this.winEnd - this.winStart)
      if (!this.isEditableLive(c, i) || !this.isEditableLive(c, i + 1)) continue
      if (!independent(c, i, i + 1) || this.isJumpTarget(c, i + 1)) continue
      this.log.save(c, i)
      this.log.save(c, i + 1)
      const j = i + 1
      this.log.writeEntry(c, 1, i)
      this.log.writeEntry(c, 0, j)
      return true
    }
    return false
  }
}

const ROW_CODE = Uint8Array.from(OPS.map((s) => s.code))

function opCode(r: number): number {
  return ROW_CODE[r]!
}
