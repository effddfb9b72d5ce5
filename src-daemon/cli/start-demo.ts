/**
 * @fileoverview What `npm start` does where it cannot open a window or a browser (CI, no
 * terminal): a daemon on a temporary data directory serves the browser UI while a short search of
 * the bundled sample runs through the same API the UI uses; then it stops and the command ends.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { SummitClient, type ClientOptions } from '../api/protocol/client'
import type { CandidateInfo, Job } from '../api/protocol/schemas'
import { uiUrl } from '../api/protocol/ui-address'
import { startDaemon } from '../daemon/daemon'
import { EXIT, type CliIo } from './command'
import { WEB_OUT } from './web-build'

/** The sample the demonstration optimizes. */
export const DEMO_SAMPLE = fileURLToPath(
  new URL('../../resources/samples/redundant_xdp.o', import.meta.url)
)

const ENDED: readonly string[] = ['completed', 'cancelled', 'failed']

/** Waits for the first proven improvement of `jobId` or the job's end, at most `limitMs`. */
async function firstResult(
  client: SummitClient,
  jobId: number,
  limitMs: number,
  io: CliIo
): Promise<{ job: Job; best: CandidateInfo | undefined }> {
  const end = Date.now() + limitMs
  let lastLine = 0
  for (;;) {
    const [job, imps] = await Promise.all([client.getJob(jobId), client.improvements(jobId)])
    const best = imps[imps.length - 1]
    if (best !== undefined || ENDED.includes(job.state) || Date.now() > end) return { job, best }
    if (Date.now() - lastLine > 2000) {
      lastLine = Date.now()
      io.out(
        `  ${(job.elapsedMs / 1000).toFixed(1)} s  ${job.iterations} iterations  best ${job.bestSlots}/${job.originalSlots} slots\n`
      )
    }
    await new Promise((r) => setTimeout(r, 500))
  }
}

/** Runs the demonstration; resolves to the exit code (0 unless something is broken). */
export async function startDemo(io: CliIo): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'summit-start-'))
  const r = await startDaemon({ dataDir, uiDir: WEB_OUT, coreLimit: 1 })
  if (r.kind !== 'started') return EXIT.error
  const { info } = r.daemon
  try {
    const ui = await fetch(`${info.url}/ui/`)
    io.out(
      `The browser UI is served at ${uiUrl(info.url, info.token)}\n` +
        `  (GET /ui/: ${ui.status} ${ui.headers.get('content-type') ?? ''}; data directory ${dataDir})\n` +
        '  while this demonstration runs a short search through the same API the UI uses:\n\n'
    )
    const client = new SummitClient({
      url: info.url,
      token: info.token,
      WebSocket: WebSocket as unknown as NonNullable<ClientOptions['WebSocket']>
    })
    const bytes = new Uint8Array(readFileSync(DEMO_SAMPLE))
    const program = await client.importProgram([{ name: 'redundant_xdp.o', bytes }])
    const section = program.sections[0]!
    io.out(
      `imported ${program.fileName}: section ${section.section} (${section.type}), ${section.instructions} instructions\n`
    )
    const job = await client.createJob({
      programId: program.id,
      config: { timeSeconds: 60, seed: 1 },
      start: true
    })
    io.out(`job ${job.id} started (60 s budget; stops at the first proven improvement)\n`)
    const { job: after, best } = await firstResult(client, job.id, 90_000, io)
    if (!ENDED.includes(after.state)) await client.jobAction(job.id, 'cancel')
    if (best === undefined) {
      io.out(`no proven improvement in time (job ${after.state}); the original stays best\n`)
    } else {
      const file = await client.exportCandidate(best.id, 'native')
      const out = join(dataDir, file.fileName)
      writeFileSync(out, file.bytes)
      const detail = await client.getCandidate(best.id)
      io.out(
        `improvement after ${(best.elapsedMs / 1000).toFixed(1)} s: ${after.originalSlots} -> ${best.slots} slots, ` +
          `proof ${best.proof}, safety ${best.safety}\n` +
          detail.lines.map((l) => `    ${l.text}\n`).join('') +
          `exported ${out}\n`
      )
    }
    io.out(
      '\nTo use the workbench yourself: `npm run summit -- ui` (serves it and prints its URL with\n' +
        'the token; add --no-open where no browser should open).\n'
    )
    return EXIT.ok
  } finally {
    await r.daemon.stop()
  }
}
