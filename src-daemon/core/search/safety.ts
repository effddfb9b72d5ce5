/**
 * @fileoverview The search's SafetyCheck over the safety analysis: a candidate is safe when the
 * analysis accepts its compacted form under the program's analysis profile; answers are cached
 * by candidate hash (with an exact-key check so that a hash collision cannot accept anything).
 */
import type { Insn } from '../isa/insn'
import { analyze } from '../analysis/verifier'
import type { MapDef, ProgType } from '../analysis/types'
import type { EncodeModel } from '../smt/enc-state'
import type { Candidate } from './candidate'
import type { SafetyCheck } from './cost'

/** Program type and sizes the analysis checks a program under. */
export interface AnalysisProfile {
  readonly progType: ProgType
  readonly maps: readonly MapDef[]
  readonly ctxSize?: number
}

/** Program type names the analysis models as themselves (others fall back to flat profiles). */
export const ANALYSIS_PROG_TYPES: readonly string[] = [
  'xdp',
  'socket_filter',
  'sched_cls',
  'sched_act',
  'tracepoint',
  'kprobe',
  'raw_tracepoint',
  'plain'
]

/** Analysis program types worth trying for an interpreter model, most specific first. */
export function profilesFor(progType: string, model: EncodeModel): AnalysisProfile[] {
  const maps = model.maps
  if (progType === 'sched_act') return [{ progType: 'sched_cls', maps }]
  if (ANALYSIS_PROG_TYPES.includes(progType)) {
    const p = progType as ProgType
    const flat = p === 'tracepoint' || p === 'kprobe' || p === 'raw_tracepoint' || p === 'plain'
    return [flat ? { progType: p, maps, ctxSize: model.ctxSize } : { progType: p, maps }]
  }
  // K2's flat buffers and other models: whichever kernel type accepts the original.
  return [
    { progType: 'tracepoint', maps, ctxSize: model.ctxSize },
    { progType: 'socket_filter', maps },
    { progType: 'xdp', maps },
    { progType: 'sched_cls', maps }
  ]
}

/** The first analysis profile that accepts `original`, or undefined when none does. */
export function analysisProfile(
  original: readonly Insn[],
  progType: string,
  model: EncodeModel
): AnalysisProfile | undefined {
  for (const p of profilesFor(progType, model)) if (acceptsUnder(original, p)) return p
  return undefined
}

/** True when the analysis accepts `slots` under `profile`. */
export function acceptsUnder(slots: readonly Insn[], profile: AnalysisProfile): boolean {
  const r = analyze(slots, {
    progType: profile.progType,
    maps: profile.maps,
    ...(profile.ctxSize !== undefined ? { ctxSize: profile.ctxSize } : {}),
    collectStates: false,
    insnBudget: 200_000
  })
  return r.ok
}

/** Exact key of a slot list (for caches keyed by program text). */
export function slotsKey(slots: readonly Insn[]): string {
  let s = ''
  for (const x of slots) s += `${x.code},${x.dst},${x.src},${x.off},${x.imm};`
  return s
}

/** Counters of a {@link CachedSafety}. */
export interface SafetyStats {
  checks: number
  cacheHits: number
  rejected: number
}

/** The analysis as a cached SafetyCheck. */
export class CachedSafety {
  /** Counters. */
  readonly stats: SafetyStats = { checks: 0, cacheHits: 0, rejected: 0 }
  private readonly cache = new Map<number, { key: string; ok: boolean }>()

  /** Checks under `profile`; keeps at most `maxEntries` answers. */
  constructor(
    readonly profile: AnalysisProfile,
    private readonly maxEntries = 200_000
  ) {}

  /** The SafetyCheck function. */
  readonly check: SafetyCheck = (c: Candidate): boolean => {
    this.stats.checks++
    const h = c.hash()
    const slots = c.compact()
    const key = slotsKey(slots)
    const hit = this.cache.get(h)
    if (hit !== undefined && hit.key === key) {
      this.stats.cacheHits++
      return hit.ok
    }
    const ok = acceptsUnder(slots, this.profile)
    if (!ok) this.stats.rejected++
    if (this.cache.size >= this.maxEntries) this.cache.clear()
    this.cache.set(h, { key, ok })
    return ok
  }
}
