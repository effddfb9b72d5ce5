/**
 * @fileoverview The kernel in `optimize`: the verifier in the search loop (the job's kernel
 * target and the run's counts) and `--kernel-check`, which loads the result through the kernel
 * verifier (skipped when BPF is unavailable).
 */
import { k2MapFdsToIndices } from '../core/formats/k2'
import type { Insn } from '../core/isa/insn'
import { loadSubject } from '../engine/kernel/kernel-subject'
import { KernelOracle } from '../engine/kernel/oracle'
import { candidateSubject, checkTarget, type CheckTarget } from '../engine/kernel/kernel-plan'
import type { LoadedInput, LoadedProgram } from '../engine/program/load'
import type { KernelTarget } from '../engine/search/kernel-gate'
import type { ChainProgress } from '../engine/search/protocol'

/**
 * The job field that lets the search send new bests to the kernel verifier: the program's own
 * loading with the candidate's instructions; none when the program's type cannot be loaded.
 */
export function kernelTargetOf(
  input: LoadedInput,
  program: LoadedProgram,
  progType: number | undefined
): { kernelTarget?: KernelTarget } {
  let target: CheckTarget
  try {
    target = checkTarget(input, program, progType)
  } catch {
    return {}
  }
  const subject = candidateSubject(target, [])
  if (subject.kind !== 'candidate') return {}
  return {
    kernelTarget: {
      subject,
      ...(input.k2 !== undefined ? { k2MapFds: input.k2.maps.map((m) => m.fd) } : {})
    }
  }
}

/** What the verifier in the loop did over a run (sums over the chains). */
export interface KernelLoopStats {
  readonly accepted: number
  readonly rejected: number
  readonly unchecked: number
  readonly lastRejection: string
}

/** Sums the chains' verifier-in-the-loop counts. */
export function kernelLoopStats(chains: readonly ChainProgress[]): KernelLoopStats {
  let accepted = 0
  let rejected = 0
  let unchecked = 0
  let lastRejection = ''
  for (const c of chains) {
    accepted += c.counters.kernelAccepted
    rejected += c.counters.kernelRejected
    unchecked += c.counters.kernelUnchecked
    if (c.prover.lastKernelRejection !== '') lastRejection = c.prover.lastKernelRejection
  }
  return { accepted, rejected, unchecked, lastRejection }
}

/** One line for the end of `optimize`. */
export function kernelLoopLine(s: KernelLoopStats): string {
  const checked = s.accepted + s.rejected
  if (checked === 0 && s.unchecked === 0) return 'kernel verifier in the loop: no new best to check'
  return (
    `kernel verifier in the loop: ${checked} new best(s) checked, ${s.rejected} rejected` +
    (s.unchecked > 0 ? `, ${s.unchecked} not checkable` : '') +
    (s.rejected > 0 ? ` (last: ${s.lastRejection})` : '')
  )
}

/**
 * Loads `slots` (in the search's form) as `program` of `input`, with the maps its own loader
 * would create (libbpf for objects, iproute2's way for legacy objects), into the running kernel
 * or a VM booting `kernelImage`; a one-line verdict.
 */
export async function kernelVerify(
  input: LoadedInput,
  program: LoadedProgram,
  slots: readonly Insn[],
  progType?: number,
  kernelImage?: string
): Promise<string> {
  let target: CheckTarget
  try {
    target = checkTarget(input, program, progType)
  } catch (e) {
    return `skipped: ${e instanceof Error ? e.message : String(e)}`
  }
  const insns =
    input.k2 !== undefined
      ? k2MapFdsToIndices(
          slots,
          input.k2.maps.map((m) => m.fd)
        )
      : slots
  const oracle = new KernelOracle(kernelImage !== undefined ? { kernelImage } : {})
  try {
    const a = await oracle.availability()
    if (!a.available) return `skipped: BPF unavailable (${a.reason})`
    const by =
      a.vmKernel !== undefined ? `the verifier of Linux ${a.vmKernel} (VM)` : 'the kernel verifier'
    const loaded = await loadSubject(oracle, candidateSubject(target, insns))
    if (!loaded.ok) {
      if (loaded.error.code === 'KERNEL_VERIFIER_REJECTED')
        return `rejected: ${(loaded.error.log ?? loaded.error.message).split('\n').slice(-3).join(' | ')}`
      return `skipped: ${loaded.error.message}`
    }
    await loaded.value.close()
    return `accepted by ${by} (${loaded.value.program.verifiedInsns} insns processed)`
  } finally {
    await oracle.dispose()
  }
}
