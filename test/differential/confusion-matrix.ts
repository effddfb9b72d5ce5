/**
 * @fileoverview The analysis-vs-kernel confusion matrix over seeded mutants of the K2 benchmark:
 * each mutant (one or two random instruction changes) goes through the safety analysis and the
 * kernel verifier. "Analysis accepts, kernel rejects" is a bug of the analysis (unsound);
 * "analysis rejects, kernel accepts" is imprecision (safe, costs search space).
 */
import { readFileSync } from 'node:fs'
import { makeMutants, type Mutant } from '../../src-daemon/core/analysis/mutants'
import type { MapDef, ProgType as AnalysisProgType } from '../../src-daemon/core/analysis/types'
import { analyze } from '../../src-daemon/core/analysis/verifier'
import { parseK2Program } from '../../src-daemon/core/formats/k2'
import { disasmSlots } from '../../src-daemon/core/isa/disasm'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { ProgType } from '../../src-daemon/engine/kernel/bpf-constants'
import type { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import type { MapHandle } from '../../src-daemon/engine/kernel/oracle-types'
import { K2_DIR } from './diff-programs'
import { requiredFeatures, type KernelFeature } from '../../src-daemon/engine/kernel/features'

/** One benchmark program as both checkers see it. */
export interface CheckedProgram {
  readonly name: string
  readonly slots: readonly Insn[]
  readonly maps: readonly MapDef[]
  readonly analysisType: AnalysisProgType
  readonly kernelType: number
  readonly ctxSize: number
}

/**
 * Loads benchmark `name`. `attach` types are those the programs would be attached as: XDP for
 * type-2 programs and xdp_pktcntr (which never reads r1), socket filter for the ld_abs programs,
 * tracepoint for the other flat-buffer programs (context bounded by `max_pkt_sz`). `run` types
 * are those `k2KernelRun` test-runs them as: raw_tracepoint (96-byte context) instead of
 * tracepoint, and for xdp_pktcntr too.
 */
export function checkedProgram(name: string, types: 'attach' | 'run' = 'attach'): CheckedProgram {
  const r = parseK2Program(
    new Uint8Array(readFileSync(`${K2_DIR ?? ''}${name}.insns`)),
    readFileSync(`${K2_DIR ?? ''}${name}.maps`, 'utf8'),
    readFileSync(`${K2_DIR ?? ''}${name}.desc`, 'utf8'),
    name
  )
  if (!r.ok) throw new Error(`${name}: ${r.error.code} ${r.error.message}`)
  const k2 = r.value
  const slots = k2.slots.map((s) => ({ ...s }))
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!
    if (s.code !== 0x18) continue
    const index = k2.maps.findIndex((m) => m.fd === s.imm)
    if (s.src === 1 && index >= 0) s.imm = index
    i++
  }
  let analysisType: AnalysisProgType = types === 'run' ? 'raw_tracepoint' : 'tracepoint'
  if (k2.desc.pgmInputType === 2 || (name === 'xdp_pktcntr' && types === 'attach'))
    analysisType = 'xdp'
  else if (name.startsWith('socket')) analysisType = 'socket_filter'
  const kernelType =
    analysisType === 'xdp'
      ? ProgType.xdp
      : analysisType === 'socket_filter'
        ? ProgType.socketFilter
        : analysisType === 'raw_tracepoint'
          ? ProgType.rawTracepoint
          : ProgType.tracepoint
  return {
    name,
    slots,
    maps: k2.maps.map((m) => ({
      type: m.type,
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries
    })),
    analysisType,
    kernelType,
    ctxSize:
      analysisType === 'tracepoint' ? k2.desc.maxPktSz : analysisType === 'raw_tracepoint' ? 96 : 0
  }
}

/** A 2x2 matrix: analysis verdict × kernel verdict. */
export interface Matrix {
  bothAccept: number
  analysisOnly: number
  kernelOnly: number
  bothReject: number
}

/** An analysis-accepts/kernel-rejects case (a soundness bug) or the reverse (imprecision). */
export interface Disagreement {
  readonly program: string
  readonly mutant: Mutant
  /** Changed instructions, `slot: old -> new`. */
  readonly changes: string[]
  /** Kernel log tail (analysis-only accepts) or the analysis reason (kernel-only accepts). */
  readonly why: string
}

/** The matrices and disagreements of a run. */
export interface ConfusionReport {
  readonly overall: Matrix
  readonly perProgram: Map<string, Matrix>
  /** Analysis accepted, kernel rejected: bugs. */
  readonly unsound: Disagreement[]
  /** Analysis rejected, kernel accepted: imprecision (first few per program). */
  readonly imprecise: Disagreement[]
  /** Loads that failed for a reason other than the verifier (should be none). */
  readonly kernelErrors: string[]
  /** Mutants not compared because they need a kernel feature this kernel lacks. */
  unsupported: number
}

/** Whether the kernel has every one of `features` (so that its verdict can be compared). */
export type FeatureCheck = (features: readonly KernelFeature[]) => Promise<boolean>

