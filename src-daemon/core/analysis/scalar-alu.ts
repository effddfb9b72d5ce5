/** @fileoverview Transfer functions of ALU operations on scalar values (ranges and known bits). */
import type { AluOp } from '../isa/opcodes'
import { constReg, fromTnum, rangeReg, sync, UNKNOWN } from './reg'
import {
  M32,
  M64,
  tAdd,
  tAnd,
  tArsh,
  tCast32,
  tLsh,
  tMul,
  tOr,
  tRsh,
  tSub,
  tXor,
  type Tnum
} from './tnum'
import type { Reg } from './types'

const S_MIN = -(1n << 63n)
const S_MAX = (1n << 63n) - 1n

/** The concrete result of `a op b` on `bits`-bit operands (inputs already truncated). */
export function evalAlu(op: AluOp, a: bigint, b: bigint, bits: 32 | 64, ext = 0): bigint {
  const mask = bits === 64 ? M64 : M32
  const sh = bits === 64 ? 63n : 31n
  const sa = BigInt.asIntN(bits, a)
  const sb = BigInt.asIntN(bits, b)
  let r: bigint
  switch (op) {
    case 'add':
      r = a + b
      break
    case 'sub':
      r = a - b
      break
    case 'mul':
      r = a * b
      break
    case 'div':
      r = b === 0n ? 0n : a / b
      break
    case 'mod':
      r = b === 0n ? a : a % b
      break
    case 'sdiv':
      r = b === 0n ? 0n : sa / sb
      break
    case 'smod':
      r = b === 0n ? a : sa % sb
      break
    case 'or':
      r = a | b
      break
    case 'and':
      r = a & b
      break
    case 'xor':
      r = a ^ b
      break
    case 'lsh':
      r = a << (b & sh)
      break
    case 'rsh':
      r = a >> (b & sh)
      break
    case 'arsh':
      r = sa >> (b & sh)
      break
    case 'neg':
      r = -a
      break
    case 'mov':
      r = b
      break
    case 'movsx':
      r = BigInt.asIntN(ext, b)
      break
  }
  return r & mask
}

function umulOk(a: bigint, b: bigint): boolean {
  return a * b <= M64
}

/** `a op b` on 64-bit scalars, over-approximated. */
function alu64(op: AluOp, a: Reg, b: Reg): Reg {
  const ta: Tnum = { v: a.tv, m: a.tm }
  const tb: Tnum = { v: b.tv, m: b.tm }
  switch (op) {
    case 'add': {
      const t = tAdd(ta, tb)
      let umin = a.umin + b.umin
      let umax = a.umax + b.umax
      if (umax > M64) {
        umin = 0n
        umax = M64
      }
      let smin = a.smin + b.smin
      let smax = a.smax + b.smax
      if (smin < S_MIN || smax > S_MAX) {
        smin = S_MIN
        smax = S_MAX
      }
      return sync({ ...UNKNOWN, umin, umax, smin, smax, tv: t.v, tm: t.m })
    }
    case 'sub': {
      const t = tSub(ta, tb)
      let umin = a.umin - b.umax
      let umax = a.umax - b.umin
      if (umin < 0n) {
        umin = 0n
        umax = M64
      }
      let smin = a.smin - b.smax
      let smax = a.smax - b.smin
      if (smin < S_MIN || smax > S_MAX) {
        smin = S_MIN
        smax = S_MAX
      }
      return sync({ ...UNKNOWN, umin, umax, smin, smax, tv: t.v, tm: t.m })
    }
    case 'mul': {
      const t = tMul(ta, tb)
      if (umulOk(a.umax, b.umax))
        return sync({ ...UNKNOWN, umin: a.umin * b.umin, umax: a.umax * b.umax, tv: t.v, tm: t.m })
      return fromTnum(t)
    }
    case 'and': {
      const t = tAnd(ta, tb)
      const umax = a.umax < b.umax ? a.umax : b.umax
      return sync({ ...UNKNOWN, umax, tv: t.v, tm: t.m })
    }
    case 'or': {
      const t = tOr(ta, tb)
      const umin = a.umin > b.umin ? a.umin : b.umin
      return sync({ ...UNKNOWN, umin, tv: t.v, tm: t.m })
    }
    case 'xor':
      return fromTnum(tXor(ta, tb))
    case 'lsh':
    case 'rsh':
    case 'arsh': {
      if (b.tm !== 0n || b.tv > 63n) return UNKNOWN
      const k = Number(b.tv)
      if (op === 'lsh') {
        const t = tLsh(ta, k)
        if (a.umax << BigInt(k) <= M64)
          return sync({
            ...UNKNOWN,
            umin: a.umin << BigInt(k),
            umax: a.umax << BigInt(k),
            tv: t.v,
            tm: t.m
          })
        return fromTnum(t)
      }
      if (op === 'rsh') {
        const t = tRsh(ta, k)
        return sync({
          ...UNKNOWN,
          umin: a.umin >> BigInt(k),
          umax: a.umax >> BigInt(k),
          tv: t.v,
          tm: t.m
        })
      }
      const t = tArsh(ta, k)
      return sync({
        ...UNKNOWN,
        smin: a.smin >> BigInt(k),
        smax: a.smax >> BigInt(k),
        tv: t.v,
        tm: t.m
      })
    }
    case 'div':
      if (b.umin > 0n) return rangeReg(a.umin / b.umax, a.umax / b.umin)
      return rangeReg(0n, a.umax)
    case 'mod':
      if (b.umin > 0n && a.umax < b.umin) return a
      if (b.umin > 0n) return rangeReg(0n, a.umax < b.umax - 1n ? a.umax : b.umax - 1n)
      return rangeReg(0n, a.umax)
    case 'neg':
      return alu64('sub', constReg(0n), a)
    case 'mov':
      return b
    case 'movsx':
    case 'sdiv':
    case 'smod':
      return UNKNOWN
  }
}

