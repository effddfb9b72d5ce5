/**
 * @fileoverview Which instructions an input executes (from the interpreter) and which slots differ
 * between an original and a rewritten program, so a latency measurement can say whether its
 * inputs reach the change at all.
 */
import { createMachine, type BpfMachine } from '../../core/interp/api'
import { compileProgram } from '../../core/interp/compile'
import { Status } from '../../core/interp/machine'
import { Op } from '../../core/interp/ops'
import type { CtxKind, MachineOptions, MapDef, RunInput, RunResult } from '../../core/interp/types'
import type { Insn } from '../../core/isa/insn'

/** Most interpreter steps spent tracing one run (min(steps², slots × steps)). */
export const COVERAGE_MAX_WORK = 50_000_000

/** What one input executed, or why it is unknown. */
export type InputCoverage =
  | { readonly kind: 'slots'; readonly slots: ReadonlySet<number>; readonly steps: number }
  | { readonly kind: 'unknown'; readonly reason: string }

/** A program as the interpreter runs it. */
export interface CoverageProgram {
  readonly slots: readonly Insn[]
  readonly maps: readonly MapDef[]
  readonly ctxKind: CtxKind
  readonly options?: MachineOptions
}

/** Slots reached, replaying the run with an instruction budget of 0, 1, 2, ... (steps² work). */
function byBudget(machine: BpfMachine, input: RunInput, steps: number): Set<number> {
  const slots = new Set<number>()
  // Machine options are fixed at creation; the budget is the one field varied per run here.
  const opts = machine.opts as { budget: number }
  const budget = opts.budget
  try {
    for (let b = 0; b < steps; b++) {
      opts.budget = b
      machine.exec(input)
      slots.add(machine.faultPc)
    }
  } finally {
    opts.budget = budget
  }
  return slots
}

/** Slots reached, turning each slot in turn into an invalid one and seeing whether the run stops there (slots × steps work). */
function byProbe(machine: BpfMachine, input: RunInput): Set<number> {
  const slots = new Set<number>()
  const prog = machine.prog
  for (let i = 0; i < prog.length; i++) {
    const op = prog.op[i]!
    if (op === Op.INVALID) continue
    prog.op[i] = Op.INVALID
    try {
      machine.exec(input)
    } finally {
      prog.op[i] = op
    }
    if (machine.status === Status.fault && machine.faultPc === i) slots.add(i)
  }
  return slots
}

/** The slots one run of `input` executes, and how the run ended (for the next run's state). */
function oneRun(
  machine: BpfMachine,
  input: RunInput
): { slots: Set<number>; result: RunResult } | { reason: string } {
  const result = machine.run(input)
  const steps = result.steps
  if (result.kind === 'fault' && result.reason === 'budget')
    return { reason: 'the run did not end within the interpreter budget' }
  const work = Math.min(steps * steps, steps * machine.prog.length)
  if (work > COVERAGE_MAX_WORK) return { reason: `the run took ${steps} steps (too long to trace)` }
  const slots =
    steps <= machine.prog.length ? byBudget(machine, input, steps) : byProbe(machine, input)
  return { slots, result }
}

/**
 * The slots `input` executes when the kernel repeats it: the first run, and a second one that
 * starts from the maps (and packet) the first left behind, as BPF_PROG_TEST_RUN's repetitions do
 * (a counter inserted by the first run is found by every later one). The interpreter has no trace
 * hook on its hot path, so a run is replayed: with an instruction budget of 0, 1, 2, ... steps (a
 * run that exceeds budget b stops at the (b+1)-th instruction it would execute), or, for runs
 * longer than the program (loops), with each slot in turn made invalid.
 */
export function executedSlots(p: CoverageProgram, input: RunInput): InputCoverage {
  const machine = createMachine(compileProgram(p.slots, p.maps, p.ctxKind), p.options)
  const first = oneRun(machine, input)
  if ('reason' in first) return { kind: 'unknown', reason: first.reason }
  const r = first.result
  if (r.kind !== 'exit') return { kind: 'slots', slots: first.slots, steps: r.steps }
  const again: RunInput = {
    ...input,
    maps: r.maps.map((m) => m.entries),
    ...(input.packet !== undefined ? { packet: r.packet } : {})
  }
  const second = oneRun(machine, again)
  if ('reason' in second) return { kind: 'slots', slots: first.slots, steps: r.steps }
  for (const s of second.slots) first.slots.add(s)
  return { kind: 'slots', slots: first.slots, steps: r.steps }
}

function sameSlot(a: Insn, b: Insn): boolean {
  return (
    a.code === b.code && a.dst === b.dst && a.src === b.src && a.off === b.off && a.imm === b.imm
  )
}

/** Slots of each program that are not part of their longest common subsequence. */
export interface ChangedSlots {
  /** Slots of the original that were removed or rewritten. */
  readonly original: ReadonlySet<number>
  /** Slots of the rewritten program that are new or rewritten. */
  readonly rewritten: ReadonlySet<number>
}

/**
 * The slots that differ between `original` and `rewritten`: everything outside a longest common
 * subsequence of identical slots. A jump whose offset changed because code moved counts as
 * changed, which only makes the "reaches a change" test more willing.
 */
export function changedSlots(original: readonly Insn[], rewritten: readonly Insn[]): ChangedSlots {
  const n = original.length
  const m = rewritten.length
  const width = m + 1
  const lcs = new Uint32Array((n + 1) * width)
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i * width + j] = sameSlot(original[i]!, rewritten[j]!)
        ? lcs[(i + 1) * width + j + 1]! + 1
        : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!)
  const keptA = new Set<number>()
  const keptB = new Set<number>()
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (sameSlot(original[i]!, rewritten[j]!)) {
      keptA.add(i++)
      keptB.add(j++)
    } else if (lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!) i++
    else j++
  }
  const rest = (len: number, kept: Set<number>): Set<number> => {
    const out = new Set<number>()
    for (let k = 0; k < len; k++) if (!kept.has(k)) out.add(k)
    return out
  }
  return { original: rest(n, keptA), rewritten: rest(m, keptB) }
}
