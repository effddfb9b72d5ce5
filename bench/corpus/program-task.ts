/**
 * @fileoverview The corpus benchmark's work on one program, run inside a worker: the analysis
 * verdict (as the search's gate computes it, with the reason when it refuses), a self-check proof,
 * a proof against a trivial rewrite, a timed search with the final check of its best program,
 * and the improved program written in the input's own format and read back.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { bestCandidate } from '../../src-daemon/cli/cmd-optimize'
import { CliError } from '../../src-daemon/cli/errors'
import {
  loadInput,
  type LoadedInput,
  type LoadedProgram
} from '../../src-daemon/engine/program/load'
import { outputBytes } from '../../src-daemon/engine/program/output'
import { runnable, type RunnableProgram } from '../../src-daemon/engine/program/program-model'
import { k2CompanionNames } from '../../src-daemon/core/formats'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { Candidate } from '../../src-daemon/core/search/candidate'
import { analysisModels, chooseProfile } from '../../src-daemon/core/search/safety'
import { checkEquivalence } from '../../src-daemon/core/smt/equiv'
import type { TermSolver } from '../../src-daemon/core/smt/term-solver'
import { runSearch } from '../../src-daemon/engine/search/engine'
import { finalCheck, prepareJob } from '../../src-daemon/engine/search/prepare'
import { addSubRewrite } from './rewrite'
import type { AnalysisVerdict, ProofAnswer, SearchAnswer, Step } from './rows'

/** What the main thread asks a worker to do for one program. */
export interface ProgramTask {
  readonly file: string
  /** Program (function) name and section, as the project's reader lists them. */
  readonly name: string
  readonly section: string
  /** Program type to use instead of the one the section name gives (types.tsv). */
  readonly typeHint?: string
  readonly timeSeconds: number
  readonly proofTimeoutMs: number
  /** Where to write the improved program. */
  readonly exportDir: string
}

/** What a worker answers for one program. */
export interface ProgramTaskResult {
  /** The program linked into Summit's program model (subprograms, maps, input model). */
  readonly model: Step
  readonly analysis: AnalysisVerdict
  readonly selfCheck: ProofAnswer
  readonly rewriteCheck: ProofAnswer
  readonly search: SearchAnswer
  /** The improved program written and read back (kernel loading happens in the main thread). */
  readonly exportWrite: Step
  /** Path of the written program when `exportWrite` is ok. */
  readonly exportFile?: string
}

/** Stages, reported before each starts so a timeout can say where it happened. */
export type TaskStage =
  'analysis' | 'self-check' | 'rewrite-check' | 'search' | 'final-check' | 'export'

function errorLine(e: unknown): { code: string; line: string } {
  if (e instanceof CliError && e.diagnostic !== undefined)
    return { code: e.diagnostic.code, line: e.diagnostic.message }
  const err = e instanceof Error ? e : new Error(String(e))
  return { code: 'EXCEPTION', line: `${err.name}: ${err.message}` }
}

function findProgram(input: LoadedInput, task: ProgramTask): LoadedProgram {
  const p = input.programs.find((q) => q.name === task.name && q.section === task.section)
  if (p === undefined) throw new Error(`program ${task.section}/${task.name} not found`)
  return task.typeHint === undefined ? p : { ...p, progType: task.typeHint }
}

/** The analysis verdict the search's gate would reach, with the first profile's reason. */
export function analysisVerdict(r: RunnableProgram, isK2: boolean): AnalysisVerdict {
  // The search's own gate: the same profiles, .rodata unknown first.
  const choice = chooseProfile(r.slots, r.progType, r.model, r.attachType, undefined, r.btf)
  const acceptedAs = choice.ok ? choice.value.progType : undefined
  const firstError = choice.ok ? undefined : choice.error.error
  if (!isK2 && !analysisModels(r.progType))
    return {
      kind: 'unsupported',
      why: `type ${r.progType} is not modelled (the search falls back to flat profiles and ${acceptedAs !== undefined ? `accepts it as ${acceptedAs}` : 'rejects it'})`
    }
  if (acceptedAs !== undefined) return { kind: 'accept', profile: acceptedAs }
  return {
    kind: 'reject',
    code: firstError?.code ?? 'ANALYSIS_REJECTED',
    line: firstError?.message ?? 'rejected'
  }
}

