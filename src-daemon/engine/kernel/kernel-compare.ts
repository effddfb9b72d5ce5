/**
 * @fileoverview A rewritten program checked against its original in the kernel: both through the
 * verifier (verdict, log, translated and JIT sizes), both on the same inputs (any difference in
 * r0, packet, context or maps is a mismatch), the instructions each input executes (from the
 * interpreter) against the instructions that changed, and their latency with a confidence
 * interval. Used by `summit kernel-check FILE --against ORIGINAL` and the kernel benchmark.
 */
import type { Insn } from '../../core/isa/insn'
import { ok, type Result } from '../../core/util/result'
import { progTypeName } from './bpf-constants'
import {
  chooseGenerated,
  coverageOf,
  reaches,
  slotsOrReason,
  sorted,
  timingInputs,
  type CompareSide,
  type InputReport
} from './compare-inputs'
import { changedSlots, type InputCoverage } from './coverage'
import { compareOnInputs, type InputComparison } from './differential'
import { realisticInputs, runKindOf, type KernelInput } from './kernel-inputs'
import type { KernelError } from './kernel-error'
import {
  acceptedVerdict,
  loadSubject,
  rejectedVerdict,
  type VerifierVerdict
} from './kernel-subject'
import { compareLatency, DEFAULT_REPEATS, type LatencyComparison } from './latency'
import type { KernelOracle } from './oracle'

export type { CompareSide, InputReport, InterpModel, SlotsOrReason } from './compare-inputs'

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
  if (anyChange && ranReports.every((r) => !reaches(r)))
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
