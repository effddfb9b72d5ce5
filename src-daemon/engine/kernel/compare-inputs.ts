/**
 * @fileoverview The inputs side of a kernel comparison: the interpreter's model of each program,
 * the slots an input executes on each side, generated inputs chosen to reach the changed slots,
 * and the inputs worth timing (one per distinct path).
 */
import type { CtxKind, MachineOptions, MapDef, RunInput } from '../../core/interp/types'
import type { Insn } from '../../core/isa/insn'
import type { EncodeModel } from '../../core/smt/enc-state'
import { generateTestInputs } from '../../core/search/test-inputs'
import { executedSlots, type InputCoverage } from './coverage'
import type { InputComparison } from './differential'
import { fromGenerated, MIN_FRAME, type KernelInput, type RunKind } from './kernel-inputs'
import type { KernelSubject } from './kernel-subject'

/** The interpreter's view of a program, for coverage and generated inputs. */
export interface InterpModel {
  readonly slots: readonly Insn[]
  readonly maps: readonly MapDef[]
  readonly ctxKind: CtxKind
  readonly encode: EncodeModel
  readonly options?: MachineOptions
}

/** One side of a comparison. */
export interface CompareSide {
  /** `file section` for reports. */
  readonly label: string
  readonly subject: KernelSubject
  readonly progType: number
  /** Map names in model order (inputs name maps by these). */
  readonly mapNames: readonly string[]
  /** The interpreter's model; coverage is unknown without one. */
  readonly model?: InterpModel
}

/** One input's coverage and differential outcome. */
export interface InputReport {
  readonly label: string
  readonly source: 'realistic' | 'generated' | 'given'
  readonly outcome: InputComparison['outcome']
  /** Executed slots of each program (sorted), or why unknown. */
  readonly executed: { readonly original: SlotsOrReason; readonly rewritten: SlotsOrReason }
  /** Changed slots this input executes (original's removed/rewritten, rewritten's new). */
  readonly reachesChange: {
    readonly original: readonly number[]
    readonly rewritten: readonly number[]
  }
}

/** Sorted slots, or why they are unknown. */
export type SlotsOrReason = readonly number[] | { readonly unknown: string }

/**
 * The interpreter input for `input` on one side: its maps in that side's order, and for K2's flat
 * buffers (and tracepoint contexts) the bytes as the context.
 */
function interpFor(
  kind: RunKind,
  side: CompareSide,
  model: InterpModel,
  input: KernelInput
): RunInput {
  const maps = side.mapNames.map((n) => input.entries.get(n))
  if (model.ctxKind !== 'flat' && model.ctxKind !== 'tracepoint') return { ...input.interp, maps }
  const bytes =
    input.data !== undefined ? input.data.subarray(kind === 'socket' ? MIN_FRAME : 0) : input.ctx
  return { ...input.interp, maps, ctx: bytes ?? new Uint8Array(0) }
}

export function coverageOf(kind: RunKind, side: CompareSide, input: KernelInput): InputCoverage {
  if (side.model === undefined) return { kind: 'unknown', reason: 'no interpreter model' }
  return executedSlots(side.model, interpFor(kind, side, side.model, input))
}

export const sorted = (s: Iterable<number>): number[] => [...s].sort((a, b) => a - b)

/**
 * Generated inputs chosen greedily: first those that execute changed slots nobody executed yet,
 * then those that execute any new slot of the rewritten program, up to `max`.
 */
export function chooseGenerated(
  kind: RunKind,
  original: CompareSide,
  rewritten: CompareSide,
  changed: { original: ReadonlySet<number>; rewritten: ReadonlySet<number> },
  seed: number,
  max: number
): KernelInput[] {
  const model = rewritten.model
  if (model === undefined || max <= 0) return []
  const pool = generateTestInputs(model.encode, { count: 200, seed })
    .map((r, i) =>
      fromGenerated(kind, `generated ${i}`, r, { mapNames: rewritten.mapNames, maps: model.maps })
    )
    .filter((k): k is KernelInput => k !== undefined)
  const scored = pool.map((input) => {
    const a = coverageOf(kind, original, input)
    const b = coverageOf(kind, rewritten, input)
    const changedHit = new Set<string>()
    if (a.kind === 'slots')
      for (const s of a.slots) if (changed.original.has(s)) changedHit.add(`o${s}`)
    if (b.kind === 'slots')
      for (const s of b.slots) if (changed.rewritten.has(s)) changedHit.add(`r${s}`)
    return { input, changedHit, slots: b.kind === 'slots' ? b.slots : new Set<number>() }
  })
  const chosen: KernelInput[] = []
  const seenChanged = new Set<string>()
  const seenSlots = new Set<number>()
  for (const phase of ['changed', 'slots'] as const) {
    for (;;) {
      if (chosen.length >= max) return chosen
      let best: (typeof scored)[number] | undefined
      let gain = 0
      for (const s of scored) {
        if (chosen.includes(s.input)) continue
        const g =
          phase === 'changed'
            ? [...s.changedHit].filter((x) => !seenChanged.has(x)).length
            : [...s.slots].filter((x) => !seenSlots.has(x)).length
        if (g > gain) {
          gain = g
          best = s
        }
      }
      if (best === undefined) break
      chosen.push(best.input)
      best.changedHit.forEach((x) => seenChanged.add(x))
      best.slots.forEach((x) => seenSlots.add(x))
    }
  }
  return chosen
}

/**
 * The inputs to time: those the kernel ran, one per distinct path (inputs that execute the same
 * slots in both programs cost about the same), those reaching a changed slot first, at most `max`.
 */
export function timingInputs(
  inputs: readonly KernelInput[],
  reports: readonly InputReport[],
  max: number
): KernelInput[] {
  const order = reports
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.outcome !== 'refused')
    .sort((x, y) => Number(reaches(y.r)) - Number(reaches(x.r)) || x.i - y.i)
  const seen = new Set<string>()
  const out: KernelInput[] = []
  for (const { r, i } of order) {
    const path = JSON.stringify(r.executed)
    if (seen.has(path) || out.length >= max) continue
    seen.add(path)
    out.push(inputs[i]!)
  }
  return out
}

export function reaches(r: InputReport): boolean {
  return r.reachesChange.original.length > 0 || r.reachesChange.rewritten.length > 0
}

export function slotsOrReason(c: InputCoverage): SlotsOrReason {
  return c.kind === 'slots' ? sorted(c.slots) : { unknown: c.reason }
}