async function prove(
  a: readonly Insn[],
  b: readonly Insn[],
  r: RunnableProgram,
  solver: TermSolver,
  timeoutMs: number
): Promise<ProofAnswer> {
  const t0 = performance.now()
  const res = await checkEquivalence(a, b, r.model, solver, { timeoutMs })
  const ms = Math.round(performance.now() - t0)
  if (res.kind === 'equal' || res.kind === 'notEqual') return { kind: res.kind, ms }
  return { kind: res.kind, reason: res.reason, ms }
}

/** The first slot where `a` and `b` differ (length included), or undefined when equal. */
function firstDifference(a: readonly Insn[], b: readonly Insn[]): number | undefined {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a[i]!
    const y = b[i]!
    if (
      x.code !== y.code ||
      x.dst !== y.dst ||
      x.src !== y.src ||
      x.off !== y.off ||
      x.imm !== y.imm
    )
      return i
  }
  return a.length === b.length ? undefined : n
}

/** Writes `bytes` as the exported program (with K2 companions beside it) and reads it back. */
function writeAndReadBack(
  input: LoadedInput,
  program: LoadedProgram,
  task: ProgramTask,
  bytes: Uint8Array,
  best: readonly Insn[]
): { step: Step; file?: string } {
  mkdirSync(task.exportDir, { recursive: true })
  const stem = `${basename(task.file).replace(/\.(o|insns)$/, '')}.${task.name.replace(/[^\w.-]/g, '_')}.summit`
  const file = join(task.exportDir, input.kind === 'k2' ? `${stem}.insns` : `${stem}.o`)
  writeFileSync(file, bytes)
  if (input.kind === 'k2') {
    const from = k2CompanionNames(task.file)
    const to = k2CompanionNames(file)
    if (existsSync(from.maps)) copyFileSync(from.maps, to.maps)
    if (existsSync(from.desc)) copyFileSync(from.desc, to.desc)
  }
  try {
    const back = loadInput(file)
    // A K2 file holds one program, named after the file (which the export renames).
    const p =
      input.kind === 'k2'
        ? back.programs[0]
        : back.programs.find((q) => q.section === program.section && q.name === program.name)
    if (p === undefined)
      return {
        step: {
          kind: 'fail',
          code: 'EXPORT_PROGRAM_MISSING',
          line: 'the written object lacks the program'
        }
      }
    const got = runnable(back, task.typeHint === undefined ? p : { ...p, progType: task.typeHint })
    const differs = firstDifference(got.slots, best)
    if (differs !== undefined)
      return {
        step: {
          kind: 'fail',
          code: 'EXPORT_READBACK_MISMATCH',
          line: `the program read back differs from the one written at slot ${differs} (${got.slots.length} slots read, ${best.length} written)`
        }
      }
    return { step: { kind: 'ok' }, file }
  } catch (e) {
    const { code, line } = errorLine(e)
    return { step: { kind: 'fail', code, line: `reading it back: ${line}` } }
  }
}

