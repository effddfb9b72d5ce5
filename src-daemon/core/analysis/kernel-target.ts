/**
 * @fileoverview Target kernels: which verifier and instruction-set features a Linux version has,
 * each with the release it arrived in and where that was learned. The analysis follows the
 * target's verifier where it matters and the search proposes no instruction the target lacks.
 */
import type { Insn } from '../isa/insn'
import { fail, ok, type Result } from '../util/result'

/** A kernel release, major.minor (stable updates do not add BPF features). */
export interface KernelVersion {
  readonly major: number
  readonly minor: number
}

/** Features a target kernel may lack. */
export type TargetFeature =
  | 'bpf_to_bpf'
  | 'jmp32'
  | 'bounded_loops'
  | 'atomic_fetch'
  | 'isa_v4'
  | 'const_key_lookup'
  | 'tail_call_keeps_pkt'
  | 'raw_tp_null_args'

/** One row of the feature table. */
export interface KernelFeatureRow {
  readonly feature: TargetFeature
  /** First release that has it. */
  readonly since: KernelVersion
  /** The feature in words. */
  readonly what: string
  /** Where the version was learned (kernel commit or merge). */
  readonly source: string
}

const v = (major: number, minor: number): KernelVersion => ({ major, minor })

/** Kernel features by the release they arrived in (docs/analysis.md lists the same rows). */
export const KERNEL_FEATURES: readonly KernelFeatureRow[] = [
  {
    feature: 'bpf_to_bpf',
    since: v(4, 16),
    what: 'bpf-to-bpf calls',
    source: 'commit cc8b0b92a169 "bpf: introduce function calls (function boundaries)", 4.16 merge'
  },
  {
    feature: 'jmp32',
    since: v(5, 1),
    what: '32-bit conditional jumps (JMP32 class)',
    source:
      'series "bpf: propose new jmp32 instructions" (verifier: "bpf: verifier support JMP32"), 5.1 merge'
  },
  {
    feature: 'bounded_loops',
    since: v(5, 3),
    what: 'backward jumps (bounded loops)',
    source: 'commit 2589726d12a1 "bpf: introduce bounded loops", 5.3 merge'
  },
  {
    feature: 'atomic_fetch',
    since: v(5, 12),
    what: 'atomics other than add: or/and/xor, fetch, xchg, cmpxchg',
    source:
      'series "Atomics for eBPF" ("bpf: Add BPF_FETCH field", "bpf: Add instructions for atomic_[cmp]xchg", "bpf: Add bitwise atomic instructions"), 5.12 merge'
  },
  {
    feature: 'isa_v4',
    since: v(6, 6),
    what: 'ISA v4: sdiv/smod, movsx, sign-extending loads, bswap, gotol',
    source: 'series "bpf: Support new insns from cpu v4" (Yonghong Song), 6.6 merge'
  },
  {
    feature: 'const_key_lookup',
    since: v(6, 14),
    what: 'array lookups with a constant in-range key are not null (no null check needed)',
    source:
      'commit d2102f2f5d75 "bpf: verifier: Support eliding map lookup nullness" (Daniel Xu, Jan 2025), 6.14 merge; 6.1 logs "R0 invalid mem access \'map_value_or_null\'"'
  },
  {
    feature: 'tail_call_keeps_pkt',
    since: v(6, 18),
    what: 'a tail call that returns leaves packet pointers valid (earlier kernels from 6.13 and stable 6.12.y invalidate them; the analysis does for every target before 6.18)',
    source:
      '"bpf: tail calls do not modify packet data" (Oct 2025), reverting the tail-call case of "bpf: consider that tail calls invalidate packet pointers" (Dec 2024)'
  },
  {
    feature: 'raw_tp_null_args',
    since: v(6, 14),
    what: 'tp_btf pointer arguments are trusted and not null except those the kernel lists as nullable or error pointers (6.13 marked every one nullable; the analysis models tp_btf pointer arguments from 6.14 only)',
    source: 'commit 838a10bd2ebf "bpf: Augment raw_tp arguments with PTR_MAYBE_NULL", 6.14 merge'
  }
]

/** Parses `6.1`, `6.1.0-57-cloud-amd64`, `v6.18.3` (KERNEL_VERSION_INVALID otherwise). */
export function parseKernelVersion(text: string): Result<KernelVersion> {
  const m = /^v?(\d{1,3})\.(\d{1,3})(?:[.\-+_~].*)?$/.exec(text.trim())
  if (m === null)
    return fail({
      code: 'KERNEL_VERSION_INVALID',
      message: `'${text}' is not a kernel version (expected e.g. 6.1 or 6.1.0-57-cloud-amd64)`
    })
  return ok(v(Number(m[1]), Number(m[2])))
}

/** `6.1`. */
export function formatKernelVersion(k: KernelVersion): string {
  return `${k.major}.${k.minor}`
}

/** True when release `a` is `b` or later. */
export function atLeast(a: KernelVersion, b: KernelVersion): boolean {
  return a.major !== b.major ? a.major > b.major : a.minor >= b.minor
}

/** The table row of a feature. */
export function featureRow(f: TargetFeature): KernelFeatureRow {
  return KERNEL_FEATURES.find((r) => r.feature === f)!
}

/** True when `target` has `f` (undefined target: the newest behaviour Summit models). */
export function targetHas(target: KernelVersion | undefined, f: TargetFeature): boolean {
  return target === undefined || atLeast(target, featureRow(f).since)
}

const CLASS_LDX = 0x01
const CLASS_STX = 0x03
const CLASS_ALU = 0x04
const CLASS_JMP = 0x05
const CLASS_JMP32 = 0x06
const CLASS_ALU64 = 0x07
const MODE_MEMSX = 0x80
const MODE_ATOMIC = 0xc0

/** The instruction-set feature slot `i` of `slots` needs (undefined: every supported kernel). */
export function insnNeeds(slots: readonly Insn[], i: number): TargetFeature | undefined {
  const s = slots[i]!
  const cls = s.code & 0x07
  const op = s.code & 0xf0
  switch (cls) {
    case CLASS_LDX:
      return (s.code & 0xe0) === MODE_MEMSX ? 'isa_v4' : undefined
    case CLASS_STX:
      return (s.code & 0xe0) === MODE_ATOMIC && s.imm !== 0 ? 'atomic_fetch' : undefined
    case CLASS_ALU:
    case CLASS_ALU64:
      if ((op === 0x30 || op === 0x90) && s.off !== 0) return 'isa_v4'
      if (op === 0xb0 && s.off !== 0) return 'isa_v4'
      if (op === 0xd0 && cls === CLASS_ALU64) return 'isa_v4'
      return undefined
    case CLASS_JMP32:
      if (op === 0x00) return 'isa_v4' // gotol
      return s.off < 0 ? 'bounded_loops' : 'jmp32'
    case CLASS_JMP:
      if (op === 0x80) return s.src === 1 ? 'bpf_to_bpf' : undefined
      if (op === 0x90) return undefined
      return s.off < 0 ? 'bounded_loops' : undefined
    default:
      return undefined
  }
}

/** The first slot of `slots` the target lacks a feature for, with that feature. */
export function firstMissing(
  slots: readonly Insn[],
  target: KernelVersion | undefined
): { readonly index: number; readonly feature: TargetFeature } | undefined {
  if (target === undefined) return undefined
  for (let i = 0; i < slots.length; i++) {
    const f = insnNeeds(slots, i)
    if (f !== undefined && !targetHas(target, f)) return { index: i, feature: f }
  }
  return undefined
}
