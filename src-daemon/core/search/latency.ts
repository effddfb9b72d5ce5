/**
 * @fileoverview Estimated per-row latencies for the latency performance model.
 *
 * These are ESTIMATES, not measurements: rough nanoseconds per instruction after JIT on a
 * ~3 GHz x86-64 core with warm caches and predicted branches (simple ALU ≈ 1 cycle, multiply
 * ≈ 3, 64-bit divide ≈ 30, L1 load ≈ 4, locked read-modify-write ≈ 20, helper calls from
 * typical helper bodies). They only need to rank candidates sensibly; `summit kernel-check`
 * can measure real programs.
 */
import { OPS, type OpSpec } from '../isa/opcodes'
import { NO_ROW, SlotKind, type Candidate } from './candidate'

/** Estimated cost of a helper call by helper id (ns); others use {@link DEFAULT_HELPER_NS}. */
export const HELPER_NS: ReadonlyMap<number, number> = new Map([
  [1, 15], // map_lookup_elem
  [2, 40], // map_update_elem
  [3, 20], // map_delete_elem
  [5, 20], // ktime_get_ns
  [7, 5], // get_prandom_u32
  [8, 2], // get_smp_processor_id
  [12, 15], // tail_call
  [23, 5], // redirect
  [44, 10], // xdp_adjust_head
  [51, 10] // redirect_map
])

/** Estimated cost of a helper not listed in {@link HELPER_NS} (ns). */
export const DEFAULT_HELPER_NS = 10

/** Estimated latency of one row (ns), independent of operands. */
export function rowLatency(s: OpSpec): number {
  switch (s.kind) {
    case 'alu':
      if (s.op === 'mov' || s.op === 'movsx') return 0.3
      if (s.op === 'mul') return 1
      if (s.op === 'div' || s.op === 'mod' || s.op === 'sdiv' || s.op === 'smod')
        return s.is64 ? 10 : 7
      return 0.35
    case 'end':
      return s.order === 'le' ? 0.3 : 0.4
    case 'jmp':
      return 0.5
    case 'ja':
      return 0.3
    case 'call':
      return s.target === 'local' ? 2 : DEFAULT_HELPER_NS
    case 'exit':
      return 0.3
    case 'lddw':
      return 0.3
    case 'ldabs':
    case 'ldind':
      return 5
    case 'ldx':
      return 1
    case 'st':
    case 'stx':
      return 0.5
    case 'atomic':
      return 6
  }
}

/** Per-row latency estimates indexed by row id. */
export const ROW_LATENCY: Float64Array = Float64Array.from(OPS.map(rowLatency))

/** Latency estimate of a slot of unknown opcode. */
export const UNKNOWN_LATENCY = 1

const CALL_HELPER_ROW = OPS.find((s) => s.kind === 'call' && s.target === 'helper')?.id ?? -1

/** Sum of estimated latencies of the live slots of `c` (straight-line sum, not a path model). */
export function latencyOf(c: Candidate): number {
  let t = 0
  for (let i = 0; i < c.length; i++) {
    if (c.kind[i] !== SlotKind.live) continue
    const r = c.row[i]!
    if (r === NO_ROW) t += UNKNOWN_LATENCY
    else if (r === CALL_HELPER_ROW) t += HELPER_NS.get(c.imm[i]!) ?? DEFAULT_HELPER_NS
    else t += ROW_LATENCY[r]!
  }
  return t
}
