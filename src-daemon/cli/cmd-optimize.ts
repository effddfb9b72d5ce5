/**
 * @fileoverview `summit optimize FILE`: runs a search, re-proves the best program equal to the
 * original as a whole, re-runs the safety analysis (and optionally the kernel verifier), and
 * writes it in the input's own format.
 */
import { writeFileSync } from 'node:fs'
import { availableParallelism, release } from 'node:os'
import { formatKernelVersion, parseKernelVersion } from '../core/analysis/kernel-target'
import { Candidate } from '../core/search/candidate'
import { usesFrozen } from '../core/search/safety'
import { runSearch, type SearchProgress } from '../engine/search/engine'
import { finalCheck, prepareJob } from '../engine/search/prepare'
import { JOB_DEFAULTS } from '../engine/search/job'
import { Z3Instance } from '../engine/z3/z3-instance'
import { flagInt, flagString, parseArgs, UsageError } from './args'
import { EXIT, type Command } from './command'
import { CliError } from './errors'
import { loadInput, selectPrograms } from '../engine/program/load'
import { objectLoadVerdict } from './object-load-check'
import { kernelLoopLine, kernelLoopStats, kernelTargetOf, kernelVerify } from './optimize-kernel'
import { progTypeByName } from '../engine/kernel/bpf-constants'
import { defaultOutPath, outputBytes } from '../engine/program/output'
import { programTypeOption, runnable } from '../engine/program/program-model'
import { optimizeThroughDaemon } from './optimize-daemon'
import { perfModelFor } from '../core/search/cost'
import { BUILTIN_LATENCY, latencyModel } from '../core/search/latency'
import { perfModelOfCost, storedLatencyTable } from './cost-option'
import { targetKernelFlag } from './target-kernel'

function progressLine(p: SearchProgress): string {
  return (
    `${(p.elapsedMs / 1000).toFixed(1)}s  iter ${p.iterations}  ${Math.round(p.candidatesPerSecond)} cand/s  ` +
    `best ${p.bestSlots}/${p.originalSlots}  proofs ${p.proverCalls} (cache ${p.proofCacheHits})  tests ${p.tests}\n`
  )
}

/** Finds the candidate (over the original's slots) whose compact form is `slots`. */
export function bestCandidate(
  original: Candidate,
  checkpoint: string | undefined
): Candidate | undefined {
  if (checkpoint === undefined) return undefined
  const doc = JSON.parse(checkpoint) as { best?: Record<string, number[]> }
  if (doc.best === undefined) return undefined
  const c = new Candidate(original.length)
  for (const k of ['code', 'dst', 'src', 'off', 'imm', 'kind', 'row'] as const) {
    const a = doc.best[k]
    if (a === undefined || a.length !== original.length) return undefined
    c[k].set(a)
  }
  return c
}

