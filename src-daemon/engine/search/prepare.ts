/** @fileoverview Builds a search job from a program and checks a final result before it is written. */
import { release } from 'node:os'
import type { Insn } from '../../core/isa/insn'
import { formatKernelVersion, parseKernelVersion } from '../../core/analysis/kernel-target'
import { resolveSearchOptions } from '../../core/search/config'
import { describeRefusal } from '../../core/analysis/describe'
import type { AttachType } from '../../core/analysis/program-kind'
import { acceptsUnder, chooseProfile, type BtfBinding } from '../../core/search/safety'
import type { EncodeModel } from '../../core/smt/enc-state'
import { checkEquivalence, type EquivResult } from '../../core/smt/equiv'
import type { TermSolver } from '../../core/smt/term-solver'
import { fail, ok, type Result } from '../../core/util/result'
import { JOB_DEFAULTS, type SearchJob } from './job'

/** A program to optimize. */
export interface JobProgram {
  readonly slots: readonly Insn[]
  readonly model: EncodeModel
  /** Program type name (`xdp`, `socket_filter`, `k2-flat`, ...). */
  readonly progType: string
  /** Expected attach type (from the section name), where the type's rules depend on it. */
  readonly attachType?: AttachType
  /** CO-RE relocations applied for this kernel, with the slots they patch. */
  readonly core?: { readonly slots: readonly number[] }
  /** Slots of subprograms another program of the object also calls. */
  readonly sharedSlots?: readonly number[]
  /** Slots of kconfig extern loads, which the object keeps as externs. */
  readonly externSlots?: readonly number[]
  /** tracing and LSM programs: the attach target from the kernel's BTF (or why there is none). */
  readonly btf?: BtfBinding
}

/** Extra job fields (defaults in JOB_DEFAULTS). */
export type JobExtras = Partial<
  Pick<
    SearchJob,
    | 'testCount'
    | 'testSeed'
    | 'proofTimeoutMs'
    | 'windowLimit'
    | 'windows'
    | 'latencyTable'
    | 'kernelTarget'
  >
>

/** Makes a job; fails when the options are invalid or the analysis rejects the original. */
export function prepareJob(
  program: JobProgram,
  searchOptions: Readonly<Record<string, unknown>>,
  extras: JobExtras = {}
): Result<SearchJob> {
  const o = resolveSearchOptions(searchOptions)
  if (!o.ok) return o
  // The target kernel: the one asked for, else the running kernel.
  const target = parseKernelVersion(o.value.targetKernel !== '' ? o.value.targetKernel : release())
  if (!target.ok) return target
  const choice = chooseProfile(
    program.slots,
    program.progType,
    program.model,
    program.attachType,
    target.value,
    program.btf
  )
  if (!choice.ok) {
    const r = choice.error
    return fail({
      code: 'OPTIMIZE_ORIGINAL_UNSAFE',
      message: `the safety analysis rejects the original program as ${r.profile.progType} (${r.error.code}) at ${describeRefusal(program.slots, r.error, r.state)}; no result could be proven safe`,
      ...(r.error.index !== undefined ? { index: r.error.index } : {})
    })
  }
  const profile = choice.value
  return ok({
    slots: program.slots.map((s) => ({ ...s })),
    model: program.model,
    profile,
    options: { ...o.value, targetKernel: formatKernelVersion(target.value) },
    ...JOB_DEFAULTS,
    ...pinnedOf(program),
    ...extras
  })
}

/**
 * Slots the search must not rewrite (CO-RE-patched ones and kconfig extern loads: it may remove
 * them) or change at all (those of subprograms another program calls).
 */
function pinnedOf(program: JobProgram): { pinnedSlots?: number[]; frozenSlots?: number[] } {
  const core = [...(program.core?.slots ?? []), ...(program.externSlots ?? [])]
  const shared = program.sharedSlots ?? []
  return {
    ...(core.length > 0 ? { pinnedSlots: [...core] } : {}),
    ...(shared.length > 0 ? { frozenSlots: [...shared] } : {})
  }
}

/** The final verdict on a result program. */
export interface FinalCheck {
  readonly proof: EquivResult
  readonly accepted: boolean
  /** True when the result may be written: proven equal and accepted by the analysis. */
  readonly sound: boolean
}

/** Re-proves `slots` equal to the job's original as a whole and re-runs the analysis. */
export async function finalCheck(
  job: SearchJob,
  slots: readonly Insn[],
  solver: TermSolver,
  timeoutMs = 120_000
): Promise<FinalCheck> {
  const accepted = acceptsUnder(slots, job.profile)
  const proof = await checkEquivalence(job.slots, slots, job.model, solver, { timeoutMs })
  return { proof, accepted, sound: accepted && proof.kind === 'equal' }
}
