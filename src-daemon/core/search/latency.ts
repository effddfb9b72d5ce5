/**
 * @fileoverview The latency model: estimated nanoseconds per instruction class and per helper
 * call, from a {@link LatencyTable} (the built-in one, or one `summit calibrate` measured in this
 * machine's kernel), and the estimated latency of a program under it: the cost of its slowest
 * path (a straight-line sum would let a rewrite merge a cheap path into a dear one unseen).
 *
 * The built-in figures are ESTIMATES for a ~3 GHz x86-64 core after JIT with warm caches and
 * predicted branches (simple ALU ≈ 1 cycle, multiply ≈ 3, 64-bit divide ≈ 30, L1 load ≈ 4, a
 * `lock`ed read-modify-write ≈ 20 ns once the line is shared between CPUs, helper calls from
 * typical helper bodies). They rank candidates; `summit kernel-check` measures real programs.
 */
import { OPS, type OpSpec } from '../isa/opcodes'
import { NO_ROW, SlotKind, type Candidate } from './candidate'

/** Instruction classes the latency table prices (nanoseconds each). */
export const LATENCY_CLASSES = [
  'mov',
  'alu',
  'mul',
  'div32',
  'div64',
  'end',
  'jmp',
  'ja',
  'exit',
  'lddw',
  'lddwMap',
  'ldx',
  'st',
  'stx',
  'atomic',
  'atomicFetch',
  'ldPacket',
  'callLocal',
  'helper'
] as const

/** One instruction class. */
export type LatencyClass = (typeof LATENCY_CLASSES)[number]

/** A latency table: ns per instruction class, and per helper id (others cost `classes.helper`). */
export interface LatencyTable {
  /** `builtin`, or `calibrated` when `summit calibrate` measured it. */
  readonly source: 'builtin' | 'calibrated'
  readonly classes: Readonly<Record<LatencyClass, number>>
  /** Helper id (decimal string) → ns per call. */
  readonly helpers: Readonly<Record<string, number>>
  /** When measured (ISO time) and on which kernel (`uname -r`). */
  readonly measuredAt?: string
  readonly kernel?: string
}

/** The built-in table (estimates; see the file comment). */
export const BUILTIN_LATENCY: LatencyTable = {
  source: 'builtin',
  classes: {
    mov: 0.3,
    alu: 0.35,
    mul: 1,
    div32: 7,
    div64: 10,
    end: 0.4,
    jmp: 0.5,
    ja: 0.3,
    exit: 0.3,
    lddw: 0.3,
    lddwMap: 0.3,
    ldx: 1,
    st: 0.5,
    stx: 0.5,
    atomic: 20,
    atomicFetch: 22,
    ldPacket: 5,
    callLocal: 2,
    helper: 10
  },
  helpers: {
    '1': 15, // map_lookup_elem
    '2': 40, // map_update_elem
    '3': 20, // map_delete_elem
    '5': 20, // ktime_get_ns
    '7': 5, // get_prandom_u32
    '8': 2, // get_smp_processor_id
    '12': 15, // tail_call
    '23': 5, // redirect
    '44': 10, // xdp_adjust_head
    '51': 10 // redirect_map
  }
}

/** The class of an opcode row. */
export function latencyClass(s: OpSpec): LatencyClass {
  switch (s.kind) {
    case 'alu':
      if (s.op === 'mov' || s.op === 'movsx') return 'mov'
      if (s.op === 'mul') return 'mul'
      if (s.op === 'div' || s.op === 'mod' || s.op === 'sdiv' || s.op === 'smod')
        return s.is64 ? 'div64' : 'div32'
      return 'alu'
    case 'end':
      return 'end'
    case 'jmp':
      return 'jmp'
    case 'ja':
      return 'ja'
    case 'call':
      return s.target === 'helper' ? 'helper' : 'callLocal'
    case 'exit':
      return 'exit'
    case 'lddw':
      return s.pseudo === 'imm64' ? 'lddw' : 'lddwMap'
    case 'ldabs':
    case 'ldind':
      return 'ldPacket'
    case 'ldx':
      return 'ldx'
    case 'st':
      return 'st'
    case 'stx':
      return 'stx'
    case 'atomic':
      return s.op === 'add' || s.op === 'or' || s.op === 'and' || s.op === 'xor'
        ? 'atomic'
        : 'atomicFetch'
  }
}

