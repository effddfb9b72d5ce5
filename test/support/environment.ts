/**
 * @fileoverview What the machine running the tests offers, and one-line skips where it lacks
 * something: a system package, the shared data beside the checkout, root, or a kernel feature.
 * Every skip prints `skipped: <what>: <why>` once per process; the summary reporter lists them.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { release, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { getCurrentTest } from '@vitest/runner'
import {
  requiredFeatures,
  type FeatureVerdict,
  type KernelFeature
} from '../../src-daemon/engine/kernel/features'
import { KernelFeatureProbe } from '../../src-daemon/engine/kernel/feature-probe'
import { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import type { Insn } from '../../src-daemon/core/isa/insn'

/** The repository root (from the module's path: DOM test environments replace the URL class). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..') + '/'

/** The bpf_conformance corpus, kept in the repository (MIT; LICENSE beside it). */
export const CONFORMANCE_DIR = join(REPO_ROOT, 'test/data/conformance')

/** `../shared` beside the checkout (CI has it; a clone of the project alone does not). */
export const SHARED_DIR = join(REPO_ROOT, '../shared')

const printed = new Set<string>()

/** Prints `skipped: <what>: <why>` once per process. */
export function printSkip(what: string, why: string): void {
  const line = `skipped: ${what}: ${why}`
  if (printed.has(line)) return
  printed.add(line)
  console.log(line)
}

/**
 * The absolute path of `rel` inside `../shared`, or undefined (printing why `what` is skipped)
 * when the shared data is not beside the checkout.
 */
export function sharedPath(rel: string, what: string): string | undefined {
  const p = join(SHARED_DIR, rel)
  if (existsSync(p)) return p
  printSkip(what, `../shared/${rel} is absent (the shared data is not beside this checkout)`)
  return undefined
}

const tools = new Map<string, boolean>()

/** True when `cmd` is on PATH; otherwise prints why `what` is skipped. */
export function hasTool(cmd: string, what: string, pkg = cmd): boolean {
  let found = tools.get(cmd)
  if (found === undefined) {
    found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd]).status === 0
    tools.set(cmd, found)
  }
  if (!found) printSkip(what, `${cmd} is not installed (Debian package ${pkg})`)
  return found
}

/** True when running as root; otherwise prints why `what` is skipped. */
export function isRoot(what: string): boolean {
  if (process.getuid?.() === 0) return true
  printSkip(what, 'not root (loading BPF programs needs root or CAP_BPF)')
  return false
}

/** Where probe answers are kept between test files of one boot (the kernel cannot change). */
function cachePath(): string {
  let boot = 'unknown'
  try {
    boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
  } catch {
    // no boot id: the cache is keyed by the kernel release alone
  }
  return join(tmpdir(), `summit-kernel-features-${release()}-${boot}.json`)
}

function readCache(): Map<string, FeatureVerdict> {
  try {
    const doc = JSON.parse(readFileSync(cachePath(), 'utf8')) as Record<string, FeatureVerdict>
    return new Map(Object.entries(doc))
  } catch {
    return new Map()
  }
}

let probe: { oracle: KernelOracle; probe: KernelFeatureProbe } | undefined

/** This process's feature probe (answers cached on disk for the rest of the test run). */
function featureProbe(): KernelFeatureProbe {
  if (probe === undefined) {
    const oracle = new KernelOracle()
    probe = { oracle, probe: new KernelFeatureProbe(oracle, readCache()) }
  }
  return probe.probe
}

async function saveCache(): Promise<void> {
  if (probe === undefined) return
  const merged = Object.fromEntries(readCache())
  Object.assign(merged, await probe.probe.answers())
  const tmp = `${cachePath()}.${process.pid}`
  writeFileSync(tmp, JSON.stringify(merged))
  renameSync(tmp, cachePath())
}

/**
 * The features among `features` this kernel lacks, printing one skip line per missing feature
 * for `what` (naming the feature, the kernel and the kernel's answer). Empty when all are there.
 */
export async function missingKernelFeatures(
  what: string,
  features: readonly KernelFeature[]
): Promise<FeatureVerdict[]> {
  const missing = await featureProbe().missing(features)
  await saveCache()
  for (const m of missing)
    printSkip(what, `kernel ${release()} lacks ${m.feature} (probe: ${m.detail})`)
  return missing
}

/** A check `what` can use to ask whether the kernel has features (printing what it lacks). */
export function kernelHas(what: string): (features: readonly KernelFeature[]) => Promise<boolean> {
  return async (features) => (await missingKernelFeatures(what, features)).length === 0
}

/**
 * Skips the running test (one printed line per missing feature) when this kernel lacks one of
 * `features`. Call it inside a test, before using the kernel.
 */
export async function skipUnlessKernelHas(
  what: string,
  features: readonly KernelFeature[]
): Promise<void> {
  const missing = await missingKernelFeatures(what, features)
  if (missing.length === 0) return
  const test = getCurrentTest()
  if (test === undefined) throw new Error('skipUnlessKernelHas must be called inside a test')
  test.context.skip()
}

/**
 * Skips the running test when this kernel lacks a feature that `slots`, a program of
 * `progType` using maps of `mapTypes`, needs to load (and to test-run, with `testRun`).
 */
export async function skipUnlessKernelRuns(
  what: string,
  slots: readonly Insn[],
  progType: number,
  mapTypes: readonly number[],
  options: { readonly testRun?: boolean } = {}
): Promise<void> {
  await skipUnlessKernelHas(what, requiredFeatures(slots, progType, mapTypes, options))
}

/** Frees the probe's kernel helper process (call from afterAll where the probe was used). */
export async function disposeKernelProbe(): Promise<void> {
  const p = probe
  probe = undefined
  if (p !== undefined) await p.oracle.dispose()
}

/** What the skip line names when K2's benchmark programs are absent. */
const K2_TESTS = "tests on K2's benchmark programs"

/**
 * `../shared/bench/k2/` (with a trailing slash) holding K2's 11 benchmark programs, or undefined
 * (printing one skip line) when the shared data is not beside the checkout.
 */
export function k2BenchDir(): string | undefined {
  return sharedPath('bench', K2_TESTS) === undefined ? undefined : `${SHARED_DIR}/bench/k2/`
}

/** `../shared/bench/k2-outputs/` (K2's claimed best programs), or undefined as `k2BenchDir`. */
export function k2OutputsDir(): string | undefined {
  return sharedPath('bench', K2_TESTS) === undefined ? undefined : `${SHARED_DIR}/bench/k2-outputs/`
}

/**
 * The 6.1 kernel image the VM tests boot: $SUMMIT_TEST_KERNEL, else the one
 * scripts/fetch-test-kernel.sh caches (fetched now where apt-get works); undefined (printing why
 * `what` is skipped) when there is none.
 */
export function testKernelImage(what: string): string | undefined {
  const own = process.env['SUMMIT_TEST_KERNEL']
  if (own !== undefined && own !== '') {
    if (existsSync(own)) return own
    printSkip(what, `SUMMIT_TEST_KERNEL=${own} does not exist`)
    return undefined
  }
  const r = spawnSync('sh', [join(REPO_ROOT, 'scripts/fetch-test-kernel.sh')], {
    encoding: 'utf8',
    timeout: 300_000
  })
  const path = r.stdout?.trim().split('\n').pop() ?? ''
  if (r.status === 0 && path !== '' && existsSync(path)) return path
  const why = (r.stderr ?? '').trim().split('\n').pop() ?? ''
  printSkip(what, `no 6.1 kernel image (scripts/fetch-test-kernel.sh: ${why || 'failed'})`)
  return undefined
}
