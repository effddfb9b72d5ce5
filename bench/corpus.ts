/**
 * @fileoverview `npm run bench -- corpus DIR [options]`: every program of every object under DIR
 * (ELF objects and K2 triples), read, disassembled, loaded by the kernel as libbpf would load it,
 * checked by the safety analysis, proven equal to itself and to a trivial rewrite, searched for T
 * seconds, its proven improvement exported, read back and loaded; then a summary per project, the
 * analysis × kernel agreement matrix and every failure grouped by cause (Markdown, or `--json`).
 * Run `npm run bench -- corpus --help` for the options.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { release, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { CliError } from '../src-daemon/cli/errors'
import { loadInput } from '../src-daemon/engine/program/load'
import { KernelOracle } from '../src-daemon/engine/kernel/oracle'
import { findInputs, hintFor, readTypeHints } from './corpus/inputs'
import { buildLoader } from './corpus/libbpf-loader'
import { WorkerPool } from './corpus/pool'
import { agreementMatrix, groupFailures, markdownReport } from './corpus/report'
import type { ProgramRow } from './corpus/rows'
import { runProgram, type ProgramWork, type RunContext } from './corpus/run-program'

const HELP = `usage: npm run bench -- corpus DIR [options]

Runs every program of every object under DIR (*.o, and K2 triples X.insns + X.maps + X.desc)
through Summit and the kernel, and reports per program: read, disassembled, kernel verdict
(libbpf's load, as bpftool does; Summit's loader where libbpf cannot open the object), Summit's
own loader, analysis verdict, self-check proof, proof against a trivial rewrite, the search's best
after --time seconds with its final proof, and whether the exported improvement reads back and
loads (the summary's "exported+loads" counts the proven improvements of programs the kernel
loads here). DIR/types.tsv (object, section or *, type) gives types for sections named by no convention.

options:
  --time T            search seconds per program (default 10; 0: no search)
  --jobs N            programs at a time, one worker thread each (default 1)
  --proof-timeout MS  limit of each proof (default 20000)
  --timeout S         limit of one program's worker stages (default: T + 4 proofs + 30 s)
  --only REGEX        only objects whose path (relative to DIR) matches
  --limit N           only the first N objects (after --only)
  --json              print one JSON document instead of the Markdown report
  --markdown FILE     also write the Markdown report to FILE
  --keep DIR          write exported programs to DIR and keep them (default: a temporary dir)
  --from-json FILE    no run: print the Markdown report of an earlier --json output (no DIR)
  --help              this text

Needs root for the kernel columns (they say "-" and why otherwise); cc and libbpf-dev for the
libbpf loader. Exit 0 when the run finished, 2 on bad usage.`

interface Options {
  readonly dir: string
  readonly fromJson?: string
  readonly time: number
  readonly jobs: number
  readonly proofTimeoutMs: number
  readonly timeoutS: number
  readonly only?: RegExp
  readonly limit?: number
  readonly json: boolean
  readonly markdown?: string
  readonly keep?: string
}

class UsageError extends Error {}

function parseOptions(argv: readonly string[]): Options | 'help' {
  const valued = [
    'time',
    'jobs',
    'proof-timeout',
    'timeout',
    'only',
    'limit',
    'markdown',
    'keep',
    'from-json'
  ]
  const values = new Map<string, string>()
  const flags = new Set<string>()
  const positionals: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--help' || a === '-h') return 'help'
    if (a.startsWith('--')) {
      const name = a.slice(2)
      if (valued.includes(name)) {
        const v = argv[++i]
        if (v === undefined) throw new UsageError(`--${name} needs a value`)
        values.set(name, v)
      } else if (name === 'json') flags.add(name)
      else throw new UsageError(`unknown option ${a}`)
    } else positionals.push(a)
  }
  const fromJson = values.get('from-json')
  if (positionals.length !== (fromJson === undefined ? 1 : 0))
    throw new UsageError(
      fromJson === undefined ? 'expects one corpus directory DIR' : '--from-json takes no DIR'
    )
  const int = (name: string, dflt: number, min: number): number => {
    const v = values.get(name)
    if (v === undefined) return dflt
    if (!/^\d+$/.test(v) || Number(v) < min)
      throw new UsageError(`--${name} expects an integer of at least ${min}, got '${v}'`)
    return Number(v)
  }
  const time = int('time', 10, 0)
  const proofTimeoutMs = int('proof-timeout', 20_000, 1)
  const only = values.get('only')
  const limit = values.get('limit')
  const markdown = values.get('markdown')
  const keep = values.get('keep')
  return {
    dir: resolve(positionals[0] ?? '.'),
    ...(fromJson !== undefined ? { fromJson } : {}),
    time,
    jobs: int('jobs', 1, 1),
    proofTimeoutMs,
    timeoutS: int('timeout', time + Math.ceil((4 * proofTimeoutMs) / 1000) + 30, 1),
    ...(only !== undefined ? { only: new RegExp(only) } : {}),
    ...(limit !== undefined ? { limit: int('limit', 0, 1) } : {}),
    json: flags.has('json'),
    ...(markdown !== undefined ? { markdown } : {}),
    ...(keep !== undefined ? { keep: resolve(keep) } : {})
  }
}

/** Every program to run, plus a row for each input that could not be read. */
function collectWork(o: Options): { work: ProgramWork[]; unread: ProgramRow[] } {
  const hints = readTypeHints(o.dir)
  let inputs = findInputs(o.dir).filter((i) => o.only === undefined || o.only.test(i.rel))
  if (o.limit !== undefined) inputs = inputs.slice(0, o.limit)
  const work: ProgramWork[] = []
  const unread: ProgramRow[] = []
  for (const i of inputs) {
    let input
    try {
      input = loadInput(i.file)
    } catch (e) {
      const d = e instanceof CliError ? e.diagnostic : undefined
      const skip = { kind: 'skip' as const, why: 'not read' }
      unread.push({
        object: i.rel,
        project: i.project,
        section: '-',
        name: '-',
        progType: '-',
        slots: 0,
        read: { kind: 'fail', code: d?.code ?? 'EXCEPTION', line: d?.message ?? String(e) },
        disasm: skip,
        kernel: skip,
        summitKernel: skip,
        model: skip,
        analysis: skip,
        selfCheck: skip,
        rewriteCheck: skip,
        search: skip,
        exportCheck: skip,
        seconds: 0
      })
      continue
    }
    for (const program of input.programs) {
      if (program.isSubprogram) continue
      const hint =
        program.progType === 'unknown' ? hintFor(hints, i.rel, program.section) : undefined
      work.push({
        file: i.file,
        rel: i.rel,
        project: i.project,
        input,
        program,
        ...(hint !== undefined ? { typeHint: hint } : {})
      })
    }
  }
  return { work, unread }
}