/** A table compiled for the hot path: ns per opcode row, per helper id. */
export interface LatencyModel {
  readonly table: LatencyTable
  /** Indexed by row id. */
  readonly rows: Float64Array
  readonly helpers: ReadonlyMap<number, number>
  readonly defaultHelper: number
}

/** Latency of a slot of unknown opcode (ns). */
export const UNKNOWN_LATENCY = 1

const CALL_HELPER_ROW = OPS.find((s) => s.kind === 'call' && s.target === 'helper')?.id ?? -1

/** Compiles `table` into a {@link LatencyModel}. */
export function latencyModel(table: LatencyTable): LatencyModel {
  return {
    table,
    rows: Float64Array.from(OPS.map((s) => table.classes[latencyClass(s)])),
    helpers: new Map(Object.entries(table.helpers).map(([k, v]) => [Number(k), v])),
    defaultHelper: table.classes.helper
  }
}

/** The built-in model. */
export const BUILTIN_MODEL: LatencyModel = latencyModel(BUILTIN_LATENCY)

/** Per-row latencies of the built-in model, indexed by row id. */
export const ROW_LATENCY: Float64Array = BUILTIN_MODEL.rows

/** How control leaves a row: falls through, exits, jumps always (16-bit or 32-bit offset), or branches. */
const FLOW = Uint8Array.from(
  OPS.map((s) =>
    s.kind === 'exit' ? 1 : s.kind === 'ja' ? (s.long ? 3 : 2) : s.kind === 'jmp' ? 4 : 0
  )
)

let worstAt = new Float64Array(64)
let expectedAt = new Float64Array(64)

/**
 * Estimated latencies of `c` (ns) into `out`: `out[0]` the dearest path from the first slot to
 * an exit, `out[1]` the expected latency when each conditional branch goes either way with
 * probability 1/2 (so a rewrite that makes a common path dearer shows even when the dearest
 * path barely moves). Live instructions are priced by class, helper calls by id; backward jumps
 * (loops, only where enabled) count one pass. Allocation-free after the first call per size.
 */
export function pathLatencies(c: Candidate, model: LatencyModel, out: Float64Array): void {
  const n = c.length
  if (worstAt.length < n + 1) {
    worstAt = new Float64Array(n + 1)
    expectedAt = new Float64Array(n + 1)
  }
  const worst = worstAt
  const expected = expectedAt
  worst[n] = 0
  expected[n] = 0
  const rows = model.rows
  for (let i = n - 1; i >= 0; i--) {
    if (c.kind[i] !== SlotKind.live) {
      worst[i] = worst[i + 1]!
      expected[i] = expected[i + 1]!
      continue
    }
    const r = c.row[i]!
    if (r === NO_ROW) {
      worst[i] = UNKNOWN_LATENCY + worst[i + 1]!
      expected[i] = UNKNOWN_LATENCY + expected[i + 1]!
      continue
    }
    const t =
      r === CALL_HELPER_ROW ? (model.helpers.get(c.imm[i]!) ?? model.defaultHelper) : rows[r]!
    const flow = FLOW[r]!
    if (flow === 0) {
      worst[i] = t + worst[i + 1]!
      expected[i] = t + expected[i + 1]!
    } else if (flow === 1) {
      worst[i] = t
      expected[i] = t
    } else {
      const target = i + 1 + (flow === 3 ? c.imm[i]! : c.off[i]!)
      const forward = target > i && target <= n
      const w = forward ? worst[target]! : 0
      const e = forward ? expected[target]! : 0
      if (flow === 4) {
        const wn = worst[i + 1]!
        worst[i] = t + (w > wn ? w : wn)
        expected[i] = t + 0.5 * (e + expected[i + 1]!)
      } else {
        worst[i] = t + w
        expected[i] = t + e
      }
    }
  }
  out[0] = worst[0]!
  out[1] = expected[0]!
}

const pair = new Float64Array(2)

/** Estimated latency of `c` (ns): that of its dearest path (see {@link pathLatencies}). */
export function latencyOf(c: Candidate, model: LatencyModel = BUILTIN_MODEL): number {
  pathLatencies(c, model, pair)
  return pair[0]!
}