/** Runs every worker-side stage of `task`; `stage` is called before each one starts, with what is known so far. */
export async function runProgramTask(
  task: ProgramTask,
  solver: TermSolver,
  stage: (s: TaskStage, sofar: Partial<ProgramTaskResult>) => void
): Promise<ProgramTaskResult> {
  const input = loadInput(task.file)
  const program = findProgram(input, task)
  let r: RunnableProgram
  try {
    r = runnable(input, program)
  } catch (e) {
    const { code, line } = errorLine(e)
    const skip = { kind: 'skip' as const, why: 'no program model' }
    return {
      model: { kind: 'fail', code, line },
      analysis: skip,
      selfCheck: skip,
      rewriteCheck: skip,
      search: skip,
      exportWrite: skip
    }
  }
  const model: Step = { kind: 'ok' }
  stage('analysis', { model })
  const analysis = analysisVerdict(r, input.kind === 'k2')
  // A K2 file's description may give a context that cannot describe the program (Cilium's tc
  // programs as a flat packet, read through skb->data): prove and search it as the type the
  // analysis took, as a user would with --type.
  if (input.kind === 'k2' && analysis.kind === 'accept') {
    const typed = runnable(input, program, analysis.profile)
    if (typed.model.ctx !== r.model.ctx && typed.model.ctx !== 'flat') r = typed
  }
  stage('self-check', { model, analysis })
  const selfCheck = await prove(r.slots, r.slots, r, solver, task.proofTimeoutMs)
  stage('rewrite-check', { model, analysis, selfCheck })
  const rw = addSubRewrite(r.slots)
  const rewriteCheck: ProofAnswer =
    rw === undefined
      ? { kind: 'skip', why: 'no add/sub with an immediate to rewrite' }
      : await prove(r.slots, rw.slots, r, solver, task.proofTimeoutMs)
  const sofar = { model, analysis, selfCheck, rewriteCheck }
  if (task.timeSeconds === 0)
    return {
      ...sofar,
      search: { kind: 'skip', why: 'no search (--time 0)' },
      exportWrite: { kind: 'skip', why: 'no search' }
    }
  stage('search', sofar)
  const job = prepareJob(
    r,
    { seed: 1, iterations: 0, perfModel: 'count' },
    { proofTimeoutMs: task.proofTimeoutMs }
  )
  if (!job.ok)
    return {
      ...sofar,
      search: { kind: 'fail', code: job.error.code, line: job.error.message },
      exportWrite: { kind: 'skip', why: 'no search' }
    }
  const t0 = performance.now()
  // The chain runs in its own worker: an in-process chain checks its time budget only between
  // slices that end without a proof, so a program whose proofs keep answering unknown would
  // never stop; a chain worker is told to stop when the time is up.
  const outcome = await runSearch(job.value, {
    chains: 1,
    inProcess: false,
    timeSeconds: task.timeSeconds,
    iterations: 0
  })
  const seconds = (performance.now() - t0) / 1000
  if (outcome.failures.length > 0)
    return {
      ...sofar,
      search: { kind: 'fail', code: 'SEARCH_CHAIN_FAILED', line: outcome.failures[0]! },
      exportWrite: { kind: 'skip', why: 'no search' }
    }
  const original = Candidate.fromSlots(r.slots)
  let best = original
  for (const cp of outcome.checkpoints) {
    const c = bestCandidate(original, cp)
    if (c !== undefined && c.liveSlots() < best.liveSlots()) best = c
  }
  const bestSlots = best.compact()
  const searched = (proof: ProofAnswer, accepted: boolean): SearchAnswer => ({
    kind: 'ran',
    originalSlots: original.liveSlots(),
    bestSlots: best.liveSlots(),
    proof,
    accepted,
    seconds,
    candidatesPerSecond: outcome.progress.candidatesPerSecond
  })
  if (best === original)
    return {
      ...sofar,
      search: searched({ kind: 'skip', why: 'nothing shorter found' }, true),
      exportWrite: { kind: 'skip', why: 'no improvement' }
    }
  stage('final-check', { ...sofar, search: searched({ kind: 'skip', why: 'running' }, false) })
  const t1 = performance.now()
  const f = await finalCheck(job.value, bestSlots, solver, task.proofTimeoutMs)
  const ms = Math.round(performance.now() - t1)
  const search = searched(
    f.proof.kind === 'equal' || f.proof.kind === 'notEqual'
      ? { kind: f.proof.kind, ms }
      : { kind: f.proof.kind, reason: f.proof.reason, ms },
    f.accepted
  )
  if (!f.sound)
    return {
      ...sofar,
      search,
      exportWrite: { kind: 'skip', why: 'the best program is not proven' }
    }
  stage('export', { ...sofar, search })
  let bytes: Uint8Array
  try {
    bytes = outputBytes(input, program, r.slots, best)
  } catch (e) {
    const { code, line } = errorLine(e)
    return { ...sofar, search, exportWrite: { kind: 'fail', code, line } }
  }
  const written = writeAndReadBack(input, program, task, bytes, bestSlots)
  return {
    ...sofar,
    search,
    exportWrite: written.step,
    ...(written.file !== undefined ? { exportFile: written.file } : {})
  }
}