function progressLine(n: number, total: number, r: ProgramRow): string {
  const k = r.kernel.kind
  const s = r.search
  const search =
    s.kind === 'ran'
      ? `${s.originalSlots}→${s.bestSlots}${s.bestSlots < s.originalSlots ? ` ${s.proof.kind}` : ''}`
      : s.kind === 'fail'
        ? s.code
        : '-'
  return `[${n}/${total}] ${r.object} ${r.section}: kernel ${k}, analysis ${r.analysis.kind}, self ${r.selfCheck.kind}, rewrite ${r.rewriteCheck.kind}, search ${search}, export ${r.exportCheck.kind} (${r.seconds.toFixed(1)} s)\n`
}

/** What a run's --json document holds besides the matrix and the failure groups. */
interface RunDocument {
  readonly dir: string
  readonly started: string
  readonly minutes: number
  readonly options: {
    readonly time: number
    readonly proofTimeoutMs: number
    readonly jobs: number
  }
  readonly environment: readonly string[]
  readonly rows: readonly ProgramRow[]
}

function reportHeader(d: RunDocument): string[] {
  const o = d.options
  return [
    `# Corpus benchmark: ${d.dir}`,
    '',
    `${d.started}, ${d.minutes} min; --time ${o.time} s, --proof-timeout ${o.proofTimeoutMs} ms, --jobs ${o.jobs}.`,
    ...d.environment.map((l) => `${l}.`)
  ]
}

