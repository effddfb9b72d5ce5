/**
 * @fileoverview Fuzzes the kernel helper's request parser with libFuzzer (ASan + UBSan):
 * `npm run bench -- helper-fuzz [--seconds N] [--seed N]` (default 60 s) and reports inputs run,
 * executions per second, coverage and crashes. The harness is native/fuzz/request-fuzz.c.
 */
import { buildFuzzer, runFuzzer } from '../test/kernel/fuzz-support'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

if (process.argv.includes('--help')) {
  process.stdout.write('npm run bench -- helper-fuzz [--seconds N] [--seed N]\n')
  process.exit(0)
}
const seconds = Number(arg('seconds') ?? 60)
const seed = Number(arg('seed') ?? 1)
const fuzzer = buildFuzzer()
if (!fuzzer.ok) {
  process.stderr.write(`helper-fuzz: cannot build the fuzzer: ${fuzzer.reason}\n`)
  process.exit(2)
}
const run = runFuzzer(fuzzer.path, { seconds }, seed)
process.stdout.write(
  [
    `request parser fuzzing: ${seconds} s, seed ${seed}`,
    `inputs run:      ${run.runs.toLocaleString('en-US')}`,
    `execs/s:         ${run.execsPerSecond.toLocaleString('en-US')}`,
    `coverage:        cov ${run.coverage}, features ${run.features}`,
    `crashes/leaks:   ${run.crashes.length === 0 ? 'none' : run.crashes.join(', ')}`,
    `fuzzer status:   ${String(run.status)}`
  ].join('\n') + '\n'
)
if (run.status !== 0 || run.crashes.length > 0) {
  process.stderr.write(run.log.slice(-4000))
  process.exit(1)
}
