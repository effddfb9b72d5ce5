/** @fileoverview Chooses the kernel program type that runs a K2-format program like K2's model does. */
import type { Insn } from '../../core/isa/insn'
import { ProgType } from './bpf-constants'

/** How to run a K2 program in the kernel. */
export interface K2KernelRun {
  /** Program type to load and test-run as. */
  readonly progType: number
  /** Where K2's input buffer goes: the packet (data in) or the context (ctx in). */
  readonly input: 'packet' | 'ctx'
  /** Largest input the kernel accepts for this choice (raw_tracepoint ctx: 96 bytes). */
  readonly maxInputBytes: number
}

/** Largest raw_tracepoint context BPF_PROG_TEST_RUN accepts (12 u64 arguments). */
export const RAW_TRACEPOINT_MAX_CTX = 96

/** True when the program uses legacy packet loads (ld_abs / ld_ind), which need a packet type. */
export function usesLegacyPacketLoads(insns: readonly Insn[]): boolean {
  for (let i = 0; i < insns.length; i++) {
    const code = insns[i]!.code
    if (code === 0x18) {
      i++
      continue
    }
    const mode = code & 0xe0
    if ((code & 0x07) === 0 && (mode === 0x20 || mode === 0x40)) return true
  }
  return false
}

/**
 * Maps K2's `pgm_input_type` to a kernel run: 2 (packet pointers) runs as XDP with the packet as
 * data; 1 (r1 points at a flat buffer) runs as raw_tracepoint, whose context is a flat read-only
 * buffer, unless the program uses ld_abs/ld_ind, which only packet types allow (socket filter,
 * packet seen from the network header); 0 (no input) runs as raw_tracepoint with an empty context.
 */
export function k2KernelRun(inputType: number, insns: readonly Insn[]): K2KernelRun {
  if (inputType === 2) return { progType: ProgType.xdp, input: 'packet', maxInputBytes: 65535 }
  if (usesLegacyPacketLoads(insns)) {
    return { progType: ProgType.socketFilter, input: 'packet', maxInputBytes: 65535 }
  }
  return { progType: ProgType.rawTracepoint, input: 'ctx', maxInputBytes: RAW_TRACEPOINT_MAX_CTX }
}
