/**
 * @fileoverview Differential runs in the kernel: an interpreter input is turned into a
 * BPF_PROG_TEST_RUN input for the benchmark's kernel program type, both programs run on fresh
 * maps, and their observable results (return value, packet, context, maps) are compared.
 *
 * Input mapping: XDP gets the packet as data (packets under 14 bytes are skipped: the kernel
 * refuses them; the kernel's xdp_md has ingress_ifindex 1, rx queue 0). A socket filter gets a
 * 14-byte Ethernet header followed by the flat buffer as data (ld_abs reads from the network
 * header) and an `__sk_buff` whose cb[] holds flat bytes 48..67. raw_tracepoint gets the flat
 * buffer as its context. Prog arrays and maps of kernel objects (dev/cpu maps) start empty.
 */
import type { RunInput } from '../../src-daemon/core/interp/types'
import type { Result } from '../../src-daemon/core/util/result'
import { ProgType } from '../../src-daemon/engine/kernel/bpf-constants'
import type { KernelError } from '../../src-daemon/engine/kernel/kernel-error'
import type { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import { requiredFeatures, type KernelFeature } from '../../src-daemon/engine/kernel/features'
import type {
  MapInitEntry,
  MapSpec,
  RunOnceInput
} from '../../src-daemon/engine/kernel/oracle-types'
import type { BenchEnv, CorpusProgram } from './corpus-program'
import { hex } from './input-json'
import { isKernelFillable } from './map-contents'

/** Byte offset of `cb[0]` in `struct __sk_buff`, and its size. */
const SKB_CB = 48
const SKB_CB_LEN = 20
/** Size of `struct __sk_buff` as passed to a test run. */
const SKB_CTX_SIZE = 192

/** What a kernel run showed: everything compared between two programs. */
export interface KernelOutcome {
  /** Return value (low 32 bits of r0). */
  readonly retval: number
  /** Packet after the run (hex), for packet types. */
  readonly data: string
  /** Context after the run (hex), where the kernel returns it. */
  readonly ctx: string
  /** Every readable map after the run: entries as sorted `key:value` hex. */
  readonly maps: string
}

function mapSpecs(env: BenchEnv): MapSpec[] {
  return env.maps.map((m) => ({
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries
  }))
}

/** The kernel test-run input for an interpreter input; undefined when the kernel cannot take it. */
export function kernelInputFor(env: BenchEnv, input: RunInput): RunOnceInput | undefined {
  const progType = env.kernel.progType
  const mapEntries: (MapInitEntry[] | undefined)[] = env.maps.map((def, i) =>
    !isKernelFillable(def)
      ? undefined
      : (input.maps?.[i] ?? []).map((e) => ({ key: e.key, value: e.value }))
  )
  if (progType === ProgType.xdp) {
    const data = input.packet ?? new Uint8Array(0)
    if (data.length < 14) return undefined
    return { progType, data, mapEntries }
  }
  const flat = input.ctx instanceof Uint8Array ? input.ctx : new Uint8Array(env.model.maxPktSz)
  if (progType === ProgType.socketFilter) {
    const data = new Uint8Array(14 + flat.length)
    data.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 0)
    data.set(flat, 14)
    const ctx = new Uint8Array(SKB_CTX_SIZE)
    ctx.set(flat.subarray(SKB_CB, SKB_CB + SKB_CB_LEN), SKB_CB)
    return { progType, data, ctx, mapEntries }
  }
  if (flat.length > env.kernel.maxInputBytes) return undefined
  return { progType, ctx: flat, mapEntries }
}

/** Runs one program once in the kernel on fresh maps. */
export async function kernelRun(
  oracle: KernelOracle,
  p: CorpusProgram,
  input: RunOnceInput
): Promise<Result<KernelOutcome, KernelError>> {
  const r = await oracle.runOnce(p.slots, mapSpecs(p.env), input)
  if (!r.ok) return r
  const maps = r.value.maps
    .map((m, i) =>
      m.readable
        ? `${i}[${m.entries
            .map((e) => `${hex(e.key)}:${hex(e.value)}`)
            .sort()
            .join(',')}]`
        : `${i}[?]`
    )
    .join(' ')
  return {
    ok: true,
    value: {
      retval: r.value.run.retval,
      data: r.value.run.data ? hex(r.value.run.data) : '',
      ctx: r.value.run.ctx ? hex(r.value.run.ctx.subarray(SKB_CB, SKB_CB + SKB_CB_LEN)) : '',
      maps
    }
  }
}

/** True when two kernel outcomes agree. */
export function kernelOutcomesEqual(a: KernelOutcome, b: KernelOutcome): boolean {
  return a.retval === b.retval && a.data === b.data && a.ctx === b.ctx && a.maps === b.maps
}

/** Where two programs first disagreed in the kernel. */
export interface KernelDifference {
  readonly input: RunInput
  readonly a: KernelOutcome
  readonly b: KernelOutcome
}

/** Outcome of a kernel differential run. */
export interface KernelDiffReport {
  /** Inputs run on both programs. */
  readonly runs: number
  /** Inputs the kernel cannot take (short XDP packets, oversized contexts). */
  readonly skipped: number
  /** First disagreement. */
  readonly difference?: KernelDifference
  /** First load/run failure (verifier rejection of either program). */
  readonly error?: string
}

/** What the kernel needs to load and test-run the programs `ps` as their run plan says. */
export function kernelRunFeatures(...ps: readonly CorpusProgram[]): KernelFeature[] {
  return ps.flatMap((p) =>
    requiredFeatures(
      p.slots,
      p.env.kernel.progType,
      p.env.maps.map((m) => m.type),
      { testRun: true }
    )
  )
}

/** Runs both programs in the kernel on each input; stops at the first difference or error. */
export async function kernelDifferential(
  oracle: KernelOracle,
  a: CorpusProgram,
  b: CorpusProgram,
  inputs: readonly RunInput[]
): Promise<KernelDiffReport> {
  let runs = 0
  let skipped = 0
  for (const input of inputs) {
    const k = kernelInputFor(a.env, input)
    if (!k) {
      skipped++
      continue
    }
    const ra = await kernelRun(oracle, a, k)
    if (!ra.ok) return { runs, skipped, error: `${a.label}: ${ra.error.code} ${ra.error.message}` }
    const rb = await kernelRun(oracle, b, k)
    if (!rb.ok) return { runs, skipped, error: `${b.label}: ${rb.error.code} ${rb.error.message}` }
    runs++
    if (!kernelOutcomesEqual(ra.value, rb.value))
      return { runs, skipped, difference: { input, a: ra.value, b: rb.value } }
  }
  return { runs, skipped }
}

/** Loads a program through the kernel verifier only; undefined when accepted, else the reason. */
export async function kernelRejection(
  oracle: KernelOracle,
  p: CorpusProgram
): Promise<string | undefined> {
  const r = await oracle.verifyOnly(p.slots, mapSpecs(p.env), { progType: p.env.kernel.progType })
  if (r.ok) return undefined
  const log = (r.error.log ?? '').trim().split('\n').slice(-2).join(' | ')
  return `${r.error.code}: ${r.error.message}${log ? ` (${log})` : ''}`
}
