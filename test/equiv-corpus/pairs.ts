/**
 * @fileoverview The known-equal pair corpus (test/fixtures/equiv/pairs.json): manifest types,
 * loading a pair's programs, applying a near miss's mutation, and checking that a pair's window
 * form (original slots [start, end] → replacement) is exactly how the optimized program differs.
 */
import { readFileSync } from 'node:fs'
import type { Insn } from '../../src-daemon/core/isa/insn'
import {
  assembleLlvm,
  EQUIV_DIR,
  loadOriginal,
  variant,
  type CorpusProgram
} from './corpus-program'
import type { InputJson } from './input-json'

/** One mutation of the optimized program: set one field of one slot. */
export interface Mutation {
  /** Slot of the optimized program. */
  readonly slot: number
  /** Field to change. */
  readonly field: 'code' | 'dst' | 'src' | 'off' | 'imm'
  /** New value. */
  readonly value: number
}

/** A near miss: a mutation of the optimized side that is not equivalent, with a witness input. */
export interface NearMiss {
  /** Stable id, e.g. `xdp1-a/imm`. */
  readonly id: string
  /** What changed, in words (with the mutated instruction's text). */
  readonly description: string
  /** Kind: immediate, offset, width, register, opcode. */
  readonly kind: 'imm' | 'off' | 'width' | 'reg' | 'opcode'
  /** The mutation. */
  readonly mutation: Mutation
  /** An input on which it differs from the original (interpreter). */
  readonly witness: InputJson
  /** Results on the witness (description). */
  readonly witnessResults: { readonly original: string; readonly mutant: string }
  /** Safety analysis verdict on the mutant ('ok' or the rejection). */
  readonly safety: string
}

/** A known-equal pair: a benchmark and a hand-optimized version. */
export interface PairEntry {
  /** Stable id, e.g. `xdp1-a`. */
  readonly id: string
  /** Benchmark name (bench/k2/NAME.*, whose maps and desc both sides use). */
  readonly bench: string
  /** LLVM-syntax file of the optimized program, in test/fixtures/equiv/. */
  readonly file: string
  /** The rewrite in words. */
  readonly rewrite: string
  /** Kinds of rewrite. */
  readonly kinds: readonly string[]
  /** Original slot range replaced (inclusive; an empty replacement deletes it). */
  readonly window: { readonly start: number; readonly end: number }
  /** The replacement instructions (LLVM syntax; jumps name original labels `L<slot>`). */
  readonly replacement: readonly string[]
  /** Slot counts. */
  readonly slots: { readonly original: number; readonly optimized: number }
  /** Safety analysis on the optimized program ('ok' or the rejection, a finding to fix). */
  readonly safety: string
  /** Kernel verifier on the optimized program ('ok', a rejection, or 'not checked'). */
  readonly verifier: string
  /** Non-equivalent mutations of the optimized program. */
  readonly nearMisses: readonly NearMiss[]
}

/** Reads the manifest. */
export function readPairs(): PairEntry[] {
  return JSON.parse(readFileSync(`${EQUIV_DIR}pairs.json`, 'utf8')) as PairEntry[]
}

/** The two programs of a pair. */
export function loadPair(e: Pick<PairEntry, 'id' | 'bench' | 'file'>): {
  original: CorpusProgram
  optimized: CorpusProgram
} {
  const original = loadOriginal(e.bench)
  const text = readFileSync(`${EQUIV_DIR}${e.file}`, 'utf8')
  return { original, optimized: variant(original, e.id, assembleLlvm(text, e.file)) }
}

/** The optimized program with a mutation applied. */
export function mutate(p: CorpusProgram, m: Mutation, label: string): CorpusProgram {
  const slots = p.slots.map((s) => ({ ...s }))
  const s = slots[m.slot]
  if (!s) throw new Error(`${label}: no slot ${m.slot}`)
  s[m.field] = m.value
  return variant(p, label, slots)
}

function isJump(s: Insn): boolean {
  const cls = s.code & 7
  return (cls === 5 || cls === 6) && s.code !== 0x85 && s.code !== 0x95
}

/**
 * Checks the window form: outside the window the optimized program is the original with
 * shifted slots, and every jump outside the window keeps its target (mapped through the window).
 * Returns undefined when consistent, else what differs.
 */
export function windowMismatch(
  original: readonly Insn[],
  optimized: readonly Insn[],
  start: number,
  end: number
): string | undefined {
  const delta = optimized.length - original.length
  const replaced = end - start + 1
  if (replaced + delta < 0) return 'optimized program shorter than the window allows'
  const map = (t: number): number | undefined => (t <= start ? t : t > end ? t + delta : undefined)
  for (let i = 0; i < original.length; i++) {
    if (i >= start && i <= end) continue
    const a = original[i]!
    const j = i < start ? i : i + delta
    const b = optimized[j]
    if (!b) return `slot ${i} missing`
    if (a.code !== b.code || a.dst !== b.dst || a.src !== b.src || a.imm !== b.imm)
      return `slot ${i} → ${j} differs`
    if (!isJump(a) || (i > 0 && original[i - 1]!.code === 0x18)) {
      if (a.off !== b.off) return `slot ${i} → ${j} offset differs`
      continue
    }
    const target = map(i + 1 + a.off)
    if (target === undefined) return `jump at ${i} enters the window`
    if (j + 1 + b.off !== target)
      return `jump at ${i} → ${j}: target ${j + 1 + b.off}, expected ${target}`
  }
  return undefined
}
