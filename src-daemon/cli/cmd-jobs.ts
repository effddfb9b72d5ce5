/** @fileoverview `summit jobs list|show|start|pause|resume|cancel|export|kernel-check`: job control through the daemon. */
import { writeFileSync } from 'node:fs'
import type { CandidateInfo, Job } from '../api/protocol/schemas'
import { EXPORT_FORMATS, type ExportFormat, type JobAction } from '../api/protocol/routes'
import { flagInt, flagString, parseArgs, UsageError } from './args'
import { EXIT, type CliIo, type Command } from './command'
import { connect, dataDirOf } from './daemon-connect'
import { CliError } from './errors'
import { jobsKernelCheck } from './jobs-kernel-check'

const SUBCOMMANDS = [
  'list',
  'show',
  'start',
  'pause',
  'resume',
  'cancel',
  'export',
  'kernel-check'
] as const

/** One line per job. */
function jobLine(j: Job): string {
  const secs = (j.elapsedMs / 1000).toFixed(0)
  return `${String(j.id).padStart(4)}  ${j.state.padEnd(9)}  ${j.bestSlots}/${j.originalSlots} slots  ${secs}s  ${j.iterations} iter  ${j.runningChains} chains running  ${j.name}${j.error !== null ? `  (${j.error})` : ''}\n`
}

function jobId(positionals: readonly string[]): number {
  const raw = positionals[1]
  if (raw === undefined || !/^\d+$/.test(raw)) throw new UsageError('expects a job ID')
  return Number(raw)
}

/** The candidate to export: the given one, else the job's latest improvement. */
function pick(
  improvements: readonly CandidateInfo[],
  id: number | undefined,
  job: number
): CandidateInfo {
  const c =
    id === undefined ? improvements[improvements.length - 1] : improvements.find((x) => x.id === id)
  if (c === undefined)
    throw new CliError({
      code: 'NO_RESULT',
      message:
        id === undefined
          ? `job ${job} has no proven improvement yet`
          : `candidate ${id} is not a proven improvement of job ${job}`
    })
  return c
}

async function show(
  io: CliIo,
  json: boolean,
  job: Job,
  improvements: readonly CandidateInfo[]
): Promise<void> {
  if (json) {
    io.out(JSON.stringify({ job, improvements }, null, 2) + '\n')
    return
  }
  io.out(jobLine(job))
  io.out(
    `  program ${job.programId.slice(0, 12)} section ${job.section}; priority ${job.priority}\n`
  )
  for (const c of improvements)
    io.out(
      `  candidate ${c.id}: ${c.slots} slots at ${(c.elapsedMs / 1000).toFixed(1)}s (chain ${c.chain}, proof ${c.proof}, ${c.safety}, kernel ${c.kernel?.status ?? 'not checked'})\n`
    )
}

/** `summit jobs`. */
export const jobsCommand: Command = {
  name: 'jobs',
  usage: `jobs ${SUBCOMMANDS.join('|')} [ID] [--candidate C] [--format native|asm] [--out OUT] [--data-dir D] [--json]`,
  summary:
    "lists and controls the daemon's jobs; exports a proven result; kernel-check checks a candidate in the kernel against the original",
  run: async (argv, io) => {
    const args = parseArgs(argv, {
      valued: ['data-dir', 'candidate', 'format', 'out'],
      aliases: { o: 'out' }
    })
    const sub = args.positionals[0]
    if (sub === undefined || !(SUBCOMMANDS as readonly string[]).includes(sub))
      throw new UsageError(`expects one of ${SUBCOMMANDS.join(', ')}`)
    const json = args.flags.has('json')
    const { client } = await connect(dataDirOf(flagString(args, 'data-dir')), false)
    if (sub === 'list') {
      const jobs = await client.listJobs()
      if (json) io.out(JSON.stringify(jobs, null, 2) + '\n')
      else for (const j of jobs) io.out(jobLine(j))
      return EXIT.ok
    }
    const id = jobId(args.positionals)
    if (sub === 'show') {
      await show(io, json, await client.getJob(id), await client.improvements(id))
      return EXIT.ok
    }
    if (sub === 'kernel-check')
      return jobsKernelCheck(
        client,
        io,
        id,
        args.flags.has('candidate') ? flagInt(args, 'candidate', 0) : undefined,
        json
      )
    if (sub === 'export') {
      const format = (flagString(args, 'format') ?? 'native') as ExportFormat
      if (!EXPORT_FORMATS.includes(format))
        throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`)
      const wanted = args.flags.has('candidate') ? flagInt(args, 'candidate', 0) : undefined
      const c = pick(await client.improvements(id), wanted, id)
      const f = await client.exportCandidate(c.id, format)
      const out = flagString(args, 'out') ?? f.fileName
      writeFileSync(out, f.bytes)
      if (json)
        io.out(JSON.stringify({ job: id, candidate: c.id, slots: c.slots, out }, null, 2) + '\n')
      else
        io.out(
          `job ${id}: candidate ${c.id} (${c.slots} slots, proven equal, accepted) written to ${out}\n`
        )
      return EXIT.ok
    }
    const job = await client.jobAction(id, sub as JobAction)
    if (json) io.out(JSON.stringify(job, null, 2) + '\n')
    else io.out(jobLine(job))
    return EXIT.ok
  }
}
