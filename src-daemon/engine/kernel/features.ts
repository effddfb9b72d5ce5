/**
 * @fileoverview Kernel features: what a program needs of the kernel (helpers per program type,
 * map types, instruction classes, test runs), named and keyed. Kernels differ between machines;
 * nothing that loads a program should presume a feature the probe (`feature-probe.ts`) has not
 * confirmed.
 */
import { CORE_POISON_HELPER } from '../../core/formats/core-relo'
import { decodeProgram } from '../../core/isa/decode'
import type { Insn } from '../../core/isa/insn'
import { jumpTarget } from '../../core/isa/jump'
import { isIsaV4 } from '../../core/search/proposal-table'
import { helperName } from '../../core/interp/helper-ids'
import { MapType, ProgType } from './bpf-constants'
import type { KernelError } from './kernel-error'

/** Instruction-level features, with the kernel release that introduced each. */
export const INSN_FEATURES = {
  /**
   * Atomic read-modify-write without fetch: `lock` add (BPF_XADD, since eBPF's first release,
   * 3.18), or/and/xor (5.12, with BPF_ATOMIC). A search can introduce them (the load/op/store
   * idiom), so simulated kernels can refuse them (SUMMIT_KERNEL_FEATURES_OFF=insn:atomic).
   */
  atomic: 'atomic read-modify-write instructions (lock add, or, and, xor)',
  /** BPF_ATOMIC with BPF_FETCH, xchg and cmpxchg (5.12). */
  atomic_fetch: 'atomic fetch/xchg/cmpxchg instructions',
  /** Bounded loops: backward jumps the verifier can bound (5.3). */
  bounded_loops: 'bounded loops (backward jumps)',
  /** The JMP32 class (5.1). */
  jmp32: '32-bit conditional jumps (JMP32)',
  /** ISA v4: sdiv/smod, movsx, sign-extending loads, bswap, gotol (6.6). */
  isa_v4: 'ISA v4 instructions (sdiv, movsx, ldsx, bswap, gotol)',
  /** bpf-to-bpf calls (4.16). */
  bpf_to_bpf: 'bpf-to-bpf calls'
} as const

/** An instruction-level feature name. */
export type InsnFeature = keyof typeof INSN_FEATURES

/** One thing a program may need of the kernel. */
export type KernelFeature =
  | { readonly kind: 'helper'; readonly progType: number; readonly helper: number }
  | { readonly kind: 'mapType'; readonly mapType: number }
  | { readonly kind: 'testRun'; readonly progType: number }
  | { readonly kind: 'insn'; readonly insn: InsnFeature }

/** What the probe found out about one feature. */
export interface FeatureVerdict {
  /** The feature, as `describeFeature` names it. */
  readonly feature: string
  /** True when the kernel has it; false when the probe showed it does not. */
  readonly available: boolean
  /** Why it is missing (the kernel's own words), or how it was confirmed. */
  readonly detail: string
}

const progTypeNames = new Map<number, string>(
  Object.entries(ProgType).map(([name, value]) => [value, name])
)
const mapTypeNames = new Map<number, string>(
  Object.entries(MapType).map(([name, value]) => [value, name])
)

/** The name of a program type (`xdp`, `schedCls`, ...) or its number. */
export function progTypeName(t: number): string {
  return progTypeNames.get(t) ?? `type ${t}`
}

/** A stable key of a feature, used for caching and for `SUMMIT_KERNEL_FEATURES_OFF`. */
export function featureKey(f: KernelFeature): string {
  switch (f.kind) {
    case 'helper':
      return `helper:${progTypeName(f.progType)}:${f.helper}`
    case 'mapType':
      return `map:${mapTypeNames.get(f.mapType) ?? f.mapType}`
    case 'testRun':
      return `testrun:${progTypeName(f.progType)}`
    case 'insn':
      return `insn:${f.insn}`
  }
}

