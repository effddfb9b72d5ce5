/**
 * @fileoverview A daemon whose data directory fills up or turns read-only (a small tmpfs mounted
 * for the test): a clear error, the job pauses, the daemon keeps serving, no corruption. Skips
 * with one printed line where mounting is not permitted.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DaemonEvent } from '../../src-daemon/api/protocol/schemas'
import { SqliteStore } from '../../src-daemon/store/sqlite-store'
import { ROOT, startTestDaemon, summitProcess, until } from './daemon-support'

const mnt = mkdtempSync(join(tmpdir(), 'summit-daemon-disk-'))
const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt], {
  encoding: 'utf8'
})
const mounted = mount.status === 0
if (!mounted)
  console.log(
    `skipped: disk-full and read-only daemon tests need to mount a tmpfs (${(mount.stderr || mount.error?.message || 'mount failed').trim()})`
  )

afterAll(() => {
  if (mounted) spawnSync('umount', ['-l', mnt])
})

describe.skipIf(!mounted)('daemon on a full or read-only disk', () => {
  it('pauses the job with a clear error, keeps serving, and leaves a sound database', async () => {
    const dir = join(mnt, 'data')
    const d = await startTestDaemon(dir, [
      '--checkpoint-ms',
      '200',
      '--save-ms',
      '200',
      '--cores',
      '1'
    ])
    const events: DaemonEvent[] = []
    const stream = d.client.events((e) => events.push(e))
    await stream.opened
    const bytes = new Uint8Array(readFileSync(join(ROOT, 'resources/samples/redundant_xdp.o')))
    const p = await d.client.importProgram([{ name: 'redundant_xdp.o', bytes }])
    const job = await d.client.createJob({
      programId: p.id,
      config: { iterations: 0, chains: 1 },
      start: true
    })
    await until(
      () =>
        events.find(
          (e) => e.type === 'progress' && e.jobId === job.id && e.chains[0]!.checkpointAt > 0
        ),
      90_000
    )
    // Fill the disk.
    const filler = join(mnt, 'filler')
    try {
      writeFileSync(filler, Buffer.alloc(8 * 1024 * 1024))
    } catch {
      // ENOSPC: the disk is full now
    }
    const paused = await until(
      () => events.find((e) => e.type === 'job' && e.job.id === job.id && e.job.state === 'paused'),
      60_000
    )
    expect(paused.type === 'job' && paused.job.error).toMatch(/disk full|SQLITE_FULL|cannot write/)
    const health = await d.client.health()
    expect(health.store.ok).toBe(false)
    expect(health.store.error).toMatch(/summit\.db: cannot write the database/)
    expect((await d.client.getJob(job.id)).state).toBe('paused')
    // Still serving while the store cannot be written.
    expect((await d.client.listJobs()).length).toBe(1)
    rmSync(filler, { force: true })
    stream.close()
    d.child.kill('SIGTERM')
    expect(await d.exited).toBe(0)
    // A read-only data directory: a clear one-line error, exit 2.
    expect(spawnSync('mount', ['-o', 'remount,ro', mnt]).status).toBe(0)
    const second = summitProcess(['daemon', '--data-dir', dir])
    const r = await second.done
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/DATA_DIR_UNWRITABLE: cannot write the data directory/)
    expect(spawnSync('mount', ['-o', 'remount,rw', mnt]).status).toBe(0)
    const s = SqliteStore.open(join(dir, 'summit.db'))
    expect(s.quickCheck()).toBe('ok')
    expect(s.checkpoints(job.id).length).toBe(1)
    s.close()
  }, 180_000)
})
