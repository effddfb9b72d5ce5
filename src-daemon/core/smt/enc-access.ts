/**
 * @fileoverview Symbolic memory accesses: loads and stores through tracked pointers (context,
 * packet, stack, map values), context fields that are pointers or derived from the packet,
 * atomics, and the legacy ld_abs/ld_ind packet loads with their implicit exit.
 */
import type { Decoded } from '../isa/decode'
import type { AtomicSpec, LdPktSpec } from '../isa/opcodes'
import { SK_BUFF, XDP_MD } from '../interp/layout'
import type { BoolTerm, BvTerm } from './term'
import type { ExecContext, FlowState } from './enc-context'
import { forgetSpills, privateVar, spillKey } from './enc-context'
import type { EncodeModel, PktBounds, Ptr, SharedLayout, SymVal } from './enc-state'
import { Unsupported } from './enc-state'
import { low32 } from './enc-alu'
import { xdpNoMeta } from './enc-packet'
import { kernelLoad } from './enc-kmem'
import {
  add,
  and,
  bv,
  bvAnd,
  bvOr,
  bvXor,
  concat,
  eq,
  extract,
  ite,
  not,
  or,
  sgt,
  signExt,
  slt,
  sub,
  uge,
  zeroExt
} from './terms'

const SKB_KINDS = new Set(['skb', 'socket'])

/** Context offsets (constant) whose 4-byte loads give packet pointers, with the offset they give. */
function ctxPointerField(model: EncodeModel, pkt: PktBounds, off: bigint): BvTerm | undefined {
  const k = model.ctx
  const fields = k === 'xdp' ? XDP_MD : SKB_KINDS.has(k) ? SK_BUFF : undefined
  if (fields === undefined) return undefined
  if (off === BigInt(fields.data)) return pkt.data
  if (off === BigInt(fields.data_meta))
    return k === 'xdp' ? ite(xdpNoMeta(), add(pkt.data, bv(1, 64)), pkt.meta) : pkt.meta
  if (off === BigInt(fields.data_end)) return pkt.end
  return undefined
}

/**
 * A byte's value before the program writes it. For `__sk_buff`, `len` and `wire_len` are the
 * packet length and, for tc (whose packet starts at the Ethernet header), `protocol` mirrors
 * packet bytes 12-13, as the interpreter fills them.
 */
export function initialByte(
  model: EncodeModel,
  layout: SharedLayout,
  rid: string,
  place: readonly BvTerm[]
): BvTerm {
  const off = place[place.length - 1] as BvTerm
  // A reserved ring buffer record starts zeroed.
  if (rid.startsWith('ringrec')) return bv(0, 8)
  if (rid === 'ctx' && SKB_KINDS.has(model.ctx) && off.op === 'bvconst') {
    const o = Number(off.value)
    const lenByte = (base: number): BvTerm | undefined =>
      o >= base && o < base + 4
        ? extract(layout.pktLen, (o - base) * 8 + 7, (o - base) * 8)
        : undefined
    const derived = lenByte(SK_BUFF.len) ?? lenByte(SK_BUFF.wire_len)
    if (derived !== undefined) return derived
    if (model.ctx === 'skb' && (o === SK_BUFF.protocol || o === SK_BUFF.protocol + 1)) {
      const fromPkt = layout.inputs.byte('pkt', [bv(12 + o - SK_BUFF.protocol, 64)])
      return ite(uge(layout.pktLen, bv(14, 64)), fromPkt, layout.inputs.byte(rid, place))
    }
  }
  return layout.inputs.byte(rid, place)
}

function placeOf(ptr: Ptr, off: number): BvTerm[] {
  const at = add(ptr.off, bv(BigInt.asUintN(64, BigInt(off)), 64))
  return ptr.key !== undefined ? [ptr.key, at] : [at]
}

function checkedPtr(base: SymVal, what: string): Ptr {
  if (base.ptr === undefined)
    throw new Unsupported(`${what} through a value that is not a tracked pointer`)
  if (base.ptr.rid.startsWith('mapref')) throw new Unsupported(`${what} through a map handle`)
  return base.ptr
}

/** Loads `size` bytes at `base + off`; context pointer fields give packet pointers. */
export function loadFrom(
  cx: ExecContext,
  st: FlowState,
  base: SymVal,
  off: number,
  size: number,
  signed: boolean
): SymVal {
  if (base.ptr === undefined && cx.model.kernelReads === true)
    return kernelLoad(cx, base, off, size, signed)
  const ptr = checkedPtr(base, 'load')
  const place = placeOf(ptr, off)
  if (ptr.rid === 'ctx') {
    const at = place[0] as BvTerm
    if (at.op === 'bvconst') {
      const pktOff = ctxPointerField(cx.model, st.pkt, at.value)
      if (pktOff !== undefined) {
        if (size !== 4) throw new Unsupported('narrow load of a context pointer field')
        return { v: add(cx.layout.base('pkt'), pktOff), ptr: { rid: 'pkt', off: pktOff } }
      }
    }
  }
  const raw = cx.mem.read(ptr.rid, place, size)
  const v = size === 8 ? raw : signed ? signExt(raw, 64 - size * 8) : zeroExt(raw, 64 - size * 8)
  const at = place[place.length - 1] as BvTerm
  if (size === 8 && ptr.rid.startsWith('stack') && at.op === 'bvconst') {
    const filled = st.spills.get(spillKey(ptr.rid, at.value))
    if (filled !== undefined) return { v, ptr: filled }
  }
  return { v }
}

