/**
 * @fileoverview `summit calibrate`'s measurement: the kernel's cost of each instruction class and
 * of common helper calls, from BPF_PROG_TEST_RUN timings of generated socket-filter programs.
 *
 * Every probe program has the same prologue (look up an array map's value into r7, load two
 * unknown values) and epilogue; its body repeats one instruction (or a helper call with its
 * argument set-up) `copies` times. A class's cost is (probe − baseline) / copies, where the
 * baseline has no body, taken per round (all probes timed once per round, in turn) and then the
 * median over the rounds. Argument set-up around helper calls is subtracted at the measured
 * rates of its own classes. Classes that cannot be repeated in a straight line (exit, bpf-to-bpf
 * calls) keep the built-in figure.
 */
import { release } from 'node:os'
import type { Insn } from '../../core/isa/insn'
import {
  BUILTIN_LATENCY,
  LATENCY_CLASSES,
  type LatencyClass,
  type LatencyTable
} from '../../core/search/latency'
import { ok, type Result } from '../../core/util/result'
import { MapType, ProgType } from './bpf-constants'
import type { KernelError } from './kernel-error'
import type { KernelOracle } from './oracle'
import type { MapHandle } from './oracle-types'

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm })
const lddw = (dst: number, src: number, imm: number, hi = 0): Insn[] => [
  I(0x18, dst, src, 0, imm),
  I(0x00, 0, 0, 0, hi)
]
/** r1 = the hash map; r2 = &key (key 0 at r10 - 4). */
const LOOKUP_ARGS: Insn[] = [...lddw(1, 1, 1), I(0xbf, 2, 10), I(0x07, 2, 0, 0, -4)]

/** One probe: a body repeated `copies` times, minus set-up instructions priced by class. */
interface Probe {
  readonly name: LatencyClass | `helper ${number}`
  readonly body: readonly Insn[]
  /** Classes of the body's set-up instructions (subtracted at their measured rates). */
  readonly setup: readonly LatencyClass[]
  readonly helper?: boolean
}

/** Instruction probes first: helper probes subtract set-up measured by them. */
const PROBES: readonly Probe[] = [
  { name: 'mov', body: [I(0xbf, 3, 1)], setup: [] }, // r3 = r1
  { name: 'alu', body: [I(0x07, 1, 0, 0, 7)], setup: [] }, // r1 += 7
  { name: 'mul', body: [I(0x27, 1, 0, 0, 3)], setup: [] }, // r1 *= 3
  { name: 'div64', body: [I(0xbf, 3, 1), I(0x3f, 3, 2)], setup: ['mov'] }, // r3 = r1; r3 /= r2
  { name: 'div32', body: [I(0xbc, 3, 1), I(0x3c, 3, 2)], setup: ['mov'] }, // w3 = w1; w3 /= w2
  { name: 'end', body: [I(0xdc, 1, 0, 0, 64)], setup: [] }, // r1 = be64 r1
  { name: 'jmp', body: [I(0x1d, 1, 4, 0)], setup: [] }, // if r1 == r4 goto +0
  { name: 'ja', body: [I(0x05)], setup: [] }, // goto +0
  { name: 'lddw', body: lddw(3, 0, 0x23456789, 1), setup: [] },
  { name: 'lddwMap', body: lddw(3, 1, 0), setup: [] },
  { name: 'ldx', body: [I(0x79, 3, 7, 0)], setup: [] }, // r3 = *(u64 *)(r7 + 0)
  { name: 'st', body: [I(0x7a, 7, 0, 0, 1)], setup: [] }, // *(u64 *)(r7 + 0) = 1
  { name: 'stx', body: [I(0x7b, 7, 1, 0)], setup: [] }, // *(u64 *)(r7 + 0) = r1
  { name: 'atomic', body: [I(0xdb, 7, 1, 0, 0x00)], setup: [] }, // lock *(u64 *)(r7 + 0) += r1
  { name: 'atomicFetch', body: [I(0xdb, 7, 4, 0, 0x01)], setup: [] }, // r4 = atomic_fetch_add
  { name: 'ldPacket', body: [I(0x30, 0, 0, 0, 0)], setup: [] }, // r0 = *(u8 *)skb[0]
  {
    name: 'helper 1', // map_lookup_elem on a hash map (key present)
    body: [...LOOKUP_ARGS, I(0x85, 0, 0, 0, 1)],
    setup: ['lddwMap', 'mov', 'alu'],
    helper: true
  },
  {
    name: 'helper 2', // map_update_elem of a present key
    body: [
      ...LOOKUP_ARGS,
      I(0xbf, 3, 10),
      I(0x07, 3, 0, 0, -16),
      I(0xb7, 4, 0, 0, 0),
      I(0x85, 0, 0, 0, 2)
    ],
    setup: ['lddwMap', 'mov', 'alu', 'mov', 'alu', 'mov'],
    helper: true
  },
  { name: 'helper 5', body: [I(0x85, 0, 0, 0, 5)], setup: [], helper: true }, // ktime_get_ns
  { name: 'helper 7', body: [I(0x85, 0, 0, 0, 7)], setup: [], helper: true }, // get_prandom_u32
  { name: 'helper 8', body: [I(0x85, 0, 0, 0, 8)], setup: [], helper: true } // smp_processor_id
]

