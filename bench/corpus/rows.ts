/** @fileoverview What the corpus benchmark records for one program of one object. */

/** The outcome of one step: passed, failed with a cause, or not attempted (and why). */
export type Step =
  | { readonly kind: 'ok'; readonly detail?: string }
  | { readonly kind: 'fail'; readonly code: string; readonly line: string }
  | { readonly kind: 'skip'; readonly why: string }

/** Kernel verdict on a program, and which loader gave it. */
export type KernelVerdict =
  | { readonly kind: 'accept'; readonly via: string; readonly verifiedInsns?: number }
  | { readonly kind: 'reject'; readonly via: string; readonly code: string; readonly line: string }
  | { readonly kind: 'error'; readonly via: string; readonly code: string; readonly line: string }
  | { readonly kind: 'skip'; readonly why: string }

/** Analysis verdict: accepted, rejected with a diagnostic, or the type is outside the analysis. */
export type AnalysisVerdict =
  | { readonly kind: 'accept'; readonly profile: string }
  | { readonly kind: 'reject'; readonly code: string; readonly line: string }
  | { readonly kind: 'unsupported'; readonly why: string }
  | { readonly kind: 'skip'; readonly why: string }

/** A proof answer (`equal`, `notEqual`, `unknown`, `error`), or why none was asked for. */
export type ProofAnswer =
  | { readonly kind: 'equal' | 'notEqual'; readonly ms: number }
  | { readonly kind: 'unknown' | 'error'; readonly reason: string; readonly ms: number }
  | { readonly kind: 'skip'; readonly why: string }

/** The search's outcome on a program. */
export type SearchAnswer =
  | {
      readonly kind: 'ran'
      readonly originalSlots: number
      readonly bestSlots: number
      /** Final check of the best program against the original. */
      readonly proof: ProofAnswer
      /** The analysis accepts the best program. */
      readonly accepted: boolean
      readonly seconds: number
      readonly candidatesPerSecond: number
    }
  | { readonly kind: 'fail'; readonly code: string; readonly line: string }
  | { readonly kind: 'skip'; readonly why: string }

/** One row: one entry program of one input. */
export interface ProgramRow {
  /** Input path relative to the corpus directory. */
  readonly object: string
  /** Project (first directory of `object`). */
  readonly project: string
  readonly section: string
  readonly name: string
  /** Program type the row was analysed and loaded as (after any types.tsv hint). */
  readonly progType: string
  readonly slots: number
  readonly read: Step
  readonly disasm: Step
  /** Reference kernel verdict (libbpf as bpftool loads it; Summit's loader where libbpf cannot). */
  readonly kernel: KernelVerdict
  /** Summit's own kernel path (`kernel-check`, the search's kernel option). */
  readonly summitKernel: KernelVerdict
  /** The program linked into Summit's program model (what the analysis, prover and search run). */
  readonly model: Step
  readonly analysis: AnalysisVerdict
  /** The program proven equal to itself. */
  readonly selfCheck: ProofAnswer
  /** The program proven equal to a trivially rewritten copy (`rX += k` as `rX -= -k`). */
  readonly rewriteCheck: ProofAnswer
  readonly search: SearchAnswer
  /** The improved program written in the input's format, read back and loaded. */
  readonly exportCheck: Step
  /** Wall-clock seconds spent on the row. */
  readonly seconds: number
}
