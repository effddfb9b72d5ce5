/** @fileoverview The abstract machine state: frames of registers and stack slots, references; copying and comparing. */
import { boundsContain, NOT_INIT } from './reg'
import { T, type Reg } from './types'

/** Kind of one stack byte. */
export const enum B {
  INVALID = 0,
  MISC = 1,
  ZERO = 2,
  SPILL = 3
}

/** One 8-byte stack slot: 2 bits of {@link B} per byte (byte i at bits 2i), and a spilled register. */
export interface Slot {
  readonly kinds: number
  readonly spill: Reg | undefined
}

/** Stack slots per frame (512 bytes). */
export const SLOTS = 64

/** One function activation. */
export interface Frame {
  /** r0..r10. */
  regs: Reg[]
  /** Slot i covers fp-8(i+1) .. fp-8i-1 (grown on demand, holes are unwritten slots). */
  stack: (Slot | undefined)[]
  /** Position of the call instruction that created the frame (-1: main). */
  readonly callsite: number
  /** Subprogram index. */
  readonly subprog: number
}

/** A verifier state on one path. */
export interface State {
  frames: Frame[]
  /** Unreleased references (ids) with the slot that acquired each. */
  refs: { id: number; index: number }[]
}

/** The innermost frame. */
export function top(s: State): Frame {
  return s.frames[s.frames.length - 1] as Frame
}

/** A copy sharing the immutable registers and slots. */
export function cloneState(s: State): State {
  return {
    frames: s.frames.map((f) => ({ ...f, regs: f.regs.slice(), stack: f.stack.slice() })),
    refs: s.refs.slice()
  }
}

/** A fresh frame with every register uninitialised except r10. */
export function newFrame(depth: number, callsite: number, subprog: number): Frame {
  const regs: Reg[] = new Array<Reg>(11).fill(NOT_INIT)
  regs[10] = { ...NOT_INIT, type: T.STACK, frame: depth }
  return { regs, stack: [], callsite, subprog }
}

/** Kind of byte `i` of a slot. */
export function byteKind(s: Slot | undefined, i: number): B {
  return s === undefined ? B.INVALID : (((s.kinds >> (2 * i)) & 3) as B)
}

/** Applies `f` to every register and spilled register of every frame, replacing it by the result. */
export function mapAllRegs(s: State, f: (r: Reg) => Reg): void {
  for (const fr of s.frames) {
    for (let i = 0; i < 11; i++) {
      const r = fr.regs[i] as Reg
      const n = f(r)
      if (n !== r) fr.regs[i] = n
    }
    for (let i = 0; i < fr.stack.length; i++) {
      const sl = fr.stack[i]
      if (sl?.spill === undefined) continue
      const n = f(sl.spill)
      if (n === sl.spill) continue
      fr.stack[i] = { kinds: sl.kinds, spill: n }
    }
  }
}

/** Consistent renaming of ids between an old and a current state (the kernel's check_ids). */
class IdMap {
  private readonly pairs = new Map<number, number>()
  private readonly back = new Map<number, number>()
  ok(oldId: number, curId: number): boolean {
    if (oldId === 0) return true
    if (curId === 0) return false
    const m = this.pairs.get(oldId)
    const b = this.back.get(curId)
    if (m === undefined && b === undefined) {
      this.pairs.set(oldId, curId)
      this.back.set(curId, oldId)
      return true
    }
    return m === curId && b === oldId
  }
}

/** Whether every concrete value `cur` may hold, `old` allows too (old explored ⇒ cur safe). */
function regSafe(old: Reg, cur: Reg, ids: IdMap): boolean {
  if (old.type === T.NOT_INIT) return true
  if (old.type !== cur.type) return false
  if (old.type === T.SCALAR) {
    if (old.id !== 0 && !ids.ok(old.id, cur.id)) return false
    return boundsContain(old, cur)
  }
  if (old.off !== cur.off || old.map !== cur.map || old.frame !== cur.frame) return false
  if (old.ref !== cur.ref) return false
  // Kernel-BTF pointers keep their flags (trusted, user, ...) in `range`: only equal flags cover.
  if ((old.type === T.BTF_ID || old.type === T.BTF_ID_OR_NULL) && old.range !== cur.range)
    return false
  if (old.type === T.PKT || old.type === T.PKT_META) {
    // Negative ranges mark pointers at or beyond the packet end, which decide branches: only an
    // identical mark is covered (stricter than a plain comparison, never more generous).
    if (old.range > cur.range || ((old.range < 0 || cur.range < 0) && old.range !== cur.range))
      return false
  }
  if (!ids.ok(old.id, cur.id)) return false
  return boundsContain(old, cur)
}