/** The low 32 bits of a value, zero-extended (the operand view of ALU32 and JMP32). */
export function low32(a: Reg): Reg {
  if (a.umax <= M32) return a
  const t = tCast32({ v: a.tv, m: a.tm })
  return fromTnum(t)
}

/**
 * Abstract `dst = dst op src` on scalars (`b` is the source operand; for `neg` it is ignored).
 * 32-bit operations work on the zero-extended low halves and zero-extend the result.
 */
export function scalarAlu(op: AluOp, a: Reg, b: Reg, is64: boolean, ext = 0): Reg {
  // The kernel tracks nothing through division and modulo (not even constants): neither do we,
  // so that no branch is pruned that the kernel would explore. For 32-bit operations it marks
  // the whole register unknown without zero-extending (adjust_scalar_min_max_vals returns
  // before zext_32_to_64), so the upper half is unknown to it too.
  if (op === 'div' || op === 'mod' || op === 'sdiv' || op === 'smod') return UNKNOWN
  const bits = is64 ? 64 : 32
  const x = is64 ? a : low32(a)
  const y = is64 ? b : low32(b)
  if (x.tm === 0n && y.tm === 0n) return constReg(evalAlu(op, x.tv, y.tv, bits, ext))
  if (op === 'movsx') {
    const lim = 1n << BigInt(ext - 1)
    if (y.umax < lim) return is64 ? y : low32(y)
    const sx = sync({ ...UNKNOWN, smin: -lim, smax: lim - 1n })
    return is64 ? sx : low32(sx)
  }
  // Shifts by a non-constant or too-large amount: the kernel marks the whole register unknown
  // (no zero-extension for 32-bit operations either).
  if (!is64 && (op === 'lsh' || op === 'rsh' || op === 'arsh') && (y.tm !== 0n || y.tv > 31n))
    return UNKNOWN
  if (!is64 && op === 'arsh') {
    // With bit 31 clear an arithmetic shift is a logical one.
    if (x.umax <= 0x7fffffffn) return scalarAlu('rsh', x, y, false)
    return rangeReg(0n, M32)
  }
  const r = alu64(op, x, y)
  return is64 ? r : low32(r)
}

/** Abstract byte-order conversion (`le`/`be`/`swap`) to `width` bits on a little-endian host. */
export function scalarEnd(order: 'le' | 'be' | 'swap', a: Reg, width: number): Reg {
  const mask = width === 64 ? M64 : (1n << BigInt(width)) - 1n
  if (order === 'le') {
    if (width === 64) return a
    if (a.umax <= mask) return a
    return fromTnum({ v: a.tv & mask, m: a.tm & mask })
  }
  if (a.tm === 0n) {
    let v = 0n
    for (let i = 0n; i < BigInt(width / 8); i++) v = (v << 8n) | ((a.tv >> (8n * i)) & 0xffn)
    return constReg(v)
  }
  return rangeReg(0n, mask)
}
