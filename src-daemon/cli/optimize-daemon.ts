/**
 * @fileoverview `summit optimize --daemon`: the same search run as a daemon job (starting a daemon
 * if none runs), followed over the event stream until it ends, then the best proven result
 * exported in the input's format. Interrupting the command leaves the job running.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import { k2CompanionNames } from '../core/formats'
import type { Job } from '../api/protocol/schemas'
import type { CliIo } from './command'
import { EXIT } from './command'
import { connect, dataDirOf } from './daemon-connect'
import { defaultOutPath } from '../engine/program/output'

/** What `optimize --daemon` runs. */
export interface DaemonOptimize {
  readonly file: string
  readonly section: string | undefined
  readonly config: Readonly<Record<string, unknown>>
  readonly proofTimeoutMs: number
  readonly out: string | undefined
  readonly json: boolean
  readonly dataDir: string | undefined
}

const DONE: readonly string[] = ['completed', 'cancelled', 'failed', 'paused']

/** Runs the search through the daemon; resolves to the exit code. */
export async function optimizeThroughDaemon(o: DaemonOptimize, io: CliIo): Promise<number> {
  const files = [{ name: basename(o.file), bytes: new Uint8Array(readFileSync(o.file)) }]
  if (/\.insns$/i.test(o.file)) {
    const c = k2CompanionNames(o.file)
    for (const p of [c.maps, c.desc])
      if (existsSync(p)) files.push({ name: basename(p), bytes: new Uint8Array(readFileSync(p)) })
  }
  const { client, info, started } = await connect(dataDirOf(o.dataDir), true)
  if (started) io.err(`started a daemon: ${info.url} (pid ${info.pid})\n`)
  const program = await client.importProgram(files)
  let last = 0
  let finished: (j: Job) => void = () => undefined
  const ended = new Promise<Job>((r) => (finished = r))
  let jobId = -1
  const events = client.events((e) => {
    if (e.type === 'job' && e.job.id === jobId && DONE.includes(e.job.state)) finished(e.job)
    if (e.type === 'progress' && e.jobId === jobId) {
      const now = performance.now()
      if (now - last < 1000) return
      last = now
      const p = e.point
      io.err(
        `${(p.t / 1000).toFixed(1)}s  iter ${p.iterations}  ${Math.round(p.candidatesPerSecond)} cand/s  best ${p.bestSlots}  proofs ${p.proverCalls}  tests ${p.tests}\n`
      )
    }
  })
  await events.opened
  const job = await client.createJob({
    programId: program.id,
    ...(o.section !== undefined ? { section: o.section } : {}),
    config: o.config,
    extras: { proofTimeoutMs: o.proofTimeoutMs },
    start: true
  })
  jobId = job.id
  io.err(`job ${job.id} runs in the daemon (follow it with 'summit jobs show ${job.id}')\n`)
  // The job may have ended before the subscription saw it.
  const poll = setInterval(() => {
    void client.getJob(jobId).then(
      (j) => {
        if (DONE.includes(j.state)) finished(j)
      },
      () => undefined
    )
  }, 2000)
  const end = await ended
  clearInterval(poll)
  events.close()
  const improvements = await client.improvements(jobId)
  const best = improvements[improvements.length - 1]
  const out = o.out ?? defaultOutPath(o.file)
  if (best !== undefined)
    writeFileSync(out, (await client.exportCandidate(best.id, 'native')).bytes)
  else writeFileSync(out, readFileSync(o.file))
  const slots = best?.slots ?? end.originalSlots
  const verdict = best !== undefined ? 'proven equal, accepted by the analysis' : 'original kept'
  if (o.json)
    io.out(
      JSON.stringify(
        {
          file: o.file,
          section: end.section,
          out,
          job: end.id,
          state: end.state,
          originalSlots: end.originalSlots,
          bestSlots: slots,
          verdict,
          improvements: improvements.map((c) => ({
            seconds: c.elapsedMs / 1000,
            slots: c.slots,
            chain: c.chain
          })),
          stats: {
            seconds: end.elapsedMs / 1000,
            iterations: end.iterations,
            evaluations: end.evaluations
          }
        },
        null,
        2
      ) + '\n'
    )
  else
    io.out(
      `${o.file} [${end.section}]: ${end.originalSlots} -> ${slots} slots (${verdict}); wrote ${out}\n`
    )
  return end.state === 'failed' ? EXIT.error : EXIT.ok
}
