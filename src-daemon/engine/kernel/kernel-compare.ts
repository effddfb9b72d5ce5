/**
 * @fileoverview A rewritten program checked against its original in the kernel: both through the
 * verifier (verdict, log, translated and JIT sizes), both on the same inputs (any difference in
 * r0, packet, context or maps is a mismatch), the instructions each input executes (from the
 * interpreter) against the instructions that changed, and their latency with a confidence
 * interval. Used by `summit kernel-check FILE --against ORIGINAL` and the kernel benchmark.
 */
import type { CtxKind, MachineOptions, MapDef, RunInput } from '../../core/interp/types'
import type { Insn } from '../../core/isa/insn'
import type { EncodeModel } from '../../core/smt/enc-state'
import { generateTestInputs } from '../../core/search/test-inputs'
import { ok, type Result } from '../../core/util/result'
import { progTypeName } from './bpf-constants'
import { changedSlots, executedSlots, type InputCoverage } from './coverage'
import { compareOnInputs, type InputComparison } from './differential'
import {
  fromGenerated,
  MIN_FRAME,
  realisticInputs,
  runKindOf,
  type KernelInput,
  type RunKind
} from './kernel-inputs'
import type { KernelError } from './kernel-error'
import {
  acceptedVerdict,
  loadSubject,
  rejectedVerdict,
  type KernelSubject,
  type VerifierVerdict
} from './kernel-subject'
import { compareLatency, DEFAULT_REPEATS, type LatencyComparison } from './latency'
import type { KernelOracle } from './oracle'

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

/** Which inputs to run. */
export type InputChoice = 'realistic' | 'generated' | 'all' | readonly KernelInput[]

/** Options of a comparison. */
export interface CompareOptions {
  readonly inputs?: InputChoice
  /** Latency rounds (0: no latency measurement). */
  readonly rounds?: number
  readonly repeats?: readonly number[]
  /** Clock: test-run durations (default for packet programs) or BPF_ENABLE_STATS. */
  readonly timing?: 'duration' | 'stats'
  /** Seed of the generated inputs. */
  readonly seed?: number
  /** Most generated inputs to keep (chosen to cover changed and unexecuted instructions). */
  readonly maxGenerated?: number
  /** Most inputs to time (one per distinct path; default 12). */
  readonly maxTimed?: number
}

