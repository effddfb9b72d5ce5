/**
 * @fileoverview The search's SafetyCheck over the safety analysis: a candidate is safe when the
 * analysis accepts its compacted form under the program's analysis profile; answers are cached
 * by candidate hash (with an exact-key check so that a hash collision cannot accept anything).
 */
import type { Insn } from '../isa/insn'
import { KERNEL_PROG_TYPES, type AttachType } from '../analysis/program-kind'
import { analyze, type AnalysisResult } from '../analysis/verifier'
import { KERNEL_INSN_LIMIT, type MapDef, type ProgType } from '../analysis/types'
import type { KernelVersion } from '../analysis/kernel-target'
import type { BtfTarget } from '../analysis/btf-target'
import { fail, ok, type Diagnostic, type Result } from '../util/result'
import type { EncodeModel } from '../smt/enc-state'
import type { Candidate } from './candidate'
import type { SafetyCheck } from './cost'

/** Program type and sizes the analysis checks a program under. */
export interface AnalysisProfile {
  readonly progType: ProgType
  readonly maps: readonly MapDef[]
  readonly ctxSize?: number
  readonly attachType?: AttachType
  /** The kernel whose verifier the analysis follows (undefined: the newest modelled). */
  readonly targetKernel?: KernelVersion
  /** tracing and LSM programs: the attach target from the kernel's BTF. */
  readonly btfTarget?: BtfTarget
  /** tracing and LSM programs without a target: why (context loads are refused with it). */
  readonly btfRefusal?: string
}

/** The attach target of a BTF-typed program, or why there is none (see AnalysisProfile). */
export type BtfBinding = Pick<AnalysisProfile, 'btfTarget' | 'btfRefusal'>

function btfFields(b: BtfBinding | undefined): BtfBinding {
  return {
    ...(b?.btfTarget !== undefined ? { btfTarget: b.btfTarget } : {}),
    ...(b?.btfRefusal !== undefined ? { btfRefusal: b.btfRefusal } : {})
  }
}

/** Why the analysis refused an original under the most specific profile tried. */
export interface ProfileRefusal {
  readonly profile: AnalysisProfile
  readonly error: Diagnostic
  /** Registers the refused instruction reads, as the kernel's log prints them. */
  readonly state?: string
}

/** Whether the analysis models `progType` with that type's own rules (others use flat profiles). */
export function analysisModels(progType: string): boolean {
  return progType === 'plain' || Object.hasOwn(KERNEL_PROG_TYPES, progType)
}

/** Analysis program types worth trying for an interpreter model, most specific first. */
export function profilesFor(
  progType: string,
  model: EncodeModel,
  attachType?: AttachType,
  btf?: BtfBinding
): AnalysisProfile[] {
  const maps = model.maps
  const attach = attachType !== undefined ? { attachType } : {}
  if (progType === 'plain') return [{ progType: 'plain', maps, ctxSize: model.ctxSize }]
  if (analysisModels(progType)) {
    const p = progType as ProgType
    // Kernel types take the kernel's context rules and size (the model is sized to what the
    // program reads, see AnalysisStats.ctxBytes).
    return [{ progType: p, maps, ...attach, ...btfFields(btf) }]
  }
  // K2's flat buffers and other models: whichever kernel type accepts the original.
  return [
    { progType: 'tracepoint', maps, ctxSize: model.ctxSize },
    { progType: 'socket_filter', maps },
    { progType: 'xdp', maps },
    { progType: 'sched_cls', maps }
  ]
}

/** The first analysis profile that accepts `original`, or why the most specific one refuses it. */
export function chooseProfile(
  original: readonly Insn[],
  progType: string,
  model: EncodeModel,
  attachType?: AttachType,
  targetKernel?: KernelVersion,
  btf?: BtfBinding
): Result<AnalysisProfile, ProfileRefusal> {
  const target = targetKernel !== undefined ? { targetKernel } : {}
  const tried = profilesFor(progType, model, attachType, btf).map((p) => ({ ...p, ...target }))
  let first: ProfileRefusal | undefined
  for (const p of tried) {
    const unknownRodata = withoutFrozen(p)
    const r = analyzeUnder(original, unknownRodata)
    if (r.ok) return ok(unknownRodata)
    // As the kernel does, with the object's .rodata as constants: a result then holds for them.
    if (usesFrozen(p) && analyzeUnder(original, p).ok) return ok(p)
    first ??= { profile: p, error: r.error, ...(r.state !== undefined ? { state: r.state } : {}) }
  }
  return fail(first as ProfileRefusal)
}

/** Whether `profile` reads frozen read-only maps (`.rodata`) as the object's constants. */
export function usesFrozen(profile: AnalysisProfile): boolean {
  return profile.maps.some((m) => m.frozen !== undefined)
}

/**
 * `profile` with frozen maps' values unknown: what the analysis checks first, so that a program
 * safe for every `.rodata` a loader may set keeps that stronger verdict.
 */
export function withoutFrozen(profile: AnalysisProfile): AnalysisProfile {
  if (!usesFrozen(profile)) return profile
  return { ...profile, maps: profile.maps.map(({ frozen: _, ...m }) => m) }
}

/** The first analysis profile that accepts `original`, or undefined when none does. */
export function analysisProfile(
  original: readonly Insn[],
  progType: string,
  model: EncodeModel,
  attachType?: AttachType
): AnalysisProfile | undefined {
  const r = chooseProfile(original, progType, model, attachType)
  return r.ok ? r.value : undefined
}

function analyzeUnder(slots: readonly Insn[], profile: AnalysisProfile): AnalysisResult {
  return analyze(slots, {
    progType: profile.progType,
    maps: profile.maps,
    ...(profile.ctxSize !== undefined ? { ctxSize: profile.ctxSize } : {}),
    ...(profile.attachType !== undefined ? { attachType: profile.attachType } : {}),
    ...(profile.targetKernel !== undefined ? { targetKernel: profile.targetKernel } : {}),
    ...btfFields(profile),
    collectStates: false,
    // The kernel's own limit: a lower one refused big programs the kernel accepts.
    insnBudget: KERNEL_INSN_LIMIT
  })
}

/** True when the analysis accepts `slots` under `profile`. */
export function acceptsUnder(slots: readonly Insn[], profile: AnalysisProfile): boolean {
  return analyzeUnder(slots, profile).ok
}

/**
 * Programs longer than this check safety only when a candidate is about to be proven, not for
 * every candidate that passes the tests: one analysis of a program this size takes seconds
 * (Katran's 1,795-slot balancer: about 8 s here), far more than a search step. Results stay
 * sound: nothing is proven, reported or exported without the analysis accepting it.
 */
export const DEFERRED_SAFETY_SLOTS = 1024

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
