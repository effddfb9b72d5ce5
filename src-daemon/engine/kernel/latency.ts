/**
 * @fileoverview Latency comparison of two programs in the kernel: interleaved rounds of fresh
 * loads, each timing both programs on every input at several repeat counts (the order alternates
 * between rounds), then per repeat count the minimum and median of each program's cost and a
 * sign-test confidence interval for the median per-round difference (see latency-stats.ts for
 * why that interval). A difference is reported only when the interval excludes zero at every
 * repeat count, in the same direction; otherwise there is no measurable difference.
 *
 * A round's cost of a program is the mean over the inputs of the kernel's time per run: the
 * test run's whole-nanosecond average (`duration`), or the kernel's run-time statistics
 * (`stats`, BPF_ENABLE_STATS, fractional; the only clock for raw_tracepoint programs, which have
 * no repeat). The helper is pinned to one CPU.
 */
import { fail, ok, type Result } from '../../core/util/result'
import type { KernelInput } from './kernel-inputs'
import type { KernelError } from './kernel-error'
import { loadSubject, type KernelSubject, type LoadedSubject } from './kernel-subject'
import { median, signTestInterval, type Interval } from './latency-stats'
import type { KernelOracle } from './oracle'
import { fillInputMaps } from './subject-run'

/** How to time the programs. */
export interface LatencyOptions {
  /** Rounds of fresh loads (default 20; at 95% the sign-test interval needs at least 6). */
  readonly rounds?: number
  /** Repetitions per test run (context-only programs: test runs per sample). */
  readonly repeats?: readonly number[]
  /** Confidence level of the intervals (default 0.95). */
  readonly level?: number
  /** `duration` (test-run durations) or `stats` (BPF_ENABLE_STATS; needs CAP_SYS_ADMIN). */
  readonly method: 'duration' | 'stats'
  /** Context-only programs (raw_tracepoint) take no repeat: each test run is one run. */
  readonly contextOnly: boolean
}

/** Default repeat counts: short and long runs, so a fixed per-call cost cannot decide the answer. */
export const DEFAULT_REPEATS: readonly number[] = [1_000, 10_000]

/** A program's cost over the rounds at one repeat count (ns per run). */
export interface SideLatency {
  readonly min: number
  readonly median: number
}

/** What a latency comparison found. */
export type LatencyVerdict = 'slower' | 'faster' | 'no measurable difference' | 'too few rounds'

/** The comparison at one repeat count. */
export interface RepeatLatency {
  readonly repeat: number
  readonly original: SideLatency
  readonly rewritten: SideLatency
  /** Median per-round difference rewritten − original (ns per run). */
  readonly difference: number
  /** Its confidence interval (undefined with too few rounds). */
  readonly interval?: Interval
  readonly verdict: LatencyVerdict
}

/** A latency comparison of two programs. */
export interface LatencyComparison {
  readonly method: 'duration' | 'stats'
  readonly rounds: number
  readonly inputs: number
  readonly level: number
  readonly perRepeat: readonly RepeatLatency[]
  /** `slower`/`faster` only when every repeat count says so. */
  readonly verdict: LatencyVerdict
  /** Median cost per input at the largest repeat count (ns per run). */
  readonly perInput: readonly { label: string; original: number; rewritten: number }[]
}

function side(values: readonly number[]): SideLatency {
  return { min: Math.min(...values), median: median(values) }
}

function verdictOf(interval: Interval | undefined): LatencyVerdict {
  if (interval === undefined) return 'too few rounds'
  if (interval.low > 0) return 'slower'
  if (interval.high < 0) return 'faster'
  return 'no measurable difference'
}

/** Times one loaded program on every input at `repeat`; ns per run for each input. */
async function timeInputs(
  oracle: KernelOracle,
  subject: KernelSubject,
  loaded: LoadedSubject,
  inputs: readonly KernelInput[],
  repeat: number,
  options: LatencyOptions
): Promise<Result<number[], KernelError>> {
  const out: number[] = []
  for (const input of inputs) {
    const filled = await fillInputMaps(oracle, subject, loaded, input)
    if (!filled.ok) return filled
    const t = await oracle.timeRuns(
      loaded.program,
      loaded.progType,
      {
        ...(input.data !== undefined ? { data: input.data } : {}),
        ...(input.ctx !== undefined ? { ctx: input.ctx } : {})
      },
      options.contextOnly
        ? { repeat: 0, calls: repeat, stats: options.method === 'stats' }
        : { repeat, stats: options.method === 'stats' }
    )
    if (!t.ok) return t
    const ns = options.method === 'stats' ? t.value.statNs?.[0] : t.value.durations[0]
    if (ns === undefined)
      return fail({ code: 'KERNEL_HELPER', message: 'timed run without a time' })
    out.push(ns)
  }
  return ok(out)
}

/**
 * Compares the latency of `rewritten` against `original` on `inputs` (inputs the kernel ran for
 * both). Every round loads both programs fresh, in alternating order.
 */
export async function compareLatency(
  oracle: KernelOracle,
  original: KernelSubject,
  rewritten: KernelSubject,
  inputs: readonly KernelInput[],
  options: LatencyOptions
): Promise<Result<LatencyComparison, KernelError>> {
  const rounds = options.rounds ?? 20
  const repeats = options.repeats ?? DEFAULT_REPEATS
  const level = options.level ?? 0.95
  const subjects = [original, rewritten]
  // cost[side][repeat index][round]; perInput[side][input][round] at the largest repeat
  const cost = subjects.map(() => repeats.map((): number[] => []))
  const perInput = subjects.map(() => inputs.map((): number[] => []))
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [0, 1] : [1, 0]
    const loaded: LoadedSubject[] = []
    try {
      for (const s of order) {
        const l = await loadSubject(oracle, subjects[s]!)
        if (!l.ok) return l
        loaded[s] = l.value
      }
      for (const [ri, repeat] of repeats.entries())
        for (const s of order) {
          const t = await timeInputs(oracle, subjects[s]!, loaded[s]!, inputs, repeat, options)
          if (!t.ok) return t
          cost[s]![ri]!.push(t.value.reduce((x, y) => x + y, 0) / Math.max(1, t.value.length))
          if (ri === repeats.length - 1) t.value.forEach((ns, i) => perInput[s]![i]!.push(ns))
        }
    } finally {
      for (const l of loaded) if (l !== undefined) await l.close()
    }
  }
  const perRepeat = repeats.map((repeat, ri): RepeatLatency => {
    const a = cost[0]![ri]!
    const b = cost[1]![ri]!
    const diffs = b.map((x, i) => x - a[i]!)
    const interval = signTestInterval(diffs, level)
    return {
      repeat,
      original: side(a),
      rewritten: side(b),
      difference: median(diffs),
      ...(interval !== undefined ? { interval } : {}),
      verdict: verdictOf(interval)
    }
  })
  const verdicts = new Set(perRepeat.map((p) => p.verdict))
  const verdict: LatencyVerdict = verdicts.has('too few rounds')
    ? 'too few rounds'
    : verdicts.size === 1
      ? perRepeat[0]!.verdict
      : 'no measurable difference'
  return ok({
    method: options.method,
    rounds,
    inputs: inputs.length,
    level,
    perRepeat,
    verdict,
    perInput: inputs.map((input, i) => ({
      label: input.label,
      original: median(perInput[0]![i]!),
      rewritten: median(perInput[1]![i]!)
    }))
  })
}
