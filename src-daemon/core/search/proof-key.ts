/**
 * @fileoverview Canonical key of a candidate for the proof cache: the compacted program with dead
 * code removed (unreachable instructions, `goto +0`, and side-effect-free instructions whose
 * result no path reads) and the callee-saved registers r6..r9 renamed in order of first use.
 * Both preserve behaviour (only r0, memory, maps and effects are observed; r6..r9 start
 * uninitialised and calls preserve them; candidates reach the prover only after the safety
 * analysis accepted them, so a dead load cannot fault), so equal keys have equal proof answers.
 */
import { decodeProgram } from '../isa/decode'
import type { Insn } from '../isa/insn'
import { liveAfter } from '../smt/liveness'
import { Candidate, SlotKind } from './candidate'
import { reachableSlots } from './idiom-moves'

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

const PURE = new Set(['alu', 'end', 'ldx', 'lddw'])

/**
 * The program without unreachable instructions, `goto +0`, and pure instructions whose result
 * no path reads, repeated until nothing more falls away; jumps are re-targeted as by
 * {@link Candidate.compact}. Programs with bpf-to-bpf calls only lose unreachable code and
 * `goto +0` (liveness across frames is not modelled). Undefined when the slots do not decode.
 */
export function withoutDeadCode(slots: readonly Insn[]): Insn[] | undefined {
  let cur: readonly Insn[] = slots
  for (let round = 0; round <= slots.length; round++) {
    const p = decodeProgram(cur)
    if (!p.ok) return round === 0 ? undefined : [...cur]
    const insns = p.value.insns
    const localCalls = insns.some((d) => d.spec.kind === 'call' && d.spec.target === 'local')
    const c = Candidate.fromSlots(cur)
    const reach = reachableSlots(c)
    const live = liveAfter(p.value)
    let removed = false
    insns.forEach((d, k) => {
      const s = d.spec
      const dead =
        reach[d.index] === 0 ||
        (s.kind === 'ja' && !s.long && d.insn.off === 0) ||
        (!localCalls && PURE.has(s.kind) && (live[k]! & (1 << d.insn.dst)) === 0)
      if (!dead) return
      c.kind[d.index] = SlotKind.nop
      if (s.kind === 'lddw') c.kind[d.index + 1] = SlotKind.nop
      removed = true
    })
    if (!removed) return [...cur]
    cur = c.compact()
  }
  return [...cur]
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
