/**
 * @fileoverview "Check in kernel" through a real daemon process: a short job's improvement is
 * checked against the original in the kernel (where BPF is available: accepted, sizes, no
 * mismatch, a latency interval), the verdict arrives as an event and stays in the candidate
 * listing, and `summit jobs kernel-check` asks again; an unknown candidate is a 404 with a code. Without BPF the stored verdict must say
 * unavailable, never accepted.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiError } from '../../src-daemon/api/protocol/errors'
import type { DaemonEvent } from '../../src-daemon/api/protocol/schemas'
import { openKernelOracle } from '../kernel/kernel-test-support'
import { printSkip } from '../support/environment'
import { ROOT, startTestDaemon, summitProcess, until, type TestDaemon } from './daemon-support'

const SAMPLE = join(ROOT, 'resources/samples/redundant_xdp.o')
const CONFIG = { seed: 11, iterations: 60_000, chains: 1 }

describe('daemon kernel checks', () => {
  let d: TestDaemon | undefined
  afterAll(async () => {
    if (d?.child.exitCode === null) {
      d.child.kill('SIGTERM')
      await d.exited
    }
  })

  it('check an improvement against the original, store the verdict, and 404 unknown candidates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'summit-daemon-kcheck-'))
    d = await startTestDaemon(dir, ['--cores', '1'])
    const client = d.client
    const unknown = await client.kernelCheck(987_654).catch((e: unknown) => e)
    expect(unknown).toBeInstanceOf(ApiError)
    expect((unknown as ApiError).status).toBe(404)
    expect((unknown as ApiError).code).toBe('NOT_FOUND')

    const bytes = new Uint8Array(readFileSync(SAMPLE))
    const program = await client.importProgram([{ name: 'redundant_xdp.o', bytes }])
    const job = await client.createJob({
      programId: program.id,
      section: 'xdp',
      config: CONFIG,
      start: true
    })
    await until(
      async () => ((await client.getJob(job.id)).state === 'completed' ? true : undefined),
      120_000,
      500
    )
    const best = (await client.improvements(job.id)).at(-1)!
    expect(best.kernel).toBeNull()

    const events: DaemonEvent[] = []
    const stream = client.events((e) => events.push(e))
    await stream.opened
    const startedAt = Date.now()
    const queued = await client.kernelCheck(best.id)
    expect(queued).toMatchObject({ candidateId: best.id, jobId: job.id })
    const done = await until(
      () =>
        events.find(
          (e) => e.type === 'kernelCheck' && e.candidateId === best.id && e.phase === 'done'
        ) as (DaemonEvent & { type: 'kernelCheck' }) | undefined,
      180_000,
      250
    )
    const tookMs = Date.now() - startedAt
    stream.close()
    expect(events.some((e) => e.type === 'kernelCheck' && e.phase === 'running')).toBe(true)
    const listed = (await client.candidates(job.id)).find((c) => c.id === best.id)!
    expect(listed.kernel).toEqual(done.candidate!.kernel)
    const k = listed.kernel!

    // The CLI queues the same check through the daemon and prints the new verdict.
    const cli = await summitProcess([
      'jobs',
      'kernel-check',
      String(job.id),
      '--candidate',
      String(best.id),
      '--data-dir',
      dir
    ]).done
    expect(cli.code, cli.err).toBe(k.status === 'accepted' ? 0 : 2)
    expect(cli.out).toContain(`candidate ${best.id} of job ${job.id}: ${k.status}`)
    const again = (await client.candidates(job.id)).find((c) => c.id === best.id)!.kernel!
    expect(again.checkedAt).toBeGreaterThan(k.checkedAt)
    expect(again.status).toBe(k.status)

    const { oracle, available } = await openKernelOracle('daemon kernel check: accepted verdict')
    await oracle.dispose()
    if (!available) {
      // Soundness: a kernel that could not be used is never shown as accepting.
      expect(k.status).toBe('unavailable')
      printSkip('daemon kernel check', 'BPF is unavailable: only the unavailable verdict checked')
      return
    }
    expect(k.status).toBe('accepted')
    expect(k.candidate!.accepted).toBe(true)
    expect(k.original!.accepted).toBe(true)
    expect(k.candidate!.xlatedBytes).toBeLessThan(k.original!.xlatedBytes!)
    expect(k.mismatches).toEqual([])
    expect(k.inputs).toBeGreaterThan(0)
    expect(k.latency?.rounds).toBe(10)
    expect(k.latency?.perRepeat.length).toBeGreaterThan(0)
    expect(k.latency?.perRepeat[0]!.interval).toBeDefined()
    console.log(
      `[daemon kernel check] ${k.kernelRelease}, ${(tookMs / 1000).toFixed(1)} s: ${k.inputs} inputs, ${k.reachingChange.length} reach the change; latency ${k.latency?.verdict}; ` +
        k.latency?.perRepeat
          .map(
            (p) =>
              `repeat ${p.repeat}: ${p.original.median} → ${p.candidate.median} ns, [${p.interval?.low}, ${p.interval?.high}]`
          )
          .join('; ')
    )
  }, 400_000)
})
