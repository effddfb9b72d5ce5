/**
 * @fileoverview Seeded random program mutants (one or two small instruction changes) for
 * measuring how often the analysis and the kernel verifier agree.
 */
import type { Insn } from '../isa/insn'
import { lookupSpec } from '../isa/lookup'
import { OPS, type OpSpec } from '../isa/opcodes'

/** A small deterministic PRNG (mulberry32) returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** What a mutation did, for reports. */
export interface Mutation {
  readonly slot: number
  readonly what: 'opcode' | 'dst' | 'src' | 'off' | 'imm' | 'nop' | 'swap'
}

/** A mutant program and the changes that made it. */
export interface Mutant {
  readonly slots: Insn[]
  readonly mutations: readonly Mutation[]
}

const SINGLE_SLOT_ROWS: readonly OpSpec[] = OPS.filter((r) => r.kind !== 'lddw')
const INTERESTING_IMMS = [0, 1, -1, 2, 4, 7, 8, 14, 16, 32, 63, 64, 255, 0x7fffffff, -0x80000000]

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)] as T
}

/** Slots that start an instruction and are not lddw (safe to rewrite in place). */
function editableSlots(slots: readonly Insn[]): number[] {
  const out: number[] = []
  for (let i = 0; i < slots.length; i++) {
    const s = lookupSpec(slots[i] as Insn)
    if (s?.kind === 'lddw') {
      i++
      continue
    }
    out.push(i)
  }
  return out
}

function withRow(ins: Insn, row: OpSpec): Insn {
  const out: Insn = { ...ins, code: row.code }
  if (row.match !== undefined) out[row.match.field] = row.match.value
  for (const f of row.zero) out[f] = 0
  return out
}

function mutateOne(slots: Insn[], rnd: () => number): Mutation | undefined {
  const editable = editableSlots(slots)
  if (editable.length === 0) return undefined
  const slot = pick(rnd, editable)
  const ins = slots[slot] as Insn
  const what = pick(rnd, ['opcode', 'dst', 'src', 'off', 'imm', 'nop', 'swap'] as const)
  switch (what) {
    case 'opcode': {
      const cur = lookupSpec(ins)
      const same = SINGLE_SLOT_ROWS.filter((r) => r.kind === cur?.kind)
      slots[slot] = withRow(
        ins,
        pick(rnd, rnd() < 0.7 && same.length > 0 ? same : SINGLE_SLOT_ROWS)
      )
      break
    }
    case 'dst':
      slots[slot] = { ...ins, dst: Math.floor(rnd() * 11) }
      break
    case 'src':
      slots[slot] = { ...ins, src: Math.floor(rnd() * 11) }
      break
    case 'off':
      slots[slot] = { ...ins, off: ins.off + pick(rnd, [-8, -4, -2, -1, 1, 2, 4, 8]) }
      break
    case 'imm':
      slots[slot] = {
        ...ins,
        imm: rnd() < 0.5 ? pick(rnd, INTERESTING_IMMS) : ins.imm + pick(rnd, [-8, -1, 1, 8])
      }
      break
    case 'nop':
      slots[slot] = { code: 0x05, dst: 0, src: 0, off: 0, imm: 0 }
      break
    case 'swap': {
      const j = editable[editable.indexOf(slot) + 1]
      if (j !== slot + 1) return undefined
      slots[slot] = slots[j] as Insn
      slots[j] = ins
      break
    }
  }
  return { slot, what }
}

/** Makes `count` mutants of `slots` (each with one or two changes), reproducibly from `seed`. */
export function makeMutants(slots: readonly Insn[], seed: number, count: number): Mutant[] {
  const rnd = seededRandom(seed)
  const out: Mutant[] = []
  while (out.length < count) {
    const copy = slots.map((s) => ({ ...s }))
    const changes = rnd() < 0.6 ? 1 : 2
    const mutations: Mutation[] = []
    for (let k = 0; k < changes; k++) {
      const m = mutateOne(copy, rnd)
      if (m !== undefined) mutations.push(m)
    }
    if (mutations.length > 0) out.push({ slots: copy, mutations })
  }
  return out
}
