/**
 * @fileoverview The kernel feature probe: asks the running kernel, by loading a minimal program
 * or creating a minimal map through the kernel oracle, whether it has each feature a program
 * needs (see `features.ts`), and caches the answers.
 */
import { insn, type Insn } from '../../core/isa/insn'
import { MapType, ProgType, isPacketProgType } from './bpf-constants'
import {
  describeFeature,
  featureKey,
  forcedOffFeatures,
  type FeatureVerdict,
  type InsnFeature,
  type KernelFeature
} from './features'
import type { KernelOracle } from './oracle'

const EXIT = insn(0x95)
const R0_ZERO = insn(0xb7, 0)

/** Stores 0 at r10-8, then an atomic of operation `op` (imm of 0xdb) with 1 on it. */
function atomicProbe(op: number): readonly Insn[] {
  return [
    insn(0xb7, 1),
    insn(0x7b, 10, 1, -8),
    insn(0xb7, 1, 0, 0, 1),
    insn(0xdb, 10, 1, -8, op),
    R0_ZERO,
    EXIT
  ]
}

/** Minimal programs that load only where the instruction feature exists (socket filters). */
const INSN_PROBES: Readonly<Record<InsnFeature, readonly Insn[]>> = {
  atomic: atomicProbe(0x00),
  atomic_fetch: atomicProbe(0x01),
  bounded_loops: [
    R0_ZERO,
    insn(0xb7, 1, 0, 0, 4),
    insn(0x07, 1, 0, 0, -1),
    insn(0x55, 1, 0, -2),
    EXIT
  ],
  jmp32: [R0_ZERO, insn(0xb4, 1, 0, 0, 1), insn(0x26, 1, 0, 0, 0), EXIT],
  isa_v4: [insn(0xb7, 1, 0, 0, 1), insn(0xbf, 0, 1, 8), EXIT],
  bpf_to_bpf: [insn(0x85, 0, 1, 0, 1), EXIT, R0_ZERO, EXIT]
}

/** A packet of 64 bytes (an Ethernet + IPv4 header shape) for test-run probes. */
function probePacket(): Uint8Array {
  const p = new Uint8Array(64)
  p[12] = 0x08
  p[14] = 0x45
  p[17] = 50
  p[22] = 64
  p[23] = 17
  return p
}

/** Map attributes the kernel accepts for a minimal map of each type. */
function minimalMap(
  type: number
): { keySize: number; valueSize: number; maxEntries: number; flags?: number } | undefined {
  switch (type) {
    case MapType.ringbuf:
      return { keySize: 0, valueSize: 0, maxEntries: 4096 }
    case MapType.queue:
    case MapType.stack:
      return { keySize: 0, valueSize: 4, maxEntries: 1 }
    case MapType.stackTrace:
      return { keySize: 4, valueSize: 8, maxEntries: 1 }
    case MapType.lpmTrie:
      return { keySize: 8, valueSize: 8, maxEntries: 1, flags: 1 }
    case MapType.arrayOfMaps:
    case MapType.hashOfMaps:
      return undefined
    default:
      // Types with 4-byte keys and values; others (storage maps, bloom filters, ...) need
      // attributes of their own and are not probed.
      return Object.values(MapType).includes(type as never)
        ? { keySize: 4, valueSize: 4, maxEntries: 1 }
        : undefined
  }
}

/** Verifier messages that mean "this kernel has no such helper for this program type". */
const MISSING_HELPER = /unknown func|cannot use helper|invalid func/

/**
 * Asks the running kernel, through a kernel oracle, which features it has. Each answer is
 * cached for the probe's lifetime. `SUMMIT_KERNEL_FEATURES_OFF` (comma-separated feature keys,
 * e.g. `helper:xdp:54,insn:atomic_fetch`) makes the probe report those as missing, to see how
 * Summit and its tests behave on a kernel without them.
 */
export class KernelFeatureProbe {
  private readonly cache = new Map<string, Promise<FeatureVerdict>>()
  private readonly off = forcedOffFeatures()

  /** A probe using `oracle` (which must be available; see `KernelOracle.availability`). */
  constructor(
    private readonly oracle: KernelOracle,
    private readonly known: ReadonlyMap<string, FeatureVerdict> = new Map()
  ) {}

  /** Whether the kernel has `f`. */
  check(f: KernelFeature): Promise<FeatureVerdict> {
    const key = featureKey(f)
    // Checked first, and never cached: the answer is not the kernel's.
    if (this.off.has(key))
      return Promise.resolve({
        feature: describeFeature(f),
        available: false,
        detail: 'turned off by SUMMIT_KERNEL_FEATURES_OFF'
      })
    let v = this.cache.get(key)
    if (v === undefined) {
      const known = this.known.get(key)
      v = known !== undefined ? Promise.resolve(known) : this.probe(f)
      this.cache.set(key, v)
    }
    return v
  }

  /** The features among `fs` that the kernel lacks (empty when it has them all). */
  async missing(fs: readonly KernelFeature[]): Promise<FeatureVerdict[]> {
    const verdicts = await Promise.all(fs.map((f) => this.check(f)))
    return verdicts.filter((v) => !v.available)
  }

  /** Every answer so far, by feature key (to persist and hand to a later probe as `known`). */
  async answers(): Promise<Record<string, FeatureVerdict>> {
    const out: Record<string, FeatureVerdict> = {}
    for (const [k, v] of this.cache) out[k] = await v
    return out
  }

  private async probe(f: KernelFeature): Promise<FeatureVerdict> {
    const feature = describeFeature(f)
    const verdict = (available: boolean, detail: string): FeatureVerdict => ({
      feature,
      available,
      detail
    })
    switch (f.kind) {
      case 'helper': {
        const prog = [insn(0x85, 0, 0, 0, f.helper), R0_ZERO, EXIT]
        const r = await this.oracle.verifyOnly(prog, [], { progType: f.progType, logLevel: 1 })
        if (r.ok) return verdict(true, 'loaded')
        const line = firstMatchingLine(r.error.log ?? '', MISSING_HELPER)
        if (line !== undefined) return verdict(false, line)
        if (r.error.code !== 'KERNEL_VERIFIER_REJECTED') return verdict(false, r.error.message)
        return verdict(true, 'known to the verifier (the probe failed only on its arguments)')
      }
      case 'mapType': {
        const attrs = minimalMap(f.mapType)
        if (attrs === undefined) return verdict(true, 'not probed (needs an inner map)')
        const m = await this.oracle.createMap({ type: f.mapType, ...attrs })
        if (!m.ok) return verdict(false, m.error.message)
        await this.oracle.close(m.value)
        return verdict(true, 'created')
      }
      case 'testRun': {
        const prog = [R0_ZERO, EXIT]
        const packet = isPacketProgType(f.progType)
        const r = await this.oracle.runOnce(prog, [], {
          progType: f.progType,
          ...(packet ? { data: probePacket() } : { ctx: new Uint8Array(8) })
        })
        return r.ok ? verdict(true, 'ran') : verdict(false, r.error.message)
      }
      case 'insn': {
        const r = await this.oracle.verifyOnly(INSN_PROBES[f.insn], [], {
          progType: ProgType.socketFilter,
          logLevel: 1
        })
        if (r.ok) return verdict(true, 'loaded')
        const log = (r.error.log ?? '').trim().split('\n')
        return verdict(false, log[log.length - 1] || r.error.message)
      }
    }
  }
}

function firstMatchingLine(log: string, re: RegExp): string | undefined {
  return log.split('\n').find((l) => re.test(l))
}