/** `summit optimize`. */
export const optimizeCommand: Command = {
  name: 'optimize',
  usage:
    'optimize FILE [--section S] [--type T] [--time SEC | --iterations N] [--chains N] [--seed N] [--cost no-slower|size|latency] [--proof-timeout MS] [--no-kernel-verify] [--target-kernel V] [--out OUT] [--json] [--kernel-check [--kernel IMAGE]] [--daemon [--data-dir D]]',
  summary: 'searches for a shorter equivalent program and writes it in the input format',
  run: async (argv, io) => {
    const args = parseArgs(argv, {
      valued: [
        'section',
        'type',
        'time',
        'iterations',
        'chains',
        'seed',
        'cost',
        'out',
        'proof-timeout',
        'data-dir',
        'target-kernel',
        'kernel'
      ],
      aliases: { o: 'out' }
    })
    const [file] = args.positionals
    if (file === undefined || args.positionals.length !== 1)
      throw new UsageError('expects one FILE')
    const perfModel = perfModelOfCost(flagString(args, 'cost'))
    const timeSeconds = flagInt(args, 'time', 0)
    const iterations = flagInt(args, 'iterations', timeSeconds > 0 ? 0 : 200_000)
    const chains = flagInt(args, 'chains', availableParallelism())
    if (chains < 1) throw new UsageError('--chains must be at least 1')
    const json = args.flags.has('json')
    const verifyInLoop = !args.flags.has('no-kernel-verify')
    const target = targetKernelFlag(args)
    const targetOption = target !== undefined ? { targetKernel: target } : {}
    if (args.flags.has('daemon')) {
      if (flagString(args, 'type') !== undefined)
        throw new UsageError('--type is not passed to daemon jobs yet: run without --daemon')
      const proofTimeout = flagInt(args, 'proof-timeout', JOB_DEFAULTS.proofTimeoutMs)
      if (proofTimeout < 1) throw new UsageError('--proof-timeout must be at least 1 ms')
      return await optimizeThroughDaemon(
        {
          file,
          section: flagString(args, 'section'),
          config: {
            seed: flagInt(args, 'seed', 1),
            iterations,
            timeSeconds,
            chains,
            perfModel,
            kernelVerify: verifyInLoop,
            ...targetOption
          },
          proofTimeoutMs: proofTimeout,
          out: flagString(args, 'out'),
          json,
          dataDir: flagString(args, 'data-dir')
        },
        io
      )
    }
    const input = loadInput(file)
    const progs = selectPrograms(input, flagString(args, 'section'))
    if (progs.length > 1)
      throw new CliError({
        code: 'SECTION_AMBIGUOUS',
        message: `several programs (${progs.map((p) => p.section).join(', ')}); choose one with --section`,
        file
      })
    const program = progs[0]!
    const type = programTypeOption(flagString(args, 'type'))
    const kernelType = type === undefined ? undefined : progTypeByName(type)
    const r = runnable(input, program, type)
    if (r.core !== undefined)
      io.err(
        `CO-RE: ${r.core.relocations} relocation(s) resolved against this kernel's BTF (${r.core.kernel}), as libbpf resolves them here; the result holds where they resolve alike\n`
      )
    const proofTimeoutMs = flagInt(args, 'proof-timeout', JOB_DEFAULTS.proofTimeoutMs)
    if (proofTimeoutMs < 1) throw new UsageError('--proof-timeout must be at least 1 ms')
    const latencyTable = storedLatencyTable(flagString(args, 'data-dir'))
    const job = prepareJob(
      r,
      {
        seed: flagInt(args, 'seed', 1),
        iterations,
        perfModel,
        kernelVerify: verifyInLoop,
        ...targetOption
      },
      {
        proofTimeoutMs,
        ...(latencyTable !== undefined ? { latencyTable } : {}),
        ...(verifyInLoop ? kernelTargetOf(input, program, kernelType) : {})
      }
    )
    if (!job.ok) throw new CliError({ ...job.error, file, section: program.section })
    if (usesFrozen(job.value.profile))
      io.err(
        `note: the safety analysis read .rodata as this object holds it, as the kernel does once libbpf freezes it: the original and the result are checked safe for those values only\n`
      )
    let last = 0
    let announced = false
    const outcome = await runSearch(job.value, {
      chains,
      timeSeconds,
      iterations,
      onProgress: (p) => {
        if (p.iterations === 0) {
          if (!announced)
            io.err(`starting ${chains} chain(s): the workers load the interpreter and Z3\n`)
          announced = true
          return
        }
        const now = performance.now()
        if (now - last < 300) return
        last = now
        io.err(progressLine(p))
      },
      progressMs: 300
    })
    for (const f of outcome.failures) io.err(`warning: ${f}\n`)
    const kernelLoop = kernelLoopStats(outcome.progress.chains)
    if (verifyInLoop) io.err(`${kernelLoopLine(kernelLoop)}\n`)
    const original = Candidate.fromSlots(r.slots)
    // Pick the chain checkpoint holding the best program (fixed slots are needed for ELF output)
    // by the search's own cost: under the default, never one estimated slower than the original.
    const perf = perfModelFor(perfModel, original, latencyModel(latencyTable ?? BUILTIN_LATENCY))
    let best = original
    let bestPerf = perf.perf(original)
    for (const cp of outcome.checkpoints) {
      const c = bestCandidate(original, cp)
      const p = c !== undefined ? perf.perf(c) : Infinity
      if (c !== undefined && p < bestPerf) {
        best = c
        bestPerf = p
      }
    }
    const z3 = await Z3Instance.create()
    let verdict: string
    try {
      const check = await finalCheck(job.value, best.compact(), z3)
      if (!check.sound) {
        io.err(
          `warning: the best program failed the final check (proof ${check.proof.kind}, analysis ${check.accepted ? 'accepts' : 'rejects'}); writing the original\n`
        )
        best = original
      }
      verdict = check.sound ? 'proven equal, accepted by the analysis' : 'original kept'
    } finally {
      await z3.dispose()
    }
    let kernel: string | undefined
    if (args.flags.has('kernel-check')) {
      const image = flagString(args, 'kernel')
      const running = parseKernelVersion(release())
      const runningText = running.ok ? formatKernelVersion(running.value) : release()
      if (image === undefined && runningText !== job.value.options.targetKernel)
        io.err(
          `note: --kernel-check asks the running kernel (${runningText}), not the target ${job.value.options.targetKernel}; give --kernel IMAGE to ask the target\n`
        )
      kernel = await kernelVerify(input, program, best.compact(), kernelType, image)
      io.err(`kernel: ${kernel}\n`)
      if (kernel.startsWith('rejected')) return EXIT.negative
    }
    const out = flagString(args, 'out') ?? defaultOutPath(file)
    const bytes = outputBytes(input, program, r.slots, best)
    let objectLoad: string | undefined
    if (args.flags.has('kernel-check') && input.kind === 'elf') {
      objectLoad = objectLoadVerdict(file, bytes)
      io.err(`object: ${objectLoad}\n`)
      if (objectLoad.startsWith('rejected')) return EXIT.negative
    }
    writeFileSync(out, bytes)
    const p = outcome.progress
    if (json) {
      io.out(
        JSON.stringify(
          {
            file,
            section: program.section,
            out,
            originalSlots: original.liveSlots(),
            bestSlots: best.liveSlots(),
            verdict,
            targetKernel: job.value.options.targetKernel,
            ...(kernel !== undefined ? { kernel } : {}),
            ...(objectLoad !== undefined ? { objectLoad } : {}),
            ...(r.core !== undefined ? { core: r.core } : {}),
            improvements: outcome.improvements.map((m) => ({
              seconds: m.ms / 1000,
              slots: m.slots,
              chain: m.chain
            })),
            stats: {
              seconds: p.elapsedMs / 1000,
              chains: p.chains.length,
              iterations: p.iterations,
              evaluations: p.evaluations,
              candidatesPerSecond: p.candidatesPerSecond,
              proverCalls: p.proverCalls,
              proofCacheHits: p.proofCacheHits,
              tests: p.tests,
              ...(verifyInLoop ? { kernelVerifier: kernelLoop } : {})
            }
          },
          null,
          2
        ) + '\n'
      )
    } else {
      io.out(
        `${file} [${program.section}]: ${original.liveSlots()} -> ${best.liveSlots()} slots (${verdict}, for Linux ${job.value.options.targetKernel}); wrote ${out}\n`
      )
    }
    return EXIT.ok
  }
}
