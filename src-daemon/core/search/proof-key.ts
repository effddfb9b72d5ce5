/**
 * @fileoverview Canonical key of a candidate for the proof cache: the compacted program with dead
 * code removed (unreachable instructions, `goto +0`, and side-effect-free instructions whose
 * result no path reads) and the callee-saved registers r6..r9 renamed in order of first use.
 * Both preserve behaviour (only r0, memory, maps and effects are observed; r6..r9 start
 * uninitialised and calls preserve them; candidates reach the prover only after the safety
 * analysis accepted them, so a dead load cannot fault), so equal keys have equal proof answers.
 */
import type { Insn } from '../isa/insn'
import { jumpTarget } from '../isa/jump'
import { lookupSpec } from '../isa/lookup'
import type { OpSpec } from '../isa/opcodes'
import { clobberMask, readMask, regWritten } from '../isa/regs'

const CLS_LD = 0
const CLS_LDX = 1
const CLS_ST = 2
const CLS_STX = 3
const CLS_ALU = 4
const CLS_JMP = 5
const CLS_JMP32 = 6
const CLS_ALU64 = 7

/** Which fields of `s` name registers: bit 0 dst, bit 1 src. */
function registerFields(s: Insn, prevWasLddw: boolean): number {
  if (prevWasLddw) return 0 // second half of ld_imm64
  const cls = s.code & 7
  switch (cls) {
    case CLS_LD:
      if (s.code === 0x18) return 1
      return (s.code & 0xe0) === 0x40 ? 2 : 0 // ld_ind reads src
    case CLS_LDX:
    case CLS_STX:
      return 3
    case CLS_ST:
      return 1
    case CLS_ALU:
    case CLS_ALU64:
      return s.code & 0x08 ? 3 : 1
    case CLS_JMP:
    case CLS_JMP32: {
      const op = s.code & 0xf0
      if (op === 0x00 || op === 0x80 || op === 0x90) return 0 // ja, call, exit
      return s.code & 0x08 ? 3 : 1
    }
    default:
      return 0
  }
}

/** One decoded instruction of the program being keyed. */
interface KeyInsn {
  readonly index: number
  readonly spec: OpSpec
  readonly insn: Insn
  /** Its ld_imm64 second slot, if any. */
  readonly tail?: Insn
}

function decodeForKey(slots: readonly Insn[]): KeyInsn[] | undefined {
  const out: KeyInsn[] = []
  for (let i = 0; i < slots.length; i++) {
    const spec = lookupSpec(slots[i]!)
    if (spec === undefined) return undefined
    if (spec.kind === 'lddw') {
      const tail = slots[i + 1]
      if (tail === undefined) return undefined
      out.push({ index: i, spec, insn: slots[i]!, tail })
      i++
    } else out.push({ index: i, spec, insn: slots[i]! })
  }
  return out
}

/** Successor instruction positions (in `prog`) of instruction k. */
function successors(prog: readonly KeyInsn[], at: Map<number, number>, k: number): number[] {
  const d = prog[k]!
  const s = d.spec
  if (s.kind === 'exit') return []
  const next = k + 1 < prog.length ? [k + 1] : []
  const t = jumpTarget(d)
  if (t === undefined || s.kind === 'call') return next
  const tk = at.get(t)
  const jumped = tk === undefined ? [] : [tk]
  return s.kind === 'ja' ? jumped : [...next, ...jumped]
}

const PURE = new Set(['alu', 'end', 'ldx', 'lddw'])

/**
 * Positions of the instructions that matter: reachable ones, minus `goto +0` and pure
 * instructions whose result is dead, repeated until nothing more falls away. Programs with
 * bpf-to-bpf calls keep every reachable instruction (liveness across frames is not modelled).
 */
