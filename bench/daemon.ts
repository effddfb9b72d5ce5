/**
 * @fileoverview The daemon's figures. `npm run bench -- daemon [--kills N] [--overhead RUNS]
 * [--size MINUTES] [--program FILE] [--section S]`:
 *  --kills N      kill -9 the daemon N times at random moments of a running job (default 100):
 *                 lost bests (target 0), jobs resumed (target 100%), time from restart to running.
 *  --overhead R   candidates/s of the same program and seed run R times standalone (the engine as
 *                 `summit optimize` runs it) and R times through the daemon, interleaved; medians
 *                 and their ratio (target: the daemon costs < 1%).
 *  --size M       runs one unbounded job M minutes and samples the database size, then
 *                 extrapolates to a week from the store's downsampling tiers.
 * With no mode flag it runs --kills 100 and --overhead 5.
 */
import { mkdtempSync, readFileSync, statSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { DaemonEvent, MetricPoint } from '../src-daemon/api/protocol/schemas'
import { loadInput, selectPrograms } from '../src-daemon/engine/program/load'
import { runnable } from '../src-daemon/engine/program/program-model'
import { runSearch } from '../src-daemon/engine/search/engine'
import { prepareJob } from '../src-daemon/engine/search/prepare'
import { SqliteStore, METRIC_TIERS } from '../src-daemon/store/sqlite-store'
import { ROOT, startTestDaemon, until, type TestDaemon } from '../test/daemon/daemon-support'

const argv = process.argv.slice(2)
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(
    'usage: npm run bench -- daemon [--kills N] [--overhead RUNS] [--size MINUTES] [--program FILE] [--section S] [--iterations N]\n' +
      '  --kills N      kill -9 the daemon N times mid-search: lost bests, jobs resumed, restart-to-running time\n' +
      '  --overhead R   candidates/s standalone vs through the daemon (same program and seed), medians of R runs each\n' +
      '  --size M       database size after an M-minute job, extrapolated to a week\n' +
      '  (no mode flag: --kills 100 --overhead 5)\n'
  )
  process.exit(0)
}
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : undefined
}
const program = arg('program') ?? join(ROOT, 'resources/samples/xdp_udp_filter.o')
const section = arg('section')
const anyMode = ['kills', 'overhead', 'size'].some((m) => arg(m) !== undefined)
const kills = Number(arg('kills') ?? (anyMode ? 0 : 100))
const overheadRuns = Number(arg('overhead') ?? (anyMode ? 0 : 5))
const sizeMinutes = Number(arg('size') ?? 0)
const FLAGS = ['--cores', '1']

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

function programFiles(): { name: string; bytes: Uint8Array }[] {
  const files = [{ name: basename(program), bytes: new Uint8Array(readFileSync(program)) }]
  for (const ext of ['.maps', '.desc']) {
    const p = program.replace(/\.insns$/, ext)
    if (p !== program && existsSync(p))
      files.push({ name: basename(p), bytes: new Uint8Array(readFileSync(p)) })
  }
  return files
}

/** Steady-state candidates/s of a series: from the first point with work to the last. */
function steadyRate(points: readonly { t: number; evaluations: number }[]): number {
  const work = points.filter((p) => p.evaluations > 0)
  const a = work[0]
  const b = work[work.length - 1]
  if (a === undefined || b === undefined || b.t <= a.t) return 0
  return ((b.evaluations - a.evaluations) * 1000) / (b.t - a.t)
}

async function killLoop(n: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'summit-bench-kill-'))
  let d: TestDaemon = await startTestDaemon(dir, FLAGS)
  const p = await d.client.importProgram(programFiles())
  const job = await d.client.createJob({
    programId: p.id,
    ...(section !== undefined ? { section } : {}),
    config: { iterations: 0, chains: 1, seed: 3 },
    start: true
  })
  let lost = 0
  let resumed = 0
  const restartMs: number[] = []
  let rnd = 99
  for (let k = 0; k < n; k++) {
    rnd = (rnd * 48271) % 2147483647
    await new Promise((r) => setTimeout(r, 500 + (rnd % 4000)))
    const before = await d.client.candidates(job.id)
    d.child.kill('SIGKILL')
    await d.exited
    const t0 = performance.now()
    d = await startTestDaemon(dir, FLAGS)
    const events: DaemonEvent[] = []
    const stream = d.client.events((e) => events.push(e))
    await stream.opened
    const after = await d.client.candidates(job.id)
    lost += before.filter((c) => !after.some((x) => x.id === c.id && x.slots === c.slots)).length
    try {
      await until(
        () =>
          events.find(
            (e) =>
              e.type === 'progress' &&
              e.jobId === job.id &&
              e.chains.some((c) => c.running) &&
              e.point.iterations > 0
          ),
        60_000,
        20
      )
      restartMs.push(performance.now() - t0)
      resumed++
    } catch {
      process.stderr.write(`kill ${k + 1}: the job did not resume within 60 s\n`)
    }
    stream.close()
    process.stderr.write(
      `kill ${k + 1}/${n}: lost ${lost}, resumed ${resumed}, restart-to-running ${((performance.now() - t0) / 1000).toFixed(2)} s\n`
    )
  }
  d.child.kill('SIGTERM')
  await d.exited
  const s = SqliteStore.open(join(dir, 'summit.db'))
  const check = s.quickCheck()
  const best = s.getJob(job.id)
  s.close()
  console.log(
    `kills: ${n}; lost bests: ${lost} (target 0); jobs resumed: ${resumed}/${n} (${((100 * resumed) / Math.max(1, n)).toFixed(1)}%, target 100%)`
  )
  console.log(
    `restart to running (daemon start, store open, worker + Z3 load, first progress): median ${(median(restartMs) / 1000).toFixed(2)} s, min ${(Math.min(...restartMs) / 1000).toFixed(2)} s, max ${(Math.max(...restartMs) / 1000).toFixed(2)} s`
  )
  console.log(
    `quick_check after the loop: ${check}; job best ${best?.bestSlots}/${best?.originalSlots} slots`
  )
}

