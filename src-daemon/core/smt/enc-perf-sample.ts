/**
 * @fileoverview perf_event_output's flags in the encoder, as interp/perf-sample.ts reads them:
 * the index (low 32 bits: only BPF_F_CURRENT_CPU is modelled), the packet sample length N
 * (BPF_F_CTXLEN_MASK, bits 32..51) and the errors they give. Socket-buffer and XDP programs
 * append the packet's first N bytes to the record: the sample is an effect argument of the
 * model's largest packet size, the packet's bytes below N and zeros from N on, so two samples
 * compare equal exactly when their lengths (in the flags, also an argument) and bytes do.
 */
import type { BoolTerm, BvTerm } from './term'
import type { ExecContext, FlowState } from './enc-context'
import { Unsupported } from './enc-state'
import { isStructContext } from '../interp/contexts'
import { add, and, bv, concat, extract, FALSE, ite, ne, not, sub, ugt, ult, zeroExt } from './terms'

/** What the flags of one call give. */
export interface PerfFlags {
  /** -EINVAL: bits outside the index and length masks the program type's variant accepts. */
  readonly einval: BoolTerm
  /** -EFAULT: a sample longer than the packet. */
  readonly efault: BoolTerm
  /** The packet sample (packet program types only), {@link sampleCap} bytes. */
  readonly sample?: BvTerm
}

/** Bytes of the sample argument: the model's largest packet (a longer N gives no answer). */
export function sampleCap(cx: ExecContext): number {
  return Math.max(cx.model.maxPacket, 1)
}

/**
 * Paths on which `cond` holds are outside the model: recorded as such for whole programs (where
 * such paths are checked before any answer), a failure of the encoding otherwise.
 */
function outside(cx: ExecContext, cond: BoolTerm, reason: string): void {
  if (cond === FALSE) return
  if (!cx.lenient) throw new Unsupported(reason)
  cx.beyond.push({ cond, reason })
}

/** The first `cap` packet bytes from data, those at `n` and beyond as zeros. */
function sampleBytes(cx: ExecContext, st: FlowState, n: BvTerm, cap: number): BvTerm {
  // A constant length leaves the bytes from it on zero: one constant.
  const limit = n.op === 'bvconst' ? Number(n.value < BigInt(cap) ? n.value : BigInt(cap)) : cap
  let out: BvTerm | undefined
  for (let i = 0; i < limit; i++) {
    const byte = cx.mem.readByte('pkt', [add(st.pkt.data, bv(i, 64))])
    const kept = ite(ult(bv(i, 64), n), byte, bv(0, 8))
    out = out === undefined ? kept : concat(kept, out)
  }
  if (limit === cap) return out as BvTerm
  const zeros = bv(0, (cap - limit) * 8)
  return out === undefined ? zeros : concat(zeros, out)
}

/**
 * Reads `flags` of perf_event_output on the path of `st`. Paths that name an explicit index (not BPF_F_CURRENT_CPU), a sample longer than the model's
 * packets, or a sample where the program type's variant is unknown are outside the model.
 */
export function perfFlags(cx: ExecContext, st: FlowState, flags: BvTerm): PerfFlags {
  const k = cx.model.ctx
  const lenBits = extract(flags, 51, 32)
  let out: PerfFlags
  if (k === 'skb' || k === 'socket' || k === 'xdp') {
    // bpf_skb_event_output / bpf_xdp_event_output: the index and length masks, then N <= len.
    const n = zeroExt(lenBits, 44)
    const einval = ne(extract(flags, 63, 52), bv(0, 12))
    const efault = ugt(n, sub(st.pkt.end, st.pkt.data))
    const cap = sampleCap(cx)
    outside(
      cx,
      and(st.pc, not(einval), not(efault), ugt(n, bv(cap, 64))),
      `perf_event_output: the packet sample may be longer than ${cap} bytes`
    )
    out = { einval, efault, sample: sampleBytes(cx, st, n, cap) }
  } else {
    // The other variants accept the index bits only.
    const einval = ne(extract(flags, 63, 32), bv(0, 32))
    if (k !== 'tracepoint' && !isStructContext(k))
      outside(
        cx,
        and(st.pc, ne(lenBits, bv(0, 20)), not(ne(extract(flags, 63, 52), bv(0, 12)))),
        'perf_event_output: BPF_F_CTXLEN_MASK for this program type is not modelled'
      )
    out = { einval, efault: FALSE }
  }
  outside(
    cx,
    and(st.pc, not(out.einval), not(out.efault), ne(extract(flags, 31, 0), bv(0xffffffff, 32))),
    'perf_event_output with an explicit index (not BPF_F_CURRENT_CPU)'
  )
  return out
}
