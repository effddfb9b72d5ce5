/**
 * @fileoverview The kernel verifier in the search loop: each new best (already proven equal and
 * accepted by the safety analysis) is loaded into the kernel, in the maps its own loader would
 * create, before it is reported. A refusal makes the candidate unsafe for the chain.
 */
import { k2MapFdsToIndices } from '../../core/formats/k2'
import type { Insn } from '../../core/isa/insn'
import { loadSubject, type CandidateSubject } from '../kernel/kernel-subject'
import { KernelOracle } from '../kernel/oracle'
import type { SearchJob } from './job'

/** How to load a candidate of a job into the kernel (structured-cloneable, part of the job). */
export interface KernelTarget {
  /** The original's loading, whose `insns` each candidate replaces. */
  readonly subject: CandidateSubject
  /** For K2 triples: the `fd =` values of the maps, in index order (ld_imm64 immediates). */
  readonly k2MapFds?: readonly number[]
}

/** What the kernel said about a candidate. */
export type GateVerdict =
  | { readonly kind: 'accepted' }
  /** Not checked: BPF is unavailable, or loading failed for a reason other than the verifier. */
  | { readonly kind: 'unchecked'; readonly reason: string }
  | { readonly kind: 'rejected'; readonly reason: string }

/**
 * Sends candidates to the kernel verifier (one helper process, started on first use). The
 * original is loaded first: when the kernel refuses the original itself as loaded here (a K2
 * program checked under its flat type instead of its real one, say), no candidate is judged.
 */
export class KernelGate {
  private readonly oracle = new KernelOracle()
  private original: Promise<GateVerdict> | undefined

  /** A gate loading candidates of `originalSlots` as `target` says. */
  constructor(
    private readonly target: KernelTarget,
    private readonly originalSlots: readonly Insn[]
  ) {}

  /** Loads `slots` (the search's form) through the verifier and frees it again. */
  async check(slots: readonly Insn[]): Promise<GateVerdict> {
    const a = await this.oracle.availability()
    if (!a.available) return { kind: 'unchecked', reason: `BPF unavailable: ${a.reason}` }
    this.original ??= this.load(this.originalSlots)
    const o = await this.original
    if (o.kind !== 'accepted')
      return {
        kind: 'unchecked',
        reason: `the kernel refuses the original as loaded here (${o.reason}); give its real type`
      }
    return await this.load(slots)
  }

  private async load(slots: readonly Insn[]): Promise<GateVerdict> {
    const fds = this.target.k2MapFds
    const insns = fds !== undefined ? k2MapFdsToIndices(slots, fds) : slots
    const loaded = await loadSubject(this.oracle, { ...this.target.subject, insns })
    if (!loaded.ok) {
      const e = loaded.error
      if (e.code !== 'KERNEL_VERIFIER_REJECTED') return { kind: 'unchecked', reason: e.message }
      const log = (e.log ?? e.message).trim().split('\n')
      return { kind: 'rejected', reason: log.slice(-2).join(' | ') }
    }
    await loaded.value.close()
    return { kind: 'accepted' }
  }

  /** Stops the helper process. */
  async dispose(): Promise<void> {
    await this.oracle.dispose()
  }
}

/** The gate of `job`: undefined when `kernelVerify` is off or the job has no kernel target. */
export function kernelGateFor(job: SearchJob): KernelGate | undefined {
  return job.options.kernelVerify && job.kernelTarget !== undefined
    ? new KernelGate(job.kernelTarget, job.slots)
    : undefined
}