async function overhead(runs: number, iterations: number): Promise<void> {
  const input = loadInput(program)
  const r = runnable(input, selectPrograms(input, section)[0]!)
  const config = { seed: 5, iterations, chains: 1 }
  const prepared = prepareJob(r, config)
  if (!prepared.ok) throw new Error(prepared.error.message)
  const dir = mkdtempSync(join(tmpdir(), 'summit-bench-overhead-'))
  const d = await startTestDaemon(dir, FLAGS)
  const p = await d.client.importProgram(programFiles())
  const alone: number[] = []
  const aloneWorker: number[] = []
  const daemon: number[] = []
  for (let i = 0; i < runs; i++) {
    for (const inProcess of [true, false]) {
      const pts: { t: number; evaluations: number }[] = []
      await runSearch(prepared.value, {
        chains: 1,
        inProcess,
        progressMs: 250,
        onProgress: (x) => pts.push({ t: x.elapsedMs, evaluations: x.evaluations })
      })
      ;(inProcess ? alone : aloneWorker).push(steadyRate(pts))
    }
    const job = await d.client.createJob({
      programId: p.id,
      ...(section !== undefined ? { section } : {}),
      config,
      start: true
    })
    await until(
      async () => ((await d.client.getJob(job.id)).state === 'completed' ? true : undefined),
      600_000,
      500
    )
    const pts: MetricPoint[] = await d.client.metrics(job.id, 100_000)
    daemon.push(steadyRate(pts))
    process.stderr.write(
      `run ${i + 1}/${runs}: standalone ${alone[i]!.toFixed(0)} cand/s (in-process), ${aloneWorker[i]!.toFixed(0)} (worker), daemon ${daemon[i]!.toFixed(0)}\n`
    )
  }
  d.child.kill('SIGTERM')
  await d.exited
  const ma = median(alone)
  const mw = median(aloneWorker)
  const md = median(daemon)
  console.log(
    `candidates/s over ${iterations} iterations, median of ${runs} interleaved runs: standalone in-process ${ma.toFixed(0)}, standalone worker ${mw.toFixed(0)}, daemon ${md.toFixed(0)}`
  )
  console.log(
    `daemon cost vs standalone in-process: ${((1 - md / ma) * 100).toFixed(2)}%; vs the same worker without checkpoints or streaming: ${((1 - md / mw) * 100).toFixed(2)}% (target < 1%)`
  )
}

async function size(minutes: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'summit-bench-size-'))
  const d = await startTestDaemon(dir, FLAGS)
  const p = await d.client.importProgram(programFiles())
  const job = await d.client.createJob({
    programId: p.id,
    ...(section !== undefined ? { section } : {}),
    config: { iterations: 0, chains: 1 },
    start: true
  })
  const file = join(dir, 'summit.db')
  const bytes = (): number =>
    [file, `${file}-wal`].reduce((a, f) => a + (existsSync(f) ? statSync(f).size : 0), 0)
  const start = Date.now()
  while (Date.now() - start < minutes * 60_000) {
    await new Promise((r) => setTimeout(r, 60_000))
    process.stderr.write(
      `${((Date.now() - start) / 60_000).toFixed(0)} min: ${(bytes() / 1024).toFixed(0)} KiB\n`
    )
  }
  await d.client.jobAction(job.id, 'pause')
  d.child.kill('SIGTERM')
  await d.exited
  const s = SqliteStore.open(file)
  const series = s.metrics(job.id, 1e9)
  const points = series.length
  const testRows = s.tests(job.id)
  const tests = testRows.length
  // Row sizes from the stored text plus the keys and page overhead (about 48 B a row).
  const avg = (xs: readonly string[]): number =>
    xs.reduce((a, x) => a + x.length, 0) / Math.max(1, xs.length)
  const perPoint = avg(series.map((x) => JSON.stringify(x))) + 48
  const perTest = avg(testRows) + 64 + 48
  const cands = s.candidates(job.id).length
  s.close()
  const total = bytes()
  // A week keeps 1 h at the sampling rate, 23 h at 1/min, the rest at 1/10 min.
  const hours = minutes / 60
  const weekPoints = Math.min(points, 3600) + 23 * 60 + (168 - 24) * 6
  const testsPerHour = tests / hours
  const week = total + (weekPoints - points) * perPoint + testsPerHour * (168 - hours) * perTest
  console.log(
    `after ${minutes} min: ${(total / 1024).toFixed(0)} KiB on disk (database + WAL), ${points} metric points, ${tests} tests, ${cands} candidates`
  )
  console.log(
    `tiers: ${METRIC_TIERS.map((t) => `older than ${t.age / 3_600_000} h: one point per ${t.bucket / 1000} s`).join('; ')}`
  )
  console.log(
    `extrapolated to a week: ${(week / 1024 / 1024).toFixed(2)} MiB (${weekPoints} points at ~${perPoint.toFixed(0)} B, tests growing ${testsPerHour.toFixed(1)}/h at ~${perTest.toFixed(0)} B, checkpoints and candidates as measured)`
  )
}

if (kills > 0) await killLoop(kills)
if (overheadRuns > 0) await overhead(overheadRuns, Number(arg('iterations') ?? 300_000))
if (sizeMinutes > 0) await size(sizeMinutes)
process.exit(0)