/** Prints (and with `markdownFile` writes) the report of a stored --json document. */
function rerender(file: string, markdownFile: string | undefined): number {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as RunDocument
  const markdown = markdownReport(doc.rows, reportHeader(doc))
  if (markdownFile !== undefined) writeFileSync(markdownFile, markdown)
  process.stdout.write(markdown)
  return 0
}

async function main(): Promise<number> {
  let o: Options | 'help'
  try {
    o = parseOptions(process.argv.slice(2))
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    process.stderr.write(`corpus: ${e.message}\n${HELP}\n`)
    return 2
  }
  if (o === 'help') {
    process.stdout.write(`${HELP}\n`)
    return 0
  }
  if (o.fromJson !== undefined) return rerender(o.fromJson, o.markdown)
  const started = new Date()
  const { work, unread } = collectWork(o)
  const oracle = new KernelOracle()
  const avail = await oracle.availability()
  const loader = buildLoader()
  const exportDir = o.keep ?? mkdtempSync(join(tmpdir(), 'summit-corpus-'))
  const pool = new WorkerPool(o.jobs)
  const ctx: RunContext = {
    pool,
    oracle: avail.available ? oracle : { unavailable: `BPF unavailable: ${avail.reason}` },
    libbpf: loader.ok ? { path: loader.path } : { unavailable: loader.reason },
    timeSeconds: o.time,
    proofTimeoutMs: o.proofTimeoutMs,
    programTimeoutMs: o.timeoutS * 1000,
    exportDir
  }
  const environment = [
    `kernel ${release()}: ${avail.available ? 'BPF available' : `BPF unavailable (${avail.reason})`}`,
    loader.ok ? 'libbpf loader: bench/corpus/libbpf-load' : `libbpf loader: ${loader.reason}`
  ]
  for (const line of environment) process.stderr.write(`corpus: ${line}\n`)
  process.stderr.write(
    `corpus: ${work.length} programs in ${new Set(work.map((w) => w.rel)).size + unread.length} inputs (${unread.length} unreadable); --time ${o.time}, --jobs ${o.jobs}\n`
  )
  const rows: (ProgramRow | undefined)[] = new Array<ProgramRow | undefined>(work.length)
  let next = 0
  let done = 0
  try {
    const runner = async (): Promise<void> => {
      for (let i = next++; i < work.length; i = next++) {
        const row = await runProgram(ctx, work[i]!)
        rows[i] = row
        process.stderr.write(progressLine(++done, work.length, row))
      }
    }
    await Promise.all(Array.from({ length: o.jobs }, runner))
  } finally {
    await pool.dispose()
    await oracle.dispose()
    if (o.keep === undefined) rmSync(exportDir, { recursive: true, force: true })
  }
  const all = [...unread, ...rows.filter((r): r is ProgramRow => r !== undefined)].sort((a, b) =>
    a.object < b.object ? -1 : a.object > b.object ? 1 : 0
  )
  const minutes = ((Date.now() - started.getTime()) / 60_000).toFixed(1)
  const options = { time: o.time, proofTimeoutMs: o.proofTimeoutMs, jobs: o.jobs }
  const doc: RunDocument = {
    dir: o.dir,
    started: started.toISOString(),
    minutes: Number(minutes),
    options,
    environment,
    rows: all
  }
  const markdown = markdownReport(all, reportHeader(doc))
  if (o.markdown !== undefined) writeFileSync(o.markdown, markdown)
  if (o.json)
    process.stdout.write(
      JSON.stringify(
        {
          ...doc,
          matrix: agreementMatrix(all),
          failures: groupFailures(all),
          rows: all
        },
        null,
        2
      ) + '\n'
    )
  else process.stdout.write(markdown)
  return 0
}

void main().then((code) => {
  process.exitCode = code
})
