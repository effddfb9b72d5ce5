/**
 * @fileoverview Symbolic XDP packet resizing: xdp_adjust_head, xdp_adjust_meta and
 * xdp_adjust_tail move the packet's bounds (offsets from where the packet started, kept in the
 * flow state), with the interpreter's checks and return codes. Metadata moves with the data start;
 * a grown tail reads as zeros; bytes uncovered before the packet are headroom inputs shared by
 * both programs (whatever the frame held there).
 */
import type { BoolTerm, BvTerm } from './term'
import type { ExecContext, FlowState } from './enc-context'
import type { PktBounds, SymVal } from './enc-state'
import { Unsupported } from './enc-state'
import { low32 } from './enc-alu'
import { errno } from './enc-args'
import {
  Errno,
  ETH_HLEN,
  XDP_FRAME_RESERVED,
  XDP_HARD_END,
  XDP_HEADROOM,
  XDP_META_MAX
} from '../interp/layout'
import {
  add,
  and,
  boolVar,
  bv,
  bvAnd,
  ite,
  ne,
  not,
  or,
  sgt,
  signExt,
  slt,
  sub,
  ugt
} from './terms'

/** Name of the shared input: the driver has no XDP metadata support. */
export const XDP_NO_META = 'env_xdp_no_meta'

/**
 * Whether the driver lacks metadata support (a shared input): then data_meta reads as data + 1
 * and xdp_adjust_meta fails with -ENOTSUPP, as in the kernel.
 */
export function xdpNoMeta(): BoolTerm {
  return boolVar(XDP_NO_META)
}

/** Lowest offset (relative to the packet's start) the data or metadata start may reach. */
const LOWEST = XDP_FRAME_RESERVED - XDP_HEADROOM

/** The second argument as the kernel's `int delta`, sign-extended to 64 bits. */
function deltaOf(regs: readonly SymVal[]): BvTerm {
  return signExt(low32((regs[2] as SymVal).v), 32)
}

/** What an adjust helper leaves: its r0 and the bounds after it. */
export interface AdjustResult {
  readonly r0: BvTerm
  readonly pkt: PktBounds
}

function needXdp(cx: ExecContext, name: string): void {
  if (cx.model.ctx !== 'xdp') throw new Unsupported(`${name} is only available to XDP programs`)
}

function choose(ok: BoolTerm, after: PktBounds, before: PktBounds): PktBounds {
  return {
    meta: ite(ok, after.meta, before.meta),
    data: ite(ok, after.data, before.data),
    end: ite(ok, after.end, before.end)
  }
}

/** Largest metadata the head move copies byte by byte. */
const META_BYTES = XDP_META_MAX

/** xdp_adjust_head(xdp, delta): moves the data start (and the metadata with it). */
export function adjustHead(cx: ExecContext, st: FlowState, regs: readonly SymVal[]): AdjustResult {
  needXdp(cx, 'xdp_adjust_head')
  const p = st.pkt
  const delta = deltaOf(regs)
  const metaLen = sub(p.data, p.meta)
  const data = add(p.data, delta)
  const bad = or(
    slt(data, add(bv(BigInt.asUintN(64, BigInt(LOWEST)), 64), metaLen)),
    sgt(data, sub(p.end, bv(ETH_HLEN, 64)))
  )
  const ok = and(st.pc, not(bad))
  const after: PktBounds = { meta: add(p.meta, delta), data, end: p.end }
  if (metaLen.op !== 'bvconst' || metaLen.value !== 0n) {
    // Read every metadata byte before writing any: the source and destination may overlap.
    const bytes: BvTerm[] = []
    for (let i = 0; i < META_BYTES; i++)
      bytes.push(cx.mem.readByte('pkt', [add(p.meta, bv(i, 64))]))
    bytes.forEach((b, i) => {
      const inside = ugt(metaLen, bv(i, 64))
      cx.mem.write('pkt', and(ok, inside), [add(after.meta, bv(i, 64))], 1, b)
    })
  }
  return { r0: ite(bad, errno(Errno.EINVAL), bv(0, 64)), pkt: choose(ok, after, p) }
}

/** xdp_adjust_meta(xdp, delta): moves the metadata start; metadata is 4-byte sized, at most 32. */
export function adjustMeta(cx: ExecContext, st: FlowState, regs: readonly SymVal[]): AdjustResult {
  needXdp(cx, 'xdp_adjust_meta')
  const p = st.pkt
  const meta = add(p.meta, deltaOf(regs))
  const metaLen = sub(p.data, meta)
  const invalid = or(slt(meta, bv(BigInt.asUintN(64, BigInt(LOWEST)), 64)), sgt(meta, p.data))
  const denied = or(ne(bvAnd(metaLen, bv(3, 64)), bv(0, 64)), sgt(metaLen, bv(XDP_META_MAX, 64)))
  const unsupported = xdpNoMeta()
  const ok = and(st.pc, not(unsupported), not(invalid), not(denied))
  const r0 = ite(
    unsupported,
    errno(Errno.ENOTSUPP),
    ite(invalid, errno(Errno.EINVAL), ite(denied, errno(Errno.EACCES), bv(0, 64)))
  )
  return { r0, pkt: choose(ok, { ...p, meta }, p) }
}

/** Largest constant growth the tail move zero-fills byte by byte. */
const MAX_GROWTH = 512

/** Growth by a computed delta modelled exactly (larger growth gives no answer). */
const MAX_COMPUTED_GROWTH = 64

/** xdp_adjust_tail(xdp, delta): moves the end; grown bytes read as zeros. */
export function adjustTail(cx: ExecContext, st: FlowState, regs: readonly SymVal[]): AdjustResult {
  needXdp(cx, 'xdp_adjust_tail')
  const p = st.pkt
  const delta = deltaOf(regs)
  const end = add(p.end, delta)
  // The frame ends at a fixed place, or right after a packet larger than the usual frame.
  const frame = bv(XDP_HARD_END - XDP_HEADROOM, 64)
  const hardEnd = ite(ugt(cx.layout.pktLen, frame), cx.layout.pktLen, frame)
  const bad = or(sgt(end, hardEnd), slt(end, add(p.data, bv(ETH_HLEN, 64))))
  const ok = and(st.pc, not(bad))
  if (delta.op === 'bvconst') {
    const grow = BigInt.asIntN(64, delta.value)
    if (grow > BigInt(MAX_GROWTH))
      throw new Unsupported(
        `xdp_adjust_tail grows by ${grow} bytes (at most ${MAX_GROWTH} modelled)`
      )
    for (let i = 0; i < Number(grow); i++)
      cx.mem.write('pkt', ok, [add(p.end, bv(i, 64))], 1, bv(0, 8))
  } else {
    // A computed delta: the first bytes of any growth are zero-filled; a larger growth is a
    // path the encoding does not follow (whole programs only, where such paths are checked).
    if (!cx.lenient) throw new Unsupported('xdp_adjust_tail with a computed delta')
    for (let i = 0; i < MAX_COMPUTED_GROWTH; i++)
      cx.mem.write('pkt', and(ok, sgt(delta, bv(i, 64))), [add(p.end, bv(i, 64))], 1, bv(0, 8))
    cx.beyond.push({
      cond: and(ok, sgt(delta, bv(MAX_COMPUTED_GROWTH, 64))),
      reason: `xdp_adjust_tail may grow the packet by more than ${MAX_COMPUTED_GROWTH} bytes`
    })
  }
  return { r0: ite(bad, errno(Errno.EINVAL), bv(0, 64)), pkt: choose(ok, { ...p, end }, p) }
}