function keptInstructions(prog: readonly KeyInsn[]): boolean[] {
  const n = prog.length
  const at = new Map(prog.map((d, k) => [d.index, k]))
  const keep = new Array<boolean>(n).fill(false)
  const stack = [0]
  while (stack.length > 0) {
    const k = stack.pop()!
    if (k >= n || keep[k]) continue
    keep[k] = true
    stack.push(...successors(prog, at, k))
  }
  const localCalls = prog.some((d) => d.spec.kind === 'call' && d.spec.target === 'local')
  for (let k = 0; k < n; k++) {
    const d = prog[k]!
    if (d.spec.kind === 'ja' && !d.spec.long && d.insn.off === 0) keep[k] = false
  }
  if (localCalls) return keep
  const succ = prog.map((_, k) => successors(prog, at, k))
  for (let round = 0; round < n; round++) {
    const liveIn = new Array<number>(n).fill(0)
    for (let changed = true; changed;) {
      changed = false
      for (let k = n - 1; k >= 0; k--) {
        let out = 0
        for (const s of succ[k]!) out |= liveIn[s]!
        let inn = out
        if (keep[k]) {
          const d = prog[k]!
          const w = regWritten(d)
          if (w !== undefined) inn &= ~(1 << w)
          inn = (inn & ~clobberMask(d)) | readMask(d)
        }
        if (inn !== liveIn[k]) {
          liveIn[k] = inn
          changed = true
        }
      }
    }
    let removed = false
    for (let k = 0; k < n; k++) {
      const d = prog[k]!
      if (!keep[k] || !PURE.has(d.spec.kind)) continue
      let out = 0
      for (const s of succ[k]!) out |= liveIn[s]!
      if ((out & (1 << d.insn.dst)) === 0) {
        keep[k] = false
        removed = true
      }
    }
    if (!removed) break
  }
  return keep
}

/**
 * The program with dropped instructions removed and every jump re-targeted to the first kept
 * instruction at or after its old target. Undefined when the slots do not decode.
 */
export function withoutDeadCode(slots: readonly Insn[]): Insn[] | undefined {
  const prog = decodeForKey(slots)
  if (prog === undefined || prog.length === 0) return undefined
  const keep = keptInstructions(prog)
  // newSlot[k] = slot index of instruction k in the output (or of the next kept one).
  const newSlot = new Array<number>(prog.length + 1)
  let slot = 0
  for (let k = 0; k < prog.length; k++) {
    newSlot[k] = slot
    if (keep[k]) slot += prog[k]!.tail !== undefined ? 2 : 1
  }
  newSlot[prog.length] = slot
  const at = new Map(prog.map((d, k) => [d.index, k]))
  const out: Insn[] = []
  for (let k = 0; k < prog.length; k++) {
    if (!keep[k]) continue
    const d = prog[k]!
    const ins = { ...d.insn }
    const t = jumpTarget(d)
    if (t !== undefined) {
      const tk = at.get(t) ?? (t >= slots.length ? prog.length : undefined)
      if (tk === undefined) return undefined
      const rel = newSlot[tk]! - newSlot[k]! - 1
      if ((d.spec.kind === 'ja' && d.spec.long) || d.spec.kind === 'call') ins.imm = rel
      else ins.off = rel
    }
    out.push(ins)
    if (d.tail !== undefined) out.push({ ...d.tail })
  }
  return out
}

/** Canonical key of compacted `slots` (see the file overview). */
export function canonicalProofKey(slots: readonly Insn[]): string {
  return renamedKey(withoutDeadCode(slots) ?? slots)
}

/** The key text of `slots` with r6..r9 renamed in order of first use. */
function renamedKey(slots: readonly Insn[]): string {
  const rename = [0, 1, 2, 3, 4, 5, -1, -1, -1, -1, 10, 11, 12, 13, 14, 15]
  let next = 6
  const map = (r: number): number => {
    if (r < 6 || r > 9) return r
    if (rename[r]! < 0) rename[r] = next++
    return rename[r]!
  }
  let out = ''
  let lddw = false
  for (const s of slots) {
    const f = registerFields(s, lddw)
    const dst = f & 1 ? map(s.dst) : s.dst
    const src = f & 2 ? map(s.src) : s.src
    out += `${s.code},${dst},${src},${s.off},${s.imm};`
    lddw = !lddw && s.code === 0x18
  }
  return out
}