function spilledBytes(s: Slot | undefined): number {
  if (s?.spill === undefined) return 0
  let n = 0
  while (n < 8 && byteKind(s, n) === B.SPILL) n++
  return n
}

function slotSafe(
  old: Slot | undefined,
  cur: Slot | undefined,
  ids: IdMap,
  uninitOk: boolean
): boolean {
  if (old === undefined) return true
  const n = spilledBytes(old)
  if (n > 0) {
    if (spilledBytes(cur) !== n || cur?.spill === undefined || old.spill === undefined) return false
    if (!regSafe(old.spill, cur.spill, ids)) return false
  }
  for (let i = n; i < 8; i++) {
    const o = byteKind(old, i)
    const c = byteKind(cur, i)
    if (o === B.INVALID) continue
    if (c === B.SPILL) {
      const sp = cur?.spill
      if (sp === undefined || sp.type !== T.SCALAR) return false
      if (o === B.ZERO && !(sp.tm === 0n && sp.tv === 0n)) return false
      continue
    }
    if (o === B.MISC && (c === B.MISC || c === B.ZERO || (c === B.INVALID && uninitOk))) continue
    if (o === B.ZERO && c === B.ZERO) continue
    return false
  }
  return true
}

/**
 * Whether `cur` is covered by `old` (so `cur`'s continuation is safe because `old`'s was):
 * registers of the innermost frame are compared where live, everything else fully.
 */
export function subsumes(
  old: State,
  cur: State,
  liveTop: number,
  liveCallers: readonly number[],
  uninitOk: boolean
): boolean {
  if (old.frames.length !== cur.frames.length) return false
  if (old.refs.length !== cur.refs.length) return false
  const ids = new IdMap()
  const depth = old.frames.length
  for (let f = 0; f < depth; f++) {
    const of = old.frames[f] as Frame
    const cf = cur.frames[f] as Frame
    if (of.callsite !== cf.callsite) return false
    const live = f === depth - 1 ? liveTop : (liveCallers[f] ?? 0x7ff)
    for (let r = 0; r < 10; r++) {
      if (!(live & (1 << r))) continue
      if (!regSafe(of.regs[r] as Reg, cf.regs[r] as Reg, ids)) return false
    }
    for (let i = 0; i < of.stack.length; i++) {
      if (!slotSafe(of.stack[i], cf.stack[i], ids, uninitOk)) return false
    }
  }
  return true
}

/** Exact equality of two states (used to detect a loop that makes no progress). */
export function sameState(a: State, b: State): boolean {
  if (a.frames.length !== b.frames.length) return false
  for (let f = 0; f < a.frames.length; f++) {
    const x = a.frames[f] as Frame
    const y = b.frames[f] as Frame
    for (let r = 0; r < 11; r++) if (!sameReg(x.regs[r] as Reg, y.regs[r] as Reg)) return false
    const slots = Math.max(x.stack.length, y.stack.length)
    for (let i = 0; i < slots; i++) {
      const s = x.stack[i]
      const t = y.stack[i]
      if (s === t) continue
      if (s === undefined || t === undefined || s.kinds !== t.kinds) return false
      if (
        s.spill !== t.spill &&
        (s.spill === undefined || t.spill === undefined || !sameReg(s.spill, t.spill))
      )
        return false
    }
  }
  return true
}

function sameReg(a: Reg, b: Reg): boolean {
  if (a === b) return true
  return (
    a.type === b.type &&
    a.off === b.off &&
    a.umin === b.umin &&
    a.umax === b.umax &&
    a.smin === b.smin &&
    a.smax === b.smax &&
    a.tv === b.tv &&
    a.tm === b.tm &&
    a.range === b.range &&
    a.map === b.map &&
    a.frame === b.frame
  )
}