/** Prologue: r6 = ctx; key 0 and a zero value on the stack; r7 = &array[0]; r1, r4 unknown. */
const PROLOGUE: Insn[] = [
  I(0xbf, 6, 1), // r6 = r1
  I(0x62, 10, 0, -4, 0), // *(u32 *)(r10 - 4) = 0
  I(0x7a, 10, 0, -16, 0), // *(u64 *)(r10 - 16) = 0
  ...lddw(1, 1, 0), // r1 = array map
  I(0xbf, 2, 10),
  I(0x07, 2, 0, 0, -4),
  I(0x85, 0, 0, 0, 1), // call map_lookup_elem
  I(0x55, 0, 0, 2, 0), // if r0 != 0 goto +2
  I(0xb7, 0, 0, 0, 0),
  I(0x95),
  I(0xbf, 7, 0), // r7 = r0
  I(0x79, 1, 7, 0), // r1 = *(u64 *)(r7 + 0)
  I(0x47, 1, 0, 0, 0x1000000), // r1 |= 0x1000000 (a non-zero dividend)
  I(0x79, 4, 7, 0), // r4 = *(u64 *)(r7 + 0)
  I(0xb7, 2, 0, 0, 3), // r2 = 3
  I(0xb7, 3, 0, 0, 0) // r3 = 0
]
const EPILOGUE: Insn[] = [I(0xb7, 0, 0, 0, 0), I(0x95)]

/** How hard to measure. */
export interface CalibrateOptions {
  /** Rounds (each times every probe once; the median over rounds is kept). */
  readonly rounds?: number
  /** Repeated instructions per probe (helper probes use a quarter). */
  readonly copies?: number
  /** Kernel repetitions per test run. */
  readonly repeat?: number
}

