/**
 * @fileoverview Contexts of tracing and small cgroup program types: kprobe (`struct pt_regs`),
 * tracepoint, raw tracepoint (writable too), perf_event (`bpf_perf_event_data`), fentry/fexit/
 * LSM argument arrays, cgroup device and sysctl, lirc, as the kernel's rules read (kernel/trace/
 * bpf_trace.c, kernel/bpf/cgroup.c; Linux 6.12 to 6.18, x86-64 layouts).
 */
import { narrowOk, NO, SCALAR, yields, type CtxVerdict } from './ctx-skb'
import { FLAT_CONTEXT_SIZES } from '../interp/contexts'
import { T } from './types'

const PT_REGS_SIZE = FLAT_CONTEXT_SIZES['kprobe'] as number
/** PERF_MAX_TRACE_SIZE: the largest tracepoint record a program may read. */
const TRACEPOINT_MAX = FLAT_CONTEXT_SIZES['tracepoint'] as number
/** MAX_BPF_FUNC_ARGS * 8: the raw tracepoint and fentry argument array. */
export const TRACING_ARGS_SIZE = 96
const PERF_EVENT_SIZE = FLAT_CONTEXT_SIZES['perf_event'] as number

/** kprobe: read-only, aligned, inside `struct pt_regs`. */
export function kprobeCtx(off: number, size: number, write: boolean): CtxVerdict {
  if (off < 0 || off >= PT_REGS_SIZE || write || off % size !== 0) return NO
  return off + size <= PT_REGS_SIZE ? SCALAR : NO
}

/**
 * tracepoint: read-only, aligned, past the 8-byte common header and inside PERF_MAX_TRACE_SIZE;
 * the kernel checks the record's real size only at attach time, so `limit` (a known record size)
 * can only make the rule stricter.
 */
export function tracepointCtx(
  off: number,
  size: number,
  write: boolean,
  limit: number
): CtxVerdict {
  if (off < 8 || off >= TRACEPOINT_MAX || write || off % size !== 0) return NO
  return off + size <= Math.min(limit, TRACEPOINT_MAX) ? SCALAR : NO
}

/** raw_tracepoint: the u64 argument array, read-only and aligned. */
export function rawTracepointCtx(off: number, size: number, write: boolean): CtxVerdict {
  if (off < 0 || off >= TRACING_ARGS_SIZE || write || off % size !== 0) return NO
  return SCALAR
}

/** raw_tracepoint_writable: argument 0 is the writable buffer (8-byte read only). */
export function rawTracepointWritableCtx(off: number, size: number, write: boolean): CtxVerdict {
  if (off === 0) return size === 8 && !write ? yields(T.TP_BUFFER) : NO
  return rawTracepointCtx(off, size, write)
}

/** perf_event: pt_regs words, sample_period and addr (narrow reads of the last two). */
export function perfEventCtx(off: number, size: number, write: boolean): CtxVerdict {
  if (off < 0 || off >= PERF_EVENT_SIZE || write || off % size !== 0) return NO
  if (off >= PT_REGS_SIZE) return narrowOk(size, 8) ? SCALAR : NO
  return size === 8 ? SCALAR : NO
}

/** cgroup device: `struct bpf_cgroup_dev_ctx` (access_type narrow, major and minor words). */
export function cgroupDeviceCtx(off: number, size: number, write: boolean): CtxVerdict {
  if (write || off < 0 || off + size > 12 || off % size !== 0) return NO
  if (off < 4) return narrowOk(size, 4) ? SCALAR : NO
  return size === 4 ? SCALAR : NO
}

/** cgroup sysctl: `write` (read-only) and `file_pos` (read narrow, write a word). */
export function sysctlCtx(off: number, size: number, write: boolean): CtxVerdict {
  if (off < 0 || off + size > 8 || off % size !== 0) return NO
  if (off < 4) return !write && narrowOk(size, 4) ? SCALAR : NO
  return (write ? size === 4 : narrowOk(size, 4)) ? SCALAR : NO
}

/** lirc_mode2: one read-only u32 sample. */
export function lircCtx(off: number, size: number, write: boolean): CtxVerdict {
  return off === 0 && size === 4 && !write ? SCALAR : NO
}
