/**
 * @fileoverview Locates the native summit-bpf helper and builds it with `cc` (against libbpf and
 * json-c) when missing or stale; a missing library is reported with the package that provides it.
 */
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/** Directory holding the helper's C sources and build.sh. */
export function defaultNativeDir(): string {
  return fileURLToPath(new URL('../../../native/', import.meta.url))
}

/** Where build.sh puts the helper binary. */
export function helperBinaryPath(nativeDir: string = defaultNativeDir()): string {
  return join(nativeDir, 'build', 'summit-bpf')
}

/** True when the binary is missing or older than one of its sources. */
function needsBuild(nativeDir: string, binary: string): boolean {
  if (!existsSync(binary)) return true
  const built = statSync(binary).mtimeMs
  const sources = existsSync(nativeDir)
    ? readdirSync(nativeDir).filter((f) => /\.(c|h|sh)$/.test(f))
    : []
  return sources.some((f) => statSync(join(nativeDir, f)).mtimeMs > built)
}

/** The helper binary ready to run, or the reason it is not available. */
export type HelperBinary = { ok: true; path: string } | { ok: false; reason: string }

/**
 * Returns a runnable helper binary: `SUMMIT_BPF_HELPER` if set, else native/build/summit-bpf,
 * (re)building it with native/build.sh when missing or stale and a C compiler exists.
 */
export async function ensureHelperBinary(
  nativeDir: string = defaultNativeDir()
): Promise<HelperBinary> {
  const override = process.env['SUMMIT_BPF_HELPER']
  if (override) {
    return existsSync(override)
      ? { ok: true, path: override }
      : { ok: false, reason: `SUMMIT_BPF_HELPER=${override} does not exist` }
  }
  const binary = helperBinaryPath(nativeDir)
  if (!needsBuild(nativeDir, binary)) return { ok: true, path: binary }
  const script = join(nativeDir, 'build.sh')
  if (!existsSync(script)) {
    return existsSync(binary)
      ? { ok: true, path: binary }
      : { ok: false, reason: `helper sources not found in ${nativeDir}` }
  }
  const cc = process.env['CC'] ?? 'cc'
  try {
    await execFileAsync('sh', ['-c', 'command -v "$1"', 'sh', cc])
  } catch {
    return existsSync(binary)
      ? { ok: true, path: binary }
      : { ok: false, reason: `no C compiler (${cc}) to build the kernel helper` }
  }
  try {
    await execFileAsync('sh', [script], { timeout: 120_000 })
  } catch (e) {
    return { ok: false, reason: `building the kernel helper failed: ${buildFailure(e)}` }
  }
  return existsSync(binary)
    ? { ok: true, path: binary }
    : { ok: false, reason: 'build.sh ran but produced no binary' }
}

/** The line of a failed build that says why: build.sh's own message (naming the package), else the compiler's first error. */
function buildFailure(e: unknown): string {
  const stderr = (e as { stderr?: unknown }).stderr
  const lines = (typeof stderr === 'string' ? stderr : '').split('\n').filter((l) => l.trim())
  const own = lines.find((l) => l.startsWith('summit-bpf: '))
  if (own !== undefined) return own.slice('summit-bpf: '.length)
  const error = lines.find((l) => l.includes('error'))
  const message = e instanceof Error ? e.message.split('\n')[0]! : String(e)
  return error ?? message
}