/** What calibration measured. */
export interface Calibration {
  readonly table: LatencyTable
  /** Classes and helper ids measured here (the rest keep the built-in figure). */
  readonly measured: readonly string[]
  /** Baseline program's median cost (ns per run). */
  readonly baselineNs: number
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Measures the latency table in the kernel behind `oracle` (which must be available). */
export async function calibrate(
  oracle: KernelOracle,
  options: CalibrateOptions = {}
): Promise<Result<Calibration, KernelError>> {
  const rounds = options.rounds ?? 7
  const copies = options.copies ?? 200
  const repeat = options.repeat ?? 2000
  const maps: MapHandle[] = []
  const progs: { fd: number }[] = []
  try {
    // Map 0: the array r7 points into; map 1: the hash map of the helper probes (key 0 present).
    for (const [type, maxEntries] of [
      [MapType.array, 1],
      [MapType.hash, 16]
    ] as const) {
      const m = await oracle.createMap({ type, keySize: 4, valueSize: 8, maxEntries })
      if (!m.ok) return m
      maps.push(m.value)
    }
    const put = await oracle.updateMap(maps[1]!, new Uint8Array(4), new Uint8Array(8))
    if (!put.ok) return put
    const load = async (
      body: readonly Insn[],
      n: number
    ): Promise<Result<{ fd: number }, KernelError>> => {
      const insns: Insn[] = [...PROLOGUE]
      for (let i = 0; i < n; i++) insns.push(...body)
      insns.push(...EPILOGUE)
      const r = await oracle.load(insns, maps, {
        progType: ProgType.socketFilter,
        name: 'summit_calib'
      })
      if (r.ok) progs.push(r.value)
      return r
    }
    const base = await load([], 0)
    if (!base.ok) return base
    const loaded: { probe: Probe; fd: number; n: number }[] = []
    for (const probe of PROBES) {
      const n = probe.helper === true ? Math.max(1, copies >> 2) : copies
      const p = await load(probe.body, n)
      if (!p.ok) return p
      loaded.push({ probe, fd: p.value.fd, n })
    }
    const packet = new Uint8Array(64)
    packet.set([0x08, 0x00], 12) // IPv4 ethertype
    const time = async (fd: number): Promise<Result<number, KernelError>> => {
      const t = await oracle.timeRuns(
        { fd },
        ProgType.socketFilter,
        { data: packet, repeat },
        {
          repeat,
          samples: 3,
          calls: 1
        }
      )
      return t.ok ? ok(median(t.value.durations)) : t
    }
    const perRound = new Map<string, number[]>()
    const baselines: number[] = []
    for (let r = 0; r < rounds; r++) {
      const b = await time(base.value.fd)
      if (!b.ok) return b
      baselines.push(b.value)
      for (const l of loaded) {
        const t = await time(l.fd)
        if (!t.ok) return t
        const xs = perRound.get(l.probe.name) ?? []
        xs.push((t.value - b.value) / l.n)
        perRound.set(l.probe.name, xs)
      }
    }
    const classes: Record<LatencyClass, number> = { ...BUILTIN_LATENCY.classes }
    const helpers: Record<string, number> = { ...BUILTIN_LATENCY.helpers }
    const measured: string[] = []
    const round2 = (x: number): number => Math.round(Math.max(0, x) * 100) / 100
    const helperCosts: number[] = []
    for (const { probe } of loaded) {
      const setup = probe.setup.reduce((s, c) => s + classes[c], 0)
      const ns = round2(median(perRound.get(probe.name)!) - setup)
      if (probe.name.startsWith('helper ')) {
        helpers[probe.name.slice(7)] = ns
        helperCosts.push(ns)
      } else classes[probe.name as LatencyClass] = ns
      measured.push(probe.name)
    }
    classes.helper = round2(median(helperCosts))
    measured.push('helper')
    const table: LatencyTable = {
      source: 'calibrated',
      classes: Object.fromEntries(LATENCY_CLASSES.map((c) => [c, classes[c]])) as Record<
        LatencyClass,
        number
      >,
      helpers,
      measuredAt: new Date().toISOString(),
      kernel: release()
    }
    return ok({ table, measured, baselineNs: median(baselines) })
  } finally {
    for (const p of progs) await oracle.close(p)
    for (const m of maps) await oracle.close(m)
  }
}

/** Classes calibration cannot measure in a straight line (they keep the built-in figure). */
export const UNMEASURED_CLASSES: readonly LatencyClass[] = LATENCY_CLASSES.filter(
  (c) => c !== 'helper' && !PROBES.some((p) => p.name === c)
)
