/**
 * @fileoverview A job through real daemon processes: progress events over the WebSocket, kill -9
 * at random moments after a checkpoint, restart (stale daemon.json replaced), resume from the
 * last checkpoint with every stored best intact, and at the end the same best and generator
 * state as the same chain run straight through in-process (same seed, same best).
 */
import { describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CandidateInfo, DaemonEvent } from '../../src-daemon/api/protocol/schemas'
import { loadInput, selectPrograms } from '../../src-daemon/engine/program/load'
import { runnable } from '../../src-daemon/engine/program/program-model'
import { runSearch } from '../../src-daemon/engine/search/engine'
import { prepareJob } from '../../src-daemon/engine/search/prepare'
import { SqliteStore } from '../../src-daemon/store/sqlite-store'
import { ROOT, startTestDaemon, until, type TestDaemon } from './daemon-support'

const SAMPLE = join(ROOT, 'resources/samples/redundant_xdp.o')
const CONFIG = { seed: 11, iterations: 1_000_000, chains: 1 }
const FLAGS = ['--checkpoint-ms', '300', '--save-ms', '200', '--cores', '1']

function storedCheckpoints(dir: string, jobId: number): { iterations: number; data: string }[] {
  const s = SqliteStore.open(join(dir, 'summit.db'))
  try {
    expect(s.quickCheck()).toBe('ok')
    return s.checkpoints(jobId)
  } finally {
    s.close()
  }
}

describe('daemon jobs across kill -9', () => {
  it('resume from their checkpoints, keep every best, and end as a straight run does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'summit-daemon-kill-'))
    let d: TestDaemon = await startTestDaemon(dir, FLAGS)
    const bytes = new Uint8Array(readFileSync(SAMPLE))
    const program = await d.client.importProgram([{ name: 'redundant_xdp.o', bytes }])
    let events: DaemonEvent[] = []
    let stream = d.client.events((e) => events.push(e))
    await stream.opened
    const job = await d.client.createJob({
      programId: program.id,
      section: 'xdp',
      config: CONFIG,
      start: true
    })
    expect(job.state).toBe('running')

    let kills = 0
    let random = 7
    for (let k = 0; k < 3; k++) {
      // Wait for a checkpoint written by this daemon, then a random moment more.
      const since = Date.now()
      const saved = await until(() => {
        const p = events.find(
          (e) =>
            e.type === 'progress' &&
            e.jobId === job.id &&
            e.chains.some((c) => c.checkpointAt >= since)
        )
        const done = events.find(
          (e) => e.type === 'job' && e.job.id === job.id && e.job.state === 'completed'
        )
        return p ?? done
      }, 90_000)
      if (saved.type === 'job') break
      random = (random * 48271) % 2147483647
      await new Promise((r) => setTimeout(r, random % 700))
      const progress = events.filter((e) => e.type === 'progress' && e.jobId === job.id)
      expect(progress.length).toBeGreaterThan(0)
      const before: CandidateInfo[] = await d.client.candidates(job.id)
      if ((await d.client.getJob(job.id)).state !== 'running') break
      stream.close()
      d.child.kill('SIGKILL')
      await d.exited
      kills++
      const cp = storedCheckpoints(dir, job.id)[0]
      expect(cp).toBeDefined()
      d = await startTestDaemon(dir, FLAGS)
      const after = await d.client.candidates(job.id)
      for (const c of before) expect(after).toContainEqual(c)
      events = []
      stream = d.client.events((e) => events.push(e))
      await stream.opened
      const resumed = await until(
        () =>
          events.find(
            (e) => e.type === 'progress' && e.jobId === job.id && e.point.iterations > 0
          ) as (DaemonEvent & { type: 'progress' }) | undefined,
        60_000
      )
      // It went on from the checkpoint, not from the start.
      expect(resumed.point.iterations).toBeGreaterThanOrEqual(cp!.iterations)
    }
    expect(kills).toBeGreaterThan(0)
    const end = await until(
      async () => {
        const j = await d.client.getJob(job.id)
        return j.state === 'completed' ? j : undefined
      },
      120_000,
      500
    )
    const improvements = await d.client.improvements(job.id)
    expect(end.bestSlots).toBeLessThan(end.originalSlots)
    expect(improvements[improvements.length - 1]?.slots).toBe(end.bestSlots)
    // Progress events come at most 4 per second per job.
    const times = events
      .filter((e) => e.type === 'progress' && e.jobId === job.id)
      .map((e) => (e as { point: { at: number } }).point.at)
    for (let i = 4; i < times.length; i++)
      expect(times[i]! - times[i - 4]!).toBeGreaterThanOrEqual(900)
    stream.close()
    const detail = await d.client.getCandidate(improvements[improvements.length - 1]!.id)
    expect(detail).toMatchObject({ sound: true, proof: 'equal', safety: 'accepted' })
    expect(detail.lines.length).toBeGreaterThan(0)
    const exported = await d.client.exportCandidate(
      improvements[improvements.length - 1]!.id,
      'native'
    )
    expect(exported.fileName).toBe('redundant_xdp.summit.o')
    const reread = selectPrograms(loadInput(SAMPLE), 'xdp')[0]!
    expect(exported.bytes.length).toBeGreaterThan(0)
    expect(reread.slots.length).toBe(6)
    d.child.kill('SIGTERM')
    expect(await d.exited).toBe(0)

    // The same chain straight through, in-process.
    const input = loadInput(SAMPLE)
    const r = runnable(input, selectPrograms(input, 'xdp')[0]!)
    const prepared = prepareJob(r, CONFIG)
    if (!prepared.ok) throw new Error(prepared.error.message)
    const straight = await runSearch(prepared.value, { chains: 1, inProcess: true })
    const ref = JSON.parse(straight.checkpoints[0]!) as {
      best: unknown
      rng: unknown
      counters: { iterations: number }
    }
    const got = JSON.parse(storedCheckpoints(dir, job.id)[0]!.data) as typeof ref
    expect(got.counters.iterations).toBe(ref.counters.iterations)
    expect(got.best).toEqual(ref.best)
    expect(got.rng).toEqual(ref.rng)
  }, 300_000)
})
