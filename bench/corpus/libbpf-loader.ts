/**
 * @fileoverview The reference kernel verdict: `libbpf-load.c` (built here with the machine's cc
 * against libbpf-dev) loads one program of an object exactly as libbpf, and so bpftool, loads it.
 * The tool is rebuilt when missing or older than its source.
 */
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const SOURCE = fileURLToPath(new URL('./libbpf-load.c', import.meta.url))
const BUILD_DIR = fileURLToPath(new URL('./build/', import.meta.url))
const BINARY = `${BUILD_DIR}libbpf-load`

/** The tool's path, or why it cannot be built. */
export type LoaderBuild =
  { readonly ok: true; readonly path: string } | { readonly ok: false; readonly reason: string }

/** Builds the loader when needed. */
export function buildLoader(): LoaderBuild {
  try {
    if (!existsSync(BINARY) || statSync(BINARY).mtimeMs < statSync(SOURCE).mtimeMs) {
      mkdirSync(BUILD_DIR, { recursive: true })
      const tmp = `${BINARY}.tmp.${process.pid}`
      execFileSync(
        process.env['CC'] ?? 'cc',
        ['-O2', '-Wall', '-std=gnu11', '-o', tmp, SOURCE, '-lbpf'],
        {
          stdio: ['ignore', 'ignore', 'pipe']
        }
      )
      execFileSync('mv', [tmp, BINARY])
    }
    return { ok: true, path: BINARY }
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string }
    const first =
      err.stderr
        ?.toString()
        .split('\n')
        .find((l) => l.includes('error')) ?? err.message
    return {
      ok: false,
      reason: `cannot build bench/corpus/libbpf-load (needs cc and libbpf-dev): ${first}`
    }
  }
}

/** A program as libbpf sees it in an object. */
export interface LibbpfProgram {
  readonly name: string
  readonly section: string
  /** bpf_prog_type libbpf guessed from the section name (0: none). */
  readonly type: number
}

/** What one load answered. */
export type LibbpfLoad =
  | { readonly ok: true; readonly type: number; readonly verifiedInsns: number }
  | {
      readonly ok: false
      /** `open`: libbpf could not read the object; `load`: map, relocation or verifier failure. */
      readonly stage: 'open' | 'load'
      readonly errno: number
      /** The tail of what libbpf printed (its warnings and the verifier log). */
      readonly said: string
    }

function run(tool: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      tool,
      [...args],
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' },
      (err, stdout) => {
        if (err !== null && stdout === '') reject(err)
        else resolve(stdout)
      }
    )
  })
}

/** Lists the programs libbpf finds in `file` (or why it cannot open it). */
export async function listPrograms(
  tool: string,
  file: string,
  timeoutMs: number
): Promise<LibbpfProgram[] | LibbpfLoad> {
  const out = await run(tool, [file], timeoutMs)
  const lines = out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  const failed = lines.find((l) => l['ok'] === false)
  if (failed !== undefined) return failed as unknown as LibbpfLoad
  return lines.map((l) => ({
    name: String(l['name']),
    section: String(l['section']),
    type: Number(l['type'])
  }))
}

/** Loads program `name` of `file` alone (type override `type` when given). */
export async function loadProgram(
  tool: string,
  file: string,
  name: string,
  type: number | undefined,
  timeoutMs: number
): Promise<LibbpfLoad> {
  const args = type === undefined ? [file, name] : [file, name, String(type)]
  const out = await run(tool, args, timeoutMs)
  const line = out.split('\n').find((l) => l.trim() !== '')
  if (line === undefined) throw new Error(`libbpf-load printed nothing for ${file} ${name}`)
  return JSON.parse(line) as LibbpfLoad
}

const VERIFIER_NOISE =
  /^(processed \d+ insns|verification time|stack depth|max_states|peak_states|mark_read|-- END|libbpf: failed to load|libbpf: prog '.*': failed to load)/

/**
 * The line that says why a load failed: the verifier's last message before its statistics, or
 * libbpf's own first warning when the verifier never ran.
 */
export function failureLine(said: string): string {
  const lines = said.split('\n').map((l) => l.trim())
  const begin = lines.findIndex((l) => l.includes('-- BEGIN PROG LOAD LOG --'))
  if (begin >= 0) {
    const end = lines.findIndex((l, i) => i > begin && l.includes('-- END PROG LOAD LOG --'))
    const log = lines.slice(begin + 1, end < 0 ? undefined : end).filter((l) => l !== '')
    for (let i = log.length - 1; i >= 0; i--) if (!VERIFIER_NOISE.test(log[i]!)) return log[i]!
  }
  const warn = lines.find(
    (l) => l.startsWith('libbpf:') && !/failed to load object|failed to load: -?\d+$/.test(l)
  )
  return (warn ?? lines.find((l) => l !== '') ?? 'no message').replace(/^libbpf: /, '')
}

/** True when the verifier ran and refused the program (its log was printed). */
export function verifierRan(said: string): boolean {
  return said.includes('-- BEGIN PROG LOAD LOG --')
}
