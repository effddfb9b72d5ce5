/**
 * @fileoverview Symbolic socket-buffer helpers: skb_load_bytes and skb_store_bytes (copies
 * between the packet and memory at a computed offset, constant length), l3/l4_csum_replace
 * (ones'-complement updates of a 16-bit checksum in the packet) and csum_diff (a partial sum
 * over two buffers). Each mirrors the interpreter's helper of the same id: the same argument
 * checks, return codes and arithmetic.
 */
import type { BoolTerm, BvTerm } from './term'
import type { ExecContext, FlowState } from './enc-context'
import type { SymVal } from './enc-state'
import { Unsupported } from './enc-state'
import { low32 } from './enc-alu'
import { errno, memPtr, placeAt } from './enc-args'
import { Errno } from '../interp/layout'
import {
  add,
  and,
  bv,
  bvAnd,
  bvNot,
  eq,
  extract,
  FALSE,
  ite,
  lshr,
  ne,
  not,
  or,
  sub,
  ugt,
  zeroExt
} from './terms'

/** Largest copy the prover models byte by byte. */
const MAX_COPY = 512

function skbOnly(cx: ExecContext, name: string, tcOnly: boolean): void {
  const k = cx.model.ctx
  if (!(k === 'skb' || (!tcOnly && k === 'socket')))
    throw new Unsupported(`${name} is not available for this program type`)
}

function constLen(v: SymVal, what: string): number {
  if (v.v.op !== 'bvconst') throw new Unsupported(`${what}: the length must be a constant here`)
  const len = v.v.value
  if (len === 0n || len > BigInt(MAX_COPY))
    throw new Unsupported(`${what}: length ${len} is outside 1..${MAX_COPY}`)
  return Number(len)
}

/** The packet offset (from data) of argument r2 and whether it is out of range for `len` bytes. */
function packetRange(
  st: FlowState,
  regs: readonly SymVal[],
  len: number,
  maxOff: number
): { at: BvTerm; bad: ReturnType<typeof or> } {
  const r2 = (regs[2] as SymVal).v
  const off = zeroExt(low32(r2), 32)
  const bad = or(
    ne(extract(r2, 63, 32), bv(0, 32)),
    ugt(off, bv(maxOff, 64)),
    ugt(add(off, bv(len, 64)), sub(st.pkt.end, st.pkt.data))
  )
  return { at: add(st.pkt.data, off), bad }
}

/** skb_load_bytes(skb, offset, to, len): copies packet bytes, or zero-fills and gives -EFAULT. */
export function skbLoadBytes(cx: ExecContext, st: FlowState, regs: readonly SymVal[]): BvTerm {
  skbOnly(cx, 'skb_load_bytes', false)
  const len = constLen(regs[4] as SymVal, 'skb_load_bytes')
  const to = memPtr(regs[3] as SymVal, 'skb_load_bytes')
  const { at, bad } = packetRange(st, regs, len, 0x7fffffff)
  const bytes: BvTerm[] = []
  for (let i = 0; i < len; i++)
    bytes.push(ite(bad, bv(0, 8), cx.mem.readByte('pkt', [add(at, bv(i, 64))])))
  bytes.forEach((b, i) => cx.mem.write(to.rid, st.pc, placeAt(to, i), 1, b))
  return ite(bad, errno(Errno.EFAULT), bv(0, 64))
}

/** skb_store_bytes(skb, offset, from, len, flags): copies memory into the packet. */
export function skbStoreBytes(cx: ExecContext, st: FlowState, regs: readonly SymVal[]): BvTerm {
  skbOnly(cx, 'skb_store_bytes', true)
  const len = constLen(regs[4] as SymVal, 'skb_store_bytes')
  const from = memPtr(regs[3] as SymVal, 'skb_store_bytes')
  const flags = (regs[5] as SymVal).v
  const badFlags = ne(bvAnd(flags, bv(~3n & 0xffffffffffffffffn, 64)), bv(0, 64))
  const { at, bad } = packetRange(st, regs, len, 0xffff)
  const bytes: BvTerm[] = []
  for (let i = 0; i < len; i++) bytes.push(cx.mem.readByte(from.rid, placeAt(from, i)))
  const ok = and(st.pc, not(badFlags), not(bad))
  bytes.forEach((b, i) => cx.mem.write('pkt', ok, [add(at, bv(i, 64))], 1, b))
  return ite(badFlags, errno(Errno.EINVAL), ite(bad, errno(Errno.EFAULT), bv(0, 64)))
}

/** Ones'-complement 32-bit addition with end-around carry. */
function csumAdd(a: BvTerm, b: BvTerm): BvTerm {
  const s = add(zeroExt(a, 1), zeroExt(b, 1))
  const low = extract(s, 31, 0)
  return ite(eq(extract(s, 32, 32), bv(1, 1)), add(low, bv(1, 32)), low)
}

/** Folds a 32-bit partial sum to 16 bits and complements it (16-bit result). */
function csumFold(x: BvTerm): BvTerm {
  const m16 = bv(0xffff, 32)
  let s = add(bvAnd(x, m16), lshr(x, bv(16, 32)))
  s = add(bvAnd(s, m16), lshr(s, bv(16, 32)))
  return extract(bvNot(s), 15, 0)
}

