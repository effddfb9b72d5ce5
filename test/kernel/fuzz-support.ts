/** @fileoverview Builds and runs the libFuzzer harness of the kernel helper's request parser (native/fuzz). */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** native/fuzz: the harness, its build script, dictionary and seed requests. */
export const FUZZ_DIR = fileURLToPath(new URL('../../native/fuzz/', import.meta.url))

/** The built fuzzer, or why it cannot be built here (missing clang, libFuzzer or json-c). */
export type FuzzerBinary = { ok: true; path: string } | { ok: false; reason: string }

/** Builds native/fuzz/build/request-fuzz with clang. */
export function buildFuzzer(): FuzzerBinary {
  const r = spawnSync('sh', [join(FUZZ_DIR, 'build.sh')], { encoding: 'utf8', timeout: 300_000 })
  if (r.status === 0) return { ok: true, path: join(FUZZ_DIR, 'build', 'request-fuzz') }
  const line = (r.stderr ?? '').split('\n').find((l) => l.startsWith('request-fuzz: '))
  if (r.status === 3 && line !== undefined)
    return { ok: false, reason: line.slice('request-fuzz: '.length) }
  throw new Error(`building the fuzzer failed (status ${String(r.status)}):\n${r.stderr}`)
}

/** What one fuzzing run did. */
export interface FuzzRun {
  /** Exit status of the fuzzer (0: no crash, leak or sanitizer report). */
  readonly status: number | null
  /** Inputs executed. */
  readonly runs: number
  /** Executions per second (libFuzzer's figure). */
  readonly execsPerSecond: number
  /** Coverage counters and features at the end (libFuzzer's `cov:` and `ft:`). */
  readonly coverage: number
  readonly features: number
  /** Files libFuzzer wrote for crashing inputs. */
  readonly crashes: readonly string[]
  /** The fuzzer's output, for failure messages. */
  readonly log: string
}

/** Runs the fuzzer for `runs` inputs or `seconds` seconds from the seed requests, in a scratch corpus. */
export function runFuzzer(
  binary: string,
  limit: { runs: number } | { seconds: number },
  seed = 1
): FuzzRun {
  const work = mkdtempSync(join(tmpdir(), 'summit-fuzz-'))
  const corpus = join(work, 'corpus')
  spawnSync('mkdir', [corpus])
  const args = [
    'runs' in limit ? `-runs=${limit.runs}` : `-max_total_time=${limit.seconds}`,
    `-seed=${seed}`,
    `-dict=${join(FUZZ_DIR, 'request.dict')}`,
    '-max_len=4096',
    '-print_final_stats=1',
    `-artifact_prefix=${work}/`,
    corpus,
    join(FUZZ_DIR, 'seeds')
  ]
  const timeout = 'runs' in limit ? 600_000 : (limit.seconds + 120) * 1000
  const r = spawnSync(binary, args, { encoding: 'utf8', timeout, maxBuffer: 64 << 20 })
  const log = `${r.stdout ?? ''}${r.stderr ?? ''}`
  const stat = (name: string): number =>
    Number(new RegExp(`stat::${name}:\\s*(\\d+)`).exec(log)?.[1] ?? NaN)
  const last = [...log.matchAll(/cov: (\d+) ft: (\d+)/g)].pop()
  const crashes = readdirSync(work).filter((f) => /^(crash|leak|timeout|oom)-/.test(f))
  rmSync(work, { recursive: true, force: true })
  return {
    status: r.status,
    runs: stat('number_of_executed_units'),
    execsPerSecond: stat('average_exec_per_sec'),
    coverage: Number(last?.[1] ?? NaN),
    features: Number(last?.[2] ?? NaN),
    crashes,
    log
  }
}
