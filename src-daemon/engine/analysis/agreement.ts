/**
 * @fileoverview The safety analysis against this kernel's verifier, program by program: one
 * verdict from each, and a matrix over many. `compareWithKernel` is what benchmarks call (the
 * agreement benchmark over objects and their mutants, the corpus benchmark).
 */
import { describeRefusal } from '../../core/analysis/describe'
import { ATTACH_TYPES, KERNEL_PROG_TYPES, type AttachType } from '../../core/analysis/program-kind'
import type { MapDef, ProgType } from '../../core/analysis/types'
import { analyze } from '../../core/analysis/verifier'
import type { Insn } from '../../core/isa/insn'
import type { KernelOracle } from '../kernel/oracle'
import type { BtfBinding } from '../../core/search/safety'
import type { MapHandle, MapSpec } from '../kernel/oracle-types'

/** One program as both checkers see it. */
export interface AgreementProgram {
  /** Name for reports (`file:section`, or a mutant's name). */
  readonly name: string
  /** Linked slots: map references are ld_imm64 src=1/2 with imm = index in `maps`. */
  readonly slots: readonly Insn[]
  /** Maps as the kernel creates them (index = the map's index in the slots). */
  readonly maps: readonly MapSpec[]
  /** Program type by the kernel's name. */
  readonly progType: Exclude<ProgType, 'plain'>
  /** Expected attach type, where the section gives one. */
  readonly attachType?: AttachType
  /** License (default GPL). */
  readonly license?: string
  /** tracing and LSM programs: the attach target from the kernel's BTF, or why there is none. */
  readonly btf?: BtfBinding
}

/** What one checker said. */
export interface Verdict {
  readonly accepted: boolean
  /** Why it refused (the kernel's last log lines, or the analysis's code and refusal). */
  readonly reason?: string
}

/** Both verdicts on one program; `kernel` is undefined when the kernel could not be asked. */
export interface Agreement {
  readonly name: string
  readonly progType: ProgType
  readonly analysis: Verdict
  readonly kernel?: Verdict
  /** Why the kernel could not be asked (map creation failed, type needs a BTF target, ...). */
  readonly kernelError?: string
}

/** Program types the kernel loads only with an attach target from BTF (not given here). */
const NEEDS_ATTACH_BTF: ReadonlySet<ProgType> = new Set<ProgType>([
  'tracing',
  'lsm',
  'ext',
  'struct_ops'
])

/** The analysis's verdict (with the refusal described like the kernel's log). */
export function analysisVerdict(p: AgreementProgram, insnBudget = 1_000_000): Verdict {
  const maps: MapDef[] = p.maps.map((m) => ({
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    ...(m.flags !== undefined ? { flags: m.flags } : {})
  }))
  const r = analyze(p.slots, {
    progType: p.progType,
    maps,
    ...(p.attachType !== undefined ? { attachType: p.attachType } : {}),
    ...(p.btf?.btfTarget !== undefined ? { btfTarget: p.btf.btfTarget } : {}),
    ...(p.btf?.btfRefusal !== undefined ? { btfRefusal: p.btf.btfRefusal } : {}),
    collectStates: false,
    insnBudget
  })
  if (r.ok) return { accepted: true }
  return {
    accepted: false,
    reason: `${r.error.code} ${describeRefusal(p.slots, r.error, r.state)}`
  }
}

function logTail(log: string, lines = 2): string {
  return log.trimEnd().split('\n').slice(-lines).join(' | ')
}

/** The kernel's verdict; map creation and other load failures are errors, not verdicts. */
export async function kernelVerdict(
  oracle: KernelOracle,
  p: AgreementProgram
): Promise<{ verdict: Verdict } | { error: string }> {
  if (NEEDS_ATTACH_BTF.has(p.progType))
    return { error: `${p.progType} programs need an attach target (BTF id) to load` }
  const handles: MapHandle[] = []
  try {
    for (const spec of p.maps) {
      const h = await oracle.createMap(spec)
      if (!h.ok) return { error: `map create: ${h.error.message}` }
      handles.push(h.value)
    }
    const k = await oracle.load(p.slots, handles, {
      progType: KERNEL_PROG_TYPES[p.progType],
      ...(p.attachType !== undefined ? { expectedAttachType: ATTACH_TYPES[p.attachType] } : {}),
      license: p.license ?? 'GPL'
    })
    if (k.ok) {
      await oracle.close(k.value)
      return { verdict: { accepted: true } }
    }
    if (k.error.code !== 'KERNEL_VERIFIER_REJECTED')
      return { error: `${k.error.code}: ${k.error.message}` }
    return { verdict: { accepted: false, reason: logTail(k.error.log ?? k.error.message) } }
  } finally {
    for (const h of handles) await oracle.close(h)
  }
}

/** Both verdicts on `p`. */
export async function compareWithKernel(
  oracle: KernelOracle,
  p: AgreementProgram
): Promise<Agreement> {
  const analysis = analysisVerdict(p)
  const k = await kernelVerdict(oracle, p)
  return 'verdict' in k
    ? { name: p.name, progType: p.progType, analysis, kernel: k.verdict }
    : { name: p.name, progType: p.progType, analysis, kernelError: k.error }
}

/** Counts of the four outcomes (rows: analysis, columns: kernel). */
export interface AgreementMatrix {
  bothAccept: number
  /** Analysis accepts, kernel refuses: a soundness bug of the analysis. */
  analysisOnly: number
  /** Kernel accepts, analysis refuses: imprecision. */
  kernelOnly: number
  bothReject: number
  /** The kernel could not be asked. */
  unknown: number
}

/** The matrix of a list of agreements. */
export function agreementMatrix(list: readonly Agreement[]): AgreementMatrix {
  const m: AgreementMatrix = {
    bothAccept: 0,
    analysisOnly: 0,
    kernelOnly: 0,
    bothReject: 0,
    unknown: 0
  }
  for (const a of list) {
    if (a.kernel === undefined) m.unknown++
    else if (a.analysis.accepted && a.kernel.accepted) m.bothAccept++
    else if (a.analysis.accepted) m.analysisOnly++
    else if (a.kernel.accepted) m.kernelOnly++
    else m.bothReject++
  }
  return m
}
