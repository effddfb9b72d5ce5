/**
 * @fileoverview `summit conformance DIR`: runs the bpf_conformance `.data` tests in DIR (or in
 * DIR/tests when DIR holds none) through the interpreter; the last line is `N passed, N failed`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { EXIT, type Command } from './command'
import { flagString, parseArgs, UsageError } from './args'
import { CliError } from './errors'
import { parseConformanceData } from '../core/formats/conformance-data'
import { runConformanceTest } from '../core/interp/conformance'

/** Outcome of one test file. */
export interface ConformanceFileResult {
  readonly file: string
  readonly pass: boolean
  readonly expected: string
  readonly actual: string
}

/** The `.data` files of `dir` (or of `dir/tests`), sorted. */
export function conformanceFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new CliError({ code: 'INPUT_NOT_FOUND', message: 'no such directory', file: dir })
  const list = (d: string): string[] =>
    readdirSync(d)
      .filter((f) => f.endsWith('.data'))
      .sort()
      .map((f) => join(d, f))
  const direct = list(dir)
  if (direct.length > 0) return direct
  const nested = join(dir, 'tests')
  if (existsSync(nested) && statSync(nested).isDirectory()) return list(nested)
  return []
}

/** Runs one `.data` file (a parse error is a failure). */
export function runConformanceFile(path: string): ConformanceFileResult {
  const parsed = parseConformanceData(readFileSync(path, 'utf8'), path)
  if (!parsed.ok)
    return {
      file: path,
      pass: false,
      expected: '?',
      actual: `parse error ${parsed.error.code}: ${parsed.error.message}`
    }
  const v = runConformanceTest(parsed.value)
  return { file: path, pass: v.pass, expected: v.expected, actual: v.actual }
}

/** `summit conformance`. */
export const conformanceCommand: Command = {
  name: 'conformance',
  usage: 'conformance DIR [--filter TEXT] [--verbose] [--json]',
  summary: 'runs bpf_conformance .data tests in the interpreter; last line `N passed, N failed`',
  run: async (argv, io) => {
    const args = parseArgs(argv, { valued: ['filter'] })
    const [dir, ...extra] = args.positionals
    if (dir === undefined || extra.length > 0) throw new UsageError('expects one directory DIR')
    const filter = flagString(args, 'filter')
    const files = conformanceFiles(dir).filter((f) => filter === undefined || f.includes(filter))
    if (files.length === 0)
      throw new CliError({ code: 'CONFORMANCE_EMPTY', message: 'no .data files', file: dir })
    const verbose = args.flags.has('verbose')
    const results = files.map(runConformanceFile)
    const passed = results.filter((r) => r.pass).length
    const failed = results.length - passed
    if (args.flags.has('json')) {
      io.out(JSON.stringify({ passed, failed, results }, undefined, 2) + '\n')
    } else {
      for (const r of results)
        if (!r.pass || verbose)
          io.out(`${r.pass ? 'PASS' : 'FAIL'} ${r.file}: expected ${r.expected}, got ${r.actual}\n`)
    }
    // With --json stdout holds one JSON document, so the summary line goes to stderr.
    ;(args.flags.has('json') ? io.err : io.out)(`${passed} passed, ${failed} failed\n`)
    return failed === 0 ? EXIT.ok : EXIT.negative
  }
}
