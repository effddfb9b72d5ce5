/**
 * @fileoverview The main thread's side of one corpus program: disassembly, the reference kernel
 * verdict (libbpf, or Summit's loader where libbpf cannot read the object), Summit's own kernel
 * path, the worker's stages (analysis, proofs, search, export) and loading the exported program
 * exactly as the original was loaded. Everything that fails becomes a value in the row.
 */
import {
  loadInput,
  type LoadedInput,
  type LoadedProgram
} from '../../src-daemon/engine/program/load'
import { disasmSlots } from '../../src-daemon/core/isa/disasm'
import type { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import { failureLine, loadProgram, verifierRan } from './libbpf-loader'
import type { WorkerPool } from './pool'
import type { ProgramTask, ProgramTaskResult } from './program-task'
import type { KernelVerdict, ProgramRow, Step } from './rows'
import { summitKernelLoad } from './summit-kernel'

/** Kernel program type numbers of the type names types.tsv may use. */
const PROG_TYPE_NUMBERS: Readonly<Record<string, number>> = {
  socket_filter: 1,
  kprobe: 2,
  sched_cls: 3,
  sched_act: 4,
  tracepoint: 5,
  xdp: 6,
  perf_event: 7,
  cgroup_skb: 8,
  cgroup_sock: 9,
  lwt_in: 10,
  lwt_out: 11,
  lwt_xmit: 12,
  sock_ops: 13,
  sk_skb: 14,
  sk_msg: 16,
  raw_tracepoint: 17,
  cgroup_sock_addr: 18,
  flow_dissector: 22
}

/** What every program of a run shares. */
export interface RunContext {
  readonly pool: WorkerPool
  /** The kernel oracle, or why the kernel is not asked. */
  readonly oracle: KernelOracle | { readonly unavailable: string }
  /** The libbpf-load tool, or why there is none. */
  readonly libbpf: { readonly path: string } | { readonly unavailable: string }
  readonly timeSeconds: number
  readonly proofTimeoutMs: number
  readonly programTimeoutMs: number
  readonly exportDir: string
}

/** One program to run. */
export interface ProgramWork {
  readonly file: string
  readonly rel: string
  readonly project: string
  readonly input: LoadedInput
  readonly program: LoadedProgram
  readonly typeHint?: string
}

const LOAD_TIMEOUT_MS = 120_000

function isOracle(o: RunContext['oracle']): o is KernelOracle {
  return !('unavailable' in o)
}

/** The reference kernel verdict for `program` of the object at `file`. */
async function referenceKernel(
  ctx: RunContext,
  file: string,
  input: LoadedInput,
  program: LoadedProgram,
  typeHint: string | undefined
): Promise<KernelVerdict> {
  if (!isOracle(ctx.oracle)) return { kind: 'skip', why: ctx.oracle.unavailable }
  // K2 triples carry no object: Summit's loader is how K2's own tooling loads them.
  if (input.kind !== 'elf' || 'unavailable' in ctx.libbpf)
    return summitKernelLoad(ctx.oracle, input, program, typeHint)
  // A hinted type overrides libbpf's guess; otherwise Summit's guess from the section name
  // (which knows the legacy names old loaders used) applies only where libbpf has none.
  const guessed = input.object?.programs.find(
    (p) => p.name === program.name && p.section === program.section
  )?.progType.progType
  const type =
    typeHint !== undefined
      ? PROG_TYPE_NUMBERS[typeHint]
      : guessed !== undefined && guessed > 0
        ? -guessed
        : undefined
  let r
  try {
    r = await loadProgram(ctx.libbpf.path, file, program.name, type, LOAD_TIMEOUT_MS)
  } catch (e) {
    return { kind: 'error', via: 'libbpf', code: 'LIBBPF_TOOL', line: String(e) }
  }
  if (r.ok) return { kind: 'accept', via: 'libbpf', verifiedInsns: r.verifiedInsns }
  if (r.stage === 'open') {
    // libbpf 1.x refuses legacy objects (a `maps` section of bpf_map_def): load them the way
    // iproute2 and the old samples' loader did, through Summit's loader.
    const s = await summitKernelLoad(ctx.oracle, input, program, typeHint)
    return s.kind === 'skip'
      ? s
      : { ...s, via: `summit; libbpf cannot open it: ${failureLine(r.said)}` }
  }
  const line = failureLine(r.said)
  return verifierRan(r.said)
    ? { kind: 'reject', via: 'libbpf', code: `errno ${r.errno}`, line }
    : { kind: 'error', via: 'libbpf', code: `LIBBPF errno ${r.errno}`, line }
}

/** Loads the exported program as the original was loaded (same loader, same type). */
async function loadExport(
  ctx: RunContext,
  work: ProgramWork,
  exportFile: string,
  reference: KernelVerdict
): Promise<Step> {
  if (!isOracle(ctx.oracle)) return { kind: 'ok', detail: 'read back; not loaded (no BPF)' }
  const back = loadInput(exportFile)
  const p = back.programs.find(
    (q) => q.name === work.program.name && q.section === work.program.section
  )
  if (p === undefined) return { kind: 'fail', code: 'EXPORT_PROGRAM_MISSING', line: 'not found' }
  const v =
    reference.kind !== 'skip' && reference.via === 'libbpf'
      ? await referenceKernel(ctx, exportFile, back, p, work.typeHint)
      : await summitKernelLoad(ctx.oracle, back, p, work.typeHint)
  if (v.kind === 'accept') return { kind: 'ok', detail: `loads (${v.via})` }
  if (v.kind === 'skip') return { kind: 'ok', detail: `read back; not loaded: ${v.why}` }
  return { kind: 'fail', code: `EXPORT_${v.kind.toUpperCase()} ${v.code}`, line: v.line }
}

function failedRow(
  partial: Partial<ProgramTaskResult>,
  stage: string,
  why: string
): Pick<
  ProgramRow,
  'model' | 'analysis' | 'selfCheck' | 'rewriteCheck' | 'search' | 'exportCheck'
> {
  const skip = { kind: 'skip' as const, why: `not reached (${stage} did not finish)` }
  const code = why.startsWith('no answer') ? 'TIMEOUT' : 'WORKER_FAILED'
  const failure = { kind: 'fail' as const, code, line: `${stage}: ${why}` }
  return {
    model: partial.model ?? (stage === 'start' ? failure : skip),
    analysis: partial.analysis ?? skip,
    selfCheck:
      partial.selfCheck ??
      (stage === 'self-check' ? { kind: 'unknown', reason: failure.line, ms: 0 } : skip),
    rewriteCheck:
      partial.rewriteCheck ??
      (stage === 'rewrite-check' ? { kind: 'unknown', reason: failure.line, ms: 0 } : skip),
    search:
      stage === 'search' || stage === 'final-check'
        ? { kind: 'fail', code: failure.code, line: failure.line }
        : (partial.search ?? skip),
    exportCheck: stage === 'export' ? failure : skip
  }
}

/** Runs every stage of one program and returns its row. */
export async function runProgram(ctx: RunContext, work: ProgramWork): Promise<ProgramRow> {
  const t0 = performance.now()
  const { program, input, typeHint } = work
  const d = disasmSlots(program.slots, 'llvm')
  const disasm: Step = d.ok
    ? { kind: 'ok' }
    : { kind: 'fail', code: d.error.code, line: d.error.message }
  let kernel = await referenceKernel(ctx, work.file, input, program, typeHint)
  const summitKernel: KernelVerdict = !isOracle(ctx.oracle)
    ? { kind: 'skip', why: ctx.oracle.unavailable }
    : kernel.kind !== 'skip' && kernel.via.startsWith('summit')
      ? kernel
      : await summitKernelLoad(ctx.oracle, input, program, typeHint)
  const task: ProgramTask = {
    file: work.file,
    name: program.name,
    section: program.section,
    ...(typeHint !== undefined ? { typeHint } : {}),
    timeSeconds: ctx.timeSeconds,
    proofTimeoutMs: ctx.proofTimeoutMs,
    exportDir: ctx.exportDir
  }
  const outcome = await ctx.pool.run(task, ctx.programTimeoutMs)
  let rest: Pick<
    ProgramRow,
    'model' | 'analysis' | 'selfCheck' | 'rewriteCheck' | 'search' | 'exportCheck'
  >
  if (outcome.kind === 'done') {
    const r = outcome.result
    const exportCheck =
      r.exportWrite.kind === 'ok' && r.exportFile !== undefined
        ? await loadExport(ctx, work, r.exportFile, kernel)
        : r.exportWrite
    rest = { ...r, exportCheck }
  } else rest = failedRow(outcome.sofar, outcome.stage, outcome.message)
  // A K2 program has no type of its own: the analysis accepts it as the first of several kernel
  // types that fits, so the kernel is asked about that same type (else agreement compares two).
  if (input.k2 !== undefined && rest.analysis.kind === 'accept' && isOracle(ctx.oracle)) {
    const as = rest.analysis.profile
    const v = await summitKernelLoad(ctx.oracle, input, program, as)
    kernel = v.kind === 'skip' ? v : { ...v, via: `${v.via} as ${as}, the type the analysis took` }
  }
  return {
    object: work.rel,
    project: work.project,
    section: program.section,
    name: program.name,
    progType: typeHint ?? program.progType,
    slots: program.slots.length,
    read: { kind: 'ok' },
    disasm,
    kernel,
    summitKernel,
    model: rest.model,
    analysis: rest.analysis,
    selfCheck: rest.selfCheck,
    rewriteCheck: rest.rewriteCheck,
    search: rest.search,
    exportCheck: rest.exportCheck,
    seconds: (performance.now() - t0) / 1000
  }
}