/** How the verifier took one side. */
export interface LoadReport extends VerifierVerdict {
  readonly label: string
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

/** Everything a comparison found. */
export interface CompareReport {
  readonly original: LoadReport
  readonly rewritten: LoadReport
  /** Slots outside the longest common subsequence of the two programs. */
  readonly changed?: { readonly original: readonly number[]; readonly rewritten: readonly number[] }
  readonly inputs: readonly InputReport[]
  readonly mismatches: readonly InputComparison[]
  /** Parts left out of the comparison because they vary between runs of one program. */
  readonly unstable: readonly string[]
  /** Why the programs were not run, when they were not. */
  readonly notRun?: string
  readonly latency?: LatencyComparison
  /** Why latency was not measured. */
  readonly latencyNote?: string
  /** Warnings about the measurement (e.g. no input reaches a changed instruction). */
  readonly warnings: readonly string[]
}

/** Helpers whose results change from run to run (clock, random, task pointer). */
const UNSTABLE_HELPERS = new Set([5, 7, 35, 118, 125, 160, 208])

function callsUnstableHelper(slots: readonly Insn[] | undefined): boolean {
  return (slots ?? []).some((s) => s.code === 0x85 && s.src === 0 && UNSTABLE_HELPERS.has(s.imm))
}

async function loadReport(
  oracle: KernelOracle,
  side: CompareSide
): Promise<Result<LoadReport, KernelError>> {
  const loaded = await loadSubject(oracle, side.subject)
  if (!loaded.ok) {
    if (loaded.error.code !== 'KERNEL_VERIFIER_REJECTED') return loaded
    return ok({ label: side.label, ...rejectedVerdict(side.subject, side.progType, loaded.error) })
  }
  await loaded.value.close()
  return ok({ label: side.label, ...acceptedVerdict(loaded.value) })
}

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

function coverageOf(kind: RunKind, side: CompareSide, input: KernelInput): InputCoverage {
  if (side.model === undefined) return { kind: 'unknown', reason: 'no interpreter model' }
  return executedSlots(side.model, interpFor(kind, side, side.model, input))
}

const sorted = (s: Iterable<number>): number[] => [...s].sort((a, b) => a - b)

/**
 * Generated inputs chosen greedily: first those that execute changed slots nobody executed yet,
 * then those that execute any new slot of the rewritten program, up to `max`.
 */
function chooseGenerated(
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
function timingInputs(
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

function reaches(r: InputReport): boolean {
  return r.reachesChange.original.length > 0 || r.reachesChange.rewritten.length > 0
}

function slotsOrReason(c: InputCoverage): SlotsOrReason {
  return c.kind === 'slots' ? sorted(c.slots) : { unknown: c.reason }
}

/**
 * Checks `rewritten` against `original` in the kernel. Fails only when the kernel or helper
 * cannot be used; rejections, mismatches and latency verdicts are part of the report.
 */
export async function kernelCompare(
  oracle: KernelOracle,
  original: CompareSide,
  rewritten: CompareSide,
  options: CompareOptions = {}
): Promise<Result<CompareReport, KernelError>> {
  const a = await loadReport(oracle, original)
  if (!a.ok) return a
  const b = await loadReport(oracle, rewritten)
  if (!b.ok) return b
  const head = {
    original: a.value,
    rewritten: b.value,
    inputs: [],
    mismatches: [],
    unstable: [],
    warnings: []
  }
  if (!a.value.accepted || !b.value.accepted)
    return ok({ ...head, notRun: 'the verifier rejected a program' })
  const kind = runKindOf(original.progType)
  if (kind === 'none' || runKindOf(rewritten.progType) !== kind)
    return ok({ ...head, notRun: `${progTypeName(original.progType)} programs have no test run` })
  const changed =
    original.model !== undefined && rewritten.model !== undefined
      ? changedSlots(original.model.slots, rewritten.model.slots)
      : undefined
  const choice = options.inputs ?? 'all'
  const given = Array.isArray(choice) ? (choice as readonly KernelInput[]) : undefined
  const realistic = given === undefined && choice !== 'generated' ? realisticInputs(kind) : []
  const generated =
    given === undefined && choice !== 'realistic' && changed !== undefined
      ? chooseGenerated(
          kind,
          original,
          rewritten,
          changed,
          options.seed ?? 1,
          options.maxGenerated ?? 16
        )
      : []
  const inputs = [...(given ?? []), ...realistic, ...generated]
  const source = (i: number): InputReport['source'] =>
    given !== undefined ? 'given' : i < realistic.length ? 'realistic' : 'generated'
  const unstable =
    callsUnstableHelper(original.model?.slots) || callsUnstableHelper(rewritten.model?.slots)
  const compared = await compareOnInputs(oracle, original.subject, rewritten.subject, inputs, {
    unstable
  })
  if (!compared.ok) return compared
  const reports = inputs.map((input, i): InputReport => {
    const ca = coverageOf(kind, original, input)
    const cb = coverageOf(kind, rewritten, input)
    const hit = (c: InputCoverage, set: ReadonlySet<number> | undefined): number[] =>
      c.kind === 'slots' && set !== undefined ? sorted([...c.slots].filter((s) => set.has(s))) : []
    return {
      label: input.label,
      source: source(i),
      outcome: compared.value[i]!.outcome,
      executed: { original: slotsOrReason(ca), rewritten: slotsOrReason(cb) },
      reachesChange: {
        original: hit(ca, changed?.original),
        rewritten: hit(cb, changed?.rewritten)
      }
    }
  })
  const warnings: string[] = []
  const ran = inputs.filter((_, i) => compared.value[i]!.outcome !== 'refused')
  const ranReports = reports.filter((r) => r.outcome !== 'refused')
  const anyChange =
    changed !== undefined && (changed.original.size > 0 || changed.rewritten.size > 0)
  if (
    anyChange &&
    ranReports.every(
      (r) => r.reachesChange.original.length === 0 && r.reachesChange.rewritten.length === 0
    )
  )
    warnings.push(
      'no input reaches a changed instruction: the measurement cannot show what the change costs'
    )
  if (changed === undefined) warnings.push('changed instructions unknown (no interpreter model)')
  const mismatches = compared.value.filter((c) => c.outcome === 'different')
  const base = {
    ...head,
    ...(changed !== undefined
      ? { changed: { original: sorted(changed.original), rewritten: sorted(changed.rewritten) } }
      : {}),
    inputs: reports,
    mismatches,
    unstable: [...new Set(compared.value.flatMap((c) => c.unstable))],
    warnings
  }
  const rounds = options.rounds ?? 20
  if (rounds <= 0) return ok({ ...base, latencyNote: 'not measured (--rounds 0)' })
  if (ran.length === 0)
    return ok({ ...base, latencyNote: 'not measured: the kernel refused every input' })
  const method = options.timing ?? (kind === 'rawtp' ? 'stats' : 'duration')
  const timed = timingInputs(inputs, reports, options.maxTimed ?? 12)
  const latency = await compareLatency(oracle, original.subject, rewritten.subject, timed, {
    rounds,
    repeats: options.repeats ?? DEFAULT_REPEATS,
    method,
    contextOnly: kind === 'rawtp'
  })
  if (!latency.ok) {
    if (latency.error.code === 'KERNEL_TEST_RUN' && method === 'stats')
      return ok({
        ...base,
        latencyNote: `not measured: ${latency.error.message} (BPF_ENABLE_STATS needs CAP_SYS_ADMIN)`
      })
    return latency
  }
  return ok({ ...base, latency: latency.value })
}
