/**
 * @fileoverview Which bytes of the main stack frame the code after a window may still read, so
 * a window post-condition can ignore stack bytes nobody reads again (a deleted dead store).
 * A forward pass tracks registers that hold `r10 + constant`; every later load, atomic and
 * helper argument through such a register marks its bytes. Anything it cannot follow (a pointer
 * of unknown offset, a reloaded spill, an unknown helper given a stack pointer, loops, bpf-to-bpf
 * calls) makes the whole frame live, which is always sound.
 */
import type { Decoded, Program } from '../isa/decode'
import { jumpTarget } from '../isa/jump'
import { regWritten } from '../isa/regs'
import { successors } from './liveness'

/** Register fact: not a stack pointer, `r10 + off`, or possibly a stack pointer of unknown offset. */
type StackFact =
  | { readonly kind: 'none' }
  | { readonly kind: 'fp'; readonly off: number }
  | { readonly kind: 'any' }

const NONE: StackFact = { kind: 'none' }
const ANY: StackFact = { kind: 'any' }

function join(a: StackFact, b: StackFact): StackFact {
  if (a.kind === b.kind && (a.kind !== 'fp' || (b.kind === 'fp' && a.off === b.off))) return a
  return a.kind === 'none' && b.kind === 'none' ? NONE : ANY
}

/** Key/value sizes the map helpers read through r2 (and r3 for update). */
export interface MapSizes {
  readonly keySize: number
  readonly valueSize: number
}

/** Result: the set of live frame offsets (negative, relative to r10), or every byte. */
export type LiveStack =
  { readonly kind: 'all' } | { readonly kind: 'some'; readonly offsets: ReadonlySet<number> }

function transfer(d: Decoded, regs: StackFact[]): void {
  const s = d.spec
  const { dst, src, imm } = d.insn
  if (s.kind === 'call' || s.kind === 'ldabs' || s.kind === 'ldind') {
    for (let r = 0; r <= 5; r++) regs[r] = NONE
    return
  }
  if (s.kind === 'alu') {
    const cur = regs[dst]!
    if (s.op === 'mov' && s.source === 'reg' && s.is64) regs[dst] = regs[src]!
    else if (s.op === 'mov' && s.source === 'imm') regs[dst] = NONE
    else if (
      s.is64 &&
      s.source === 'imm' &&
      cur.kind === 'fp' &&
      (s.op === 'add' || s.op === 'sub')
    )
      regs[dst] = { kind: 'fp', off: cur.off + (s.op === 'add' ? imm : -imm) }
    else if (cur.kind === 'none' && (s.source === 'imm' || regs[src]!.kind === 'none'))
      regs[dst] = NONE
    else regs[dst] = ANY
    return
  }
  const w = regWritten(d)
  if (w === undefined) return
  // Loads (and atomic fetches) from the stack may reload a spilled stack pointer.
  const fromStack =
    (s.kind === 'ldx' && regs[src]!.kind !== 'none') ||
    (s.kind === 'atomic' && regs[dst]!.kind !== 'none')
  regs[w] = fromStack ? ANY : NONE
}

/** Frame bytes tracked: offsets -512..-1 from r10. */
const FRAME = 512

/** Live frame bytes at one point: a byte set (index = offset + 512), or every byte. */
interface ByteSet {
  all: boolean
  readonly bytes: Uint8Array
}

/** Marks `size` bytes at `f + off` in `set`; false when `f` may point anywhere in the frame. */
function addBytes(set: ByteSet, f: StackFact, off: number, size: number): boolean {
  if (f.kind === 'none') return true
  if (f.kind === 'any') return false
  for (let i = 0; i < size; i++) {
    const at = f.off + off + i + FRAME
    if (at >= 0 && at < FRAME) set.bytes[at] = 1
  }
  return true
}

/**
 * The frame bytes that code after slot `end` may read before overwriting them, for `program`
 * whose maps have `maps` sizes: a backward byte liveness over the register facts of a forward
 * pass. Conservative: `all` whenever the passes cannot be sure.
 */
export function stackReadAfter(
  program: Program,
  end: number,
  maps: readonly MapSizes[]
): LiveStack {
  const insns = program.insns
  const at = new Map(insns.map((d, k) => [d.index, k]))
  for (const d of insns) {
    const t = jumpTarget(d)
    if (d.spec.kind === 'call' && d.spec.target === 'local') return { kind: 'all' }
    if (t !== undefined && t <= d.index) return { kind: 'all' }
  }
  const succ = insns.map((_, k) => successors(insns, k, at))
  // Forward: register facts before each instruction (no backward edges: one pass suffices).
  const before: (StackFact[] | undefined)[] = new Array<StackFact[] | undefined>(insns.length)
  before[0] = Array.from({ length: 11 }, (_, r): StackFact =>
    r === 10 ? { kind: 'fp', off: 0 } : NONE
  )
  for (let k = 0; k < insns.length; k++) {
    const regs = before[k]
    if (regs === undefined) continue
    const out = [...regs]
    transfer(insns[k]!, out)
    for (const n of succ[k]!) {
      const cur = before[n]
      before[n] = cur === undefined ? [...out] : cur.map((f, r) => join(f, out[r]!))
    }
  }
  let maxKey = 0
  let maxValue = 0
  for (const m of maps) {
    maxKey = Math.max(maxKey, m.keySize)
    maxValue = Math.max(maxValue, m.valueSize)
  }
  // Backward: bytes live before each instruction.
  const liveIn: ByteSet[] = new Array<ByteSet>(insns.length)
  for (let k = insns.length - 1; k >= 0; k--) {
    const set: ByteSet = { all: false, bytes: new Uint8Array(FRAME) }
    for (const n of succ[k]!) {
      const l = liveIn[n]!
      set.all ||= l.all
      for (let i = 0; i < FRAME; i++) set.bytes[i] ||= l.bytes[i]!
    }
    liveIn[k] = set
    const regs = before[k]
    if (regs === undefined || set.all) continue
    const d = insns[k]!
    const s = d.spec
    // A store of a known place kills its bytes; anything that reads marks them.
    if ((s.kind === 'st' || s.kind === 'stx') && regs[d.insn.dst]!.kind === 'fp') {
      const f = regs[d.insn.dst] as { off: number }
      for (let i = 0; i < s.bytes; i++) {
        const a = f.off + d.insn.off + i + FRAME
        if (a >= 0 && a < FRAME) set.bytes[a] = 0
      }
    }
    let ok = true
    if (s.kind === 'ldx') ok = addBytes(set, regs[d.insn.src]!, d.insn.off, s.bytes)
    else if (s.kind === 'atomic') ok = addBytes(set, regs[d.insn.dst]!, d.insn.off, s.bytes)
    else if (s.kind === 'call' && s.target === 'helper') {
      const id = d.insn.imm
      if (id === 1 || id === 3) ok = addBytes(set, regs[2]!, 0, maxKey)
      else if (id === 2)
        ok = addBytes(set, regs[2]!, 0, maxKey) && addBytes(set, regs[3]!, 0, maxValue)
      else if (id !== 12) ok = [1, 2, 3, 4, 5].every((r) => regs[r]!.kind === 'none')
    } else if (s.kind === 'call') ok = false
    if (!ok) set.all = true
  }
  const first = insns.findIndex((d) => d.index > end)
  if (first < 0) return { kind: 'some', offsets: new Set() }
  const live = liveIn[first]!
  if (live.all) return { kind: 'all' }
  const offsets = new Set<number>()
  for (let i = 0; i < FRAME; i++) if (live.bytes[i]) offsets.add(i - FRAME)
  return { kind: 'some', offsets }
}
