/**
 * @fileoverview The packet sample of perf_event_output (BPF_F_CTXLEN_MASK, bits 32..51 of the
 * flags): socket-buffer programs (tc, socket filters: the kernel's bpf_skb_event_output) and XDP
 * (bpf_xdp_event_output) append the first N bytes of the packet to the record, after -EINVAL for
 * flag bits outside the index and length masks and -EFAULT for N beyond the packet's length.
 * The other variants (tracing, struct contexts) accept the index bits only.
 */
import * as $layout from './layout'
import * as $contexts from './contexts'
import * as $machine from './machine'
import type { Machine } from './machine'

// Imports copied into module constants once: under tsx/vite-node each access to an
// imported binding is a getter call, too costly on the interpreter hot path.
const { Errno } = $layout
const { isStructContext } = $contexts
const { Region } = $machine

/** {@link sampleLength}'s answer for a program type whose variant the model does not know. */
export const SAMPLE_UNMODELLED = -0x10000

/**
 * The sample length the high 32 flag bits `fhi` ask for, a negated errno (-EINVAL, -EFAULT), or
 * {@link SAMPLE_UNMODELLED} for a nonzero length where the program type is not known.
 */
export function sampleLength(m: Machine, fhi: number): number {
  if ((fhi & ~0xfffff) !== 0) return -Errno.EINVAL
  const len = fhi & 0xfffff
  const k = m.prog.ctxKind
  if (k === 'skb' || k === 'socket' || k === 'xdp')
    return len > m.pktEnd - m.pktData ? -Errno.EFAULT : len
  if (len === 0) return 0
  return k === 'tracepoint' || isStructContext(k) ? -Errno.EINVAL : SAMPLE_UNMODELLED
}

/** Appends the first `len` packet bytes to the last effect; false when the log is full. */
export function appendSample(m: Machine, len: number): boolean {
  return len === 0 || m.effects.extend(m.heap, m.regionBase[Region.packet]! + m.pktData, len)
}