/** The replaced checksum for field size 0, 2 or 4 (from/to: low 32 bits of r3/r4). */
function replaced(old: BvTerm, from: BvTerm, to: BvTerm, size: number): BvTerm {
  const notOld = zeroExt(bvNot(old), 16)
  if (size === 0) return csumFold(csumAdd(to, notOld))
  if (size === 4) return csumFold(csumAdd(csumAdd(notOld, bvNot(from)), to))
  // 16-bit folding of ~old + ~from + to, as the interpreter does for a 2-byte field.
  const m16 = bv(0xffff, 32)
  let s = add(notOld, bvAnd(bvNot(from), m16))
  s = add(bvAnd(s, m16), lshr(s, bv(16, 32)))
  s = add(s, bvAnd(to, m16))
  s = add(bvAnd(s, m16), lshr(s, bv(16, 32)))
  return extract(bvNot(s), 15, 0)
}

/**
 * l3_csum_replace / l4_csum_replace(skb, offset, from, to, flags), in the kernel's order of
 * checks: flags, offset (even, in the packet), BPF_F_MARK_MANGLED_0 on a zero checksum (unless
 * BPF_F_MARK_ENFORCE), field size (0 takes a difference in `to` and refuses a `from`). The
 * flags may be computed (Cilium ors the field size into them): each use of them is a condition
 * on their bits, which folds away where they are a constant.
 */
export function csumReplace(
  cx: ExecContext,
  st: FlowState,
  regs: readonly SymVal[],
  l4: boolean
): BvTerm {
  const name = l4 ? 'l4_csum_replace' : 'l3_csum_replace'
  skbOnly(cx, name, true)
  const flags = (regs[5] as SymVal).v
  const bit = (mask: number): BoolTerm => ne(bvAnd(flags, bv(mask, 64)), bv(0, 64))
  const allowed = l4 ? 0x10n | 0x20n | 0x40n | 0x80n | 0xfn : 0xfn
  const badFlags = ne(bvAnd(flags, bv(~allowed & 0xffffffffffffffffn, 64)), bv(0, 64))
  const size = bvAnd(flags, bv(0xf, 64))
  const sized = (n: number): BoolTerm => eq(size, bv(n, 64))
  const range = packetRange(st, regs, 2, 0xffff)
  const odd = eq(extract((regs[2] as SymVal).v, 0, 0), bv(1, 1))
  const bad = or(range.bad, odd)
  const place = [range.at]
  const old = cx.mem.read('pkt', place, 2)
  const mangled0 = l4 ? bit(0x20) : FALSE
  const skip = and(mangled0, not(bit(0x40)), eq(old, bv(0, 16)))
  const r3 = (regs[3] as SymVal).v
  const from = low32(r3)
  const to = low32((regs[4] as SymVal).v)
  const sizeOk = or(and(sized(0), eq(r3, bv(0, 64))), sized(2), sized(4))
  let sum = ite(
    sized(0),
    replaced(old, from, to, 0),
    ite(sized(2), replaced(old, from, to, 2), replaced(old, from, to, 4))
  )
  sum = ite(and(mangled0, eq(sum, bv(0, 16))), bv(0xffff, 16), sum)
  cx.mem.write('pkt', and(st.pc, not(badFlags), not(bad), not(skip), sizeOk), place, 2, sum)
  return ite(
    badFlags,
    errno(Errno.EINVAL),
    ite(bad, errno(Errno.EFAULT), ite(or(skip, sizeOk), bv(0, 64), errno(Errno.EINVAL)))
  )
}

/** csum_diff(from, from_size, to, to_size, seed): a 32-bit ones'-complement partial sum. */
export function csumDiff(cx: ExecContext, regs: readonly SymVal[]): BvTerm {
  const R = (i: number): SymVal => regs[i] as SymVal
  const fs = R(2).v
  const ts = R(4).v
  if (fs.op !== 'bvconst' || ts.op !== 'bvconst')
    throw new Unsupported('csum_diff: the sizes must be constants here')
  const f = fs.value
  const t = ts.value
  if (f >= 1n << 31n || t >= 1n << 31n || ((f | t) & 3n) !== 0n || f + t > 512n)
    return errno(Errno.EINVAL)
  let acc = low32(R(5).v)
  const words = (arg: number, n: number, invert: boolean): void => {
    if (n === 0) return
    const p = memPtr(R(arg), 'csum_diff')
    for (let i = 0; i < n; i += 4) {
      const w = cx.mem.read(p.rid, placeAt(p, i), 4)
      acc = csumAdd(acc, invert ? bvNot(w) : w)
    }
  }
  words(1, Number(f), true)
  words(3, Number(t), false)
  return zeroExt(acc, 32)
}

/** True for the ids this module encodes. */
export function isSkbHelper(id: number): boolean {
  return id === 9 || id === 10 || id === 11 || id === 26 || id === 28
}

/** Runs skb helper `id`; returns r0. */
export function callSkbHelper(
  cx: ExecContext,
  st: FlowState,
  regs: readonly SymVal[],
  id: number
): BvTerm {
  switch (id) {
    case 9:
      return skbStoreBytes(cx, st, regs)
    case 10:
      return csumReplace(cx, st, regs, false)
    case 11:
      return csumReplace(cx, st, regs, true)
    case 26:
      return skbLoadBytes(cx, st, regs)
    default:
      return csumDiff(cx, regs)
  }
}