/** Empty matrix. */
export function emptyMatrix(): Matrix {
  return { bothAccept: 0, analysisOnly: 0, kernelOnly: 0, bothReject: 0 }
}

/** Disassembly line of each slot (the second slot of an ld_imm64 shares the first's line). */
function linesBySlot(slots: readonly Insn[]): (string | undefined)[] {
  const r = disasmSlots(slots, 'llvm')
  const out: (string | undefined)[] = []
  let line = 0
  for (let i = 0; i < slots.length; i++) {
    const text = r.ok ? r.value[line] : undefined
    out.push(text)
    if (slots[i]!.code === 0x18) {
      out.push(text)
      i++
    }
    line++
  }
  return out
}

function changesOf(base: readonly Insn[], m: Mutant): string[] {
  const a = linesBySlot(base)
  const b = linesBySlot(m.slots)
  const raw = (s: Insn): string =>
    `{code:0x${s.code.toString(16)},dst:${s.dst},src:${s.src},off:${s.off},imm:${s.imm}}`
  const out: string[] = []
  for (let i = 0; i < base.length; i++) {
    const x = base[i]!
    const y = m.slots[i]!
    if (
      x.code === y.code &&
      x.dst === y.dst &&
      x.src === y.src &&
      x.off === y.off &&
      x.imm === y.imm
    )
      continue
    out.push(`${i}: ${a[i] ?? raw(x)} ${raw(x)} -> ${b[i] ?? raw(y)} ${raw(y)}`)
  }
  return out
}

function logTail(log: string): string {
  return log.trimEnd().split('\n').slice(-3).join(' | ')
}

/** Runs `perProgram` mutants of each program through both checkers. */
export async function confusion(
  oracle: KernelOracle,
  programs: readonly CheckedProgram[],
  perProgram: number,
  seed: number,
  onProgress?: (done: number, total: number) => void,
  kernelHas?: FeatureCheck
): Promise<ConfusionReport> {
  const report: ConfusionReport = {
    overall: emptyMatrix(),
    perProgram: new Map(),
    unsound: [],
    imprecise: [],
    kernelErrors: [],
    unsupported: 0
  }
  let done = 0
  for (const [pi, p] of programs.entries()) {
    const matrix = emptyMatrix()
    report.perProgram.set(p.name, matrix)
    const handles: MapHandle[] = []
    for (const def of p.maps) {
      const h = await oracle.createMap(def)
      if (!h.ok) throw new Error(`${p.name}: ${h.error.message}`)
      handles.push(h.value)
    }
    let impreciseShown = 0
    try {
      for (const mu of makeMutants(p.slots, seed + pi * 7919, perProgram)) {
        // Helpers are compared whatever the kernel says (a helper of another program type is a
        // rejection every kernel agrees on); instruction classes and map types a kernel may
        // simply not have yet are not.
        const needs = requiredFeatures(
          mu.slots,
          p.kernelType,
          p.maps.map((m) => m.type)
        ).filter((f) => f.kind !== 'helper')
        if (kernelHas !== undefined && !(await kernelHas(needs))) {
          report.unsupported++
          continue
        }
        const ours = analyze(mu.slots, {
          progType: p.analysisType,
          maps: p.maps,
          insnBudget: 100_000,
          collectStates: false,
          ...(p.ctxSize ? { ctxSize: p.ctxSize } : {})
        })
        const k = await oracle.load(mu.slots, handles, { progType: p.kernelType })
        if (k.ok) await oracle.close(k.value)
        else if (k.error.code !== 'KERNEL_VERIFIER_REJECTED') {
          report.kernelErrors.push(`${p.name}: ${k.error.code} ${k.error.message}`)
          continue
        }
        const key: keyof Matrix = ours.ok
          ? k.ok
            ? 'bothAccept'
            : 'analysisOnly'
          : k.ok
            ? 'kernelOnly'
            : 'bothReject'
        matrix[key]++
        report.overall[key]++
        if (key === 'analysisOnly' && !k.ok)
          report.unsound.push({
            program: p.name,
            mutant: mu,
            changes: changesOf(p.slots, mu),
            why: logTail(k.error.log ?? k.error.message)
          })
        if (key === 'kernelOnly' && !ours.ok && impreciseShown++ < 3)
          report.imprecise.push({
            program: p.name,
            mutant: mu,
            changes: changesOf(p.slots, mu),
            why: `${ours.error.code} @${ours.error.index ?? '?'}: ${ours.error.message}`
          })
        onProgress?.(++done, programs.length * perProgram)
      }
    } finally {
      for (const h of handles) await oracle.close(h)
    }
  }
  return report
}

/** The matrix as text (rows: analysis; columns: kernel). */
export function formatMatrix(title: string, m: Matrix): string {
  const total = m.bothAccept + m.analysisOnly + m.kernelOnly + m.bothReject
  const w = (n: number): string => String(n).padStart(8)
  return [
    `${title} (${total} mutants)`,
    `                     kernel accept  kernel reject`,
    `  analysis accept   ${w(m.bothAccept)}       ${w(m.analysisOnly)}`,
    `  analysis reject   ${w(m.kernelOnly)}       ${w(m.bothReject)}`
  ].join('\n')
}