/**
 * Stores the low `size` bytes of `val` at `base + off`; returns the path's spilled pointers after
 * it (an 8-byte stack store of a pointer at a constant offset spills it; other stores over a
 * spill slot forget it).
 */
export function storeTo(
  cx: ExecContext,
  st: FlowState,
  base: SymVal,
  off: number,
  size: number,
  val: SymVal
): ReadonlyMap<string, Ptr> {
  const ptr = checkedPtr(base, 'store')
  const value = size === 8 ? val.v : extract(val.v, size * 8 - 1, 0)
  const place = placeOf(ptr, off)
  cx.mem.write(ptr.rid, st.pc, place, size, value)
  if (!ptr.rid.startsWith('stack')) return st.spills
  const at = place[place.length - 1] as BvTerm
  const spills = forgetSpills(st.spills, ptr.rid, at, size)
  if (size !== 8 || val.ptr === undefined || at.op !== 'bvconst') return spills
  return new Map(spills).set(spillKey(ptr.rid, at.value), val.ptr)
}

/** An atomic read-modify-write on a stack slot or map value; returns the spills after it. */
export function atomicOp(
  cx: ExecContext,
  st: FlowState,
  regs: SymVal[],
  d: Decoded,
  s: AtomicSpec
): ReadonlyMap<string, Ptr> {
  const ptr = checkedPtr(regs[d.insn.dst] as SymVal, 'atomic')
  if (!ptr.rid.startsWith('stack') && !ptr.rid.startsWith('map'))
    throw new Unsupported('atomic on this region')
  const w = s.bytes * 8
  const place = placeOf(ptr, d.insn.off)
  const old = cx.mem.read(ptr.rid, place, s.bytes)
  const src = w === 64 ? (regs[d.insn.src] as SymVal).v : low32((regs[d.insn.src] as SymVal).v)
  const widen = (x: BvTerm): BvTerm => (w === 64 ? x : zeroExt(x, 32))
  if (s.op === 'cmpxchg') {
    const r0 = w === 64 ? (regs[0] as SymVal).v : low32((regs[0] as SymVal).v)
    cx.mem.write(ptr.rid, and(st.pc, eq(r0, old)), place, s.bytes, src)
    regs[0] = { v: widen(old) }
    return forgetSpills(st.spills, ptr.rid, place[place.length - 1] as BvTerm, s.bytes)
  }
  const base = s.op.replace('fetch_', '')
  const next =
    base === 'xchg'
      ? src
      : base === 'add'
        ? add(old, src)
        : base === 'or'
          ? bvOr(old, src)
          : base === 'and'
            ? bvAnd(old, src)
            : bvXor(old, src)
  cx.mem.write(ptr.rid, st.pc, place, s.bytes, next)
  if (s.op === 'xchg' || s.op.startsWith('fetch_')) regs[d.insn.src] = { v: widen(old) }
  return forgetSpills(st.spills, ptr.rid, place[place.length - 1] as BvTerm, s.bytes)
}

/** ld_abs / ld_ind: big-endian packet load; out of bounds ends the program with r0 = 0. */
export function ldPacket(
  cx: ExecContext,
  st: FlowState,
  regs: SymVal[],
  d: Decoded,
  s: LdPktSpec
): FlowState {
  const k = cx.model.ctx
  let rid: string
  let len: BvTerm
  let start: BvTerm
  if (SKB_KINDS.has(k)) {
    // Offsets count from the packet's data start (a reshaping tc helper moves the packet).
    rid = 'pkt'
    start = st.pkt.data
    len = sub(st.pkt.end, start)
  } else if (k === 'flat' || k === 'plain') {
    rid = 'ctx'
    start = bv(0, 64)
    len = bv(cx.model.ctxSize, 64)
  } else throw new Unsupported('ld_abs/ld_ind need a packet context')
  const index = s.kind === 'ldind' ? low32((regs[d.insn.src] as SymVal).v) : bv(0, 32)
  const off32 = add(bv(BigInt.asUintN(32, BigInt(d.insn.imm)), 32), index)
  const off = signExt(off32, 32)
  const outOfBounds: BoolTerm = or(slt(off, bv(0, 64)), sgt(add(off, bv(s.bytes, 64)), len))
  cx.exits.push({
    cond: and(st.pc, outOfBounds),
    via: 'exit',
    r0: bv(0, 64),
    pkt: st.pkt,
    rings: st.rings
  })
  let v: BvTerm | undefined
  for (let i = 0; i < s.bytes; i++) {
    const byte = cx.mem.readByte(rid, [add(start, add(off, bv(i, 64)))])
    v = v === undefined ? byte : concat(v, byte)
  }
  const out = [...regs]
  out[0] = { v: zeroExt(v as BvTerm, 64 - s.bytes * 8) }
  for (let r = 1; r <= 5; r++) out[r] = { v: privateVar(cx, `clobber_r${r}`) }
  return { ...st, pc: and(st.pc, not(outOfBounds)), regs: out }
}