/** A feature in words, e.g. `helper bpf_xdp_adjust_meta#54 in xdp programs`. */
export function describeFeature(f: KernelFeature): string {
  switch (f.kind) {
    case 'helper':
      return `helper bpf_${helperName(f.helper)}#${f.helper} in ${progTypeName(f.progType)} programs`
    case 'mapType':
      return `map type ${mapTypeNames.get(f.mapType) ?? f.mapType}`
    case 'testRun':
      return `BPF_PROG_TEST_RUN for ${progTypeName(f.progType)} programs`
    case 'insn':
      return INSN_FEATURES[f.insn]
  }
}

/**
 * Everything `slots` (a program of type `progType` using maps of `mapTypes`) needs of the kernel
 * to load, without duplicates. `testRun` adds the test run of the program's type.
 */
export function requiredFeatures(
  slots: readonly Insn[],
  progType: number,
  mapTypes: readonly number[] = [],
  options: { readonly testRun?: boolean } = {}
): KernelFeature[] {
  const out = new Map<string, KernelFeature>()
  const add = (f: KernelFeature): void => void out.set(featureKey(f), f)
  for (const t of mapTypes) add({ kind: 'mapType', mapType: t })
  if (options.testRun === true) add({ kind: 'testRun', progType })
  const program = decodeProgram(slots)
  if (!program.ok) return [...out.values()]
  for (const d of program.value.insns) {
    const s = d.spec
    // libbpf's poisoned CO-RE instruction is no helper: it loads only where no path reaches it.
    if (s.kind === 'call' && s.target === 'helper' && d.insn.imm !== CORE_POISON_HELPER)
      add({ kind: 'helper', progType, helper: d.insn.imm })
    if (s.kind === 'call' && s.target === 'local') add({ kind: 'insn', insn: 'bpf_to_bpf' })
    if (s.kind === 'atomic') {
      if (s.op === 'add' || s.op === 'or' || s.op === 'and' || s.op === 'xor')
        add({ kind: 'insn', insn: 'atomic' })
      else add({ kind: 'insn', insn: 'atomic_fetch' })
    }
    if (s.kind === 'jmp' && s.is32) add({ kind: 'insn', insn: 'jmp32' })
    if (isIsaV4(s)) add({ kind: 'insn', insn: 'isa_v4' })
    const target = jumpTarget(d)
    if (target !== undefined && target <= d.index && s.kind !== 'call')
      add({ kind: 'insn', insn: 'bounded_loops' })
  }
  return [...out.values()]
}

/** Feature keys `SUMMIT_KERNEL_FEATURES_OFF` turns off (comma-separated, see `featureKey`). */
export function forcedOffFeatures(): Set<string> {
  const raw = process.env['SUMMIT_KERNEL_FEATURES_OFF'] ?? ''
  return new Set(
    raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
  )
}

/** True when `SUMMIT_KERNEL_FEATURES_OFF` turns `f` off. */
export function isTurnedOff(f: KernelFeature): boolean {
  return forcedOffFeatures().has(featureKey(f))
}

/**
 * The rejection a kernel without the features `SUMMIT_KERNEL_FEATURES_OFF` turns off would give
 * `slots` (a program of `progType` using maps of `mapTypes`), or undefined when it needs none of
 * them. The kernel oracle applies it before every load, so that Summit and its tests can be run
 * as on a kernel that lacks those features.
 */
export function simulatedRejection(
  slots: readonly Insn[],
  progType: number,
  mapTypes: readonly number[],
  options: { readonly testRun?: boolean } = {}
): KernelError | undefined {
  const off = forcedOffFeatures()
  if (off.size === 0) return undefined
  const missing = requiredFeatures(slots, progType, mapTypes, options).filter((f) =>
    off.has(featureKey(f))
  )
  if (missing.length === 0) return undefined
  const what = missing.map(describeFeature).join(', ')
  return {
    code: 'KERNEL_VERIFIER_REJECTED',
    message: `SUMMIT_KERNEL_FEATURES_OFF: this kernel is taken to lack ${what}`,
    log: `simulated rejection: ${what} turned off by SUMMIT_KERNEL_FEATURES_OFF\n`
  }
}
