/**
 * @fileoverview Symbolic semantics of ALU, byte-order and conditional-jump rows: the bit-vector
 * counterpart of the interpreter's arithmetic, checked against it by the property tests.
 */
import type { AluSpec, EndSpec, JmpCond } from '../isa/opcodes'
import { assertNever } from '../util/result'
import type { BoolTerm, BvTerm } from './term'
import {
  add,
  ashr,
  bv,
  bvAnd,
  bvOr,
  bvXor,
  concat,
  eq,
  extract,
  lshr,
  mul,
  ne,
  neg,
  not,
  sdiv0,
  sge,
  sgt,
  shl,
  signExt,
  sle,
  slt,
  srem0,
  sub,
  udiv0,
  uge,
  ugt,
  ule,
  ult,
  urem0,
  zeroExt
} from './terms'

/** The low 32 bits of a 64-bit term. */
export function low32(x: BvTerm): BvTerm {
  return extract(x, 31, 0)
}

/**
 * The 64-bit result of an ALU row on `dst` and `src` (the source operand already chosen: the
 * register's value or the sign-extended immediate). 32-bit rows compute on the low halves and
 * zero-extend, as the kernel does.
 */
export function aluResult(spec: AluSpec, dst: BvTerm, src: BvTerm): BvTerm {
  if (spec.op === 'movsx') {
    const from = spec.ext ?? 32
    const v = signExt(extract(src, from - 1, 0), (spec.is64 ? 64 : 32) - from)
    return spec.is64 ? v : zeroExt(v, 32)
  }
  const w = spec.is64 ? 64 : 32
  const a = spec.is64 ? dst : low32(dst)
  const b = spec.is64 ? src : low32(src)
  const r = binary(spec.op, a, b, w)
  return spec.is64 ? r : zeroExt(r, 32)
}

function binary(op: Exclude<AluSpec['op'], 'movsx'>, a: BvTerm, b: BvTerm, w: number): BvTerm {
  const shiftMask = bv(w - 1, w)
  switch (op) {
    case 'add':
      return add(a, b)
    case 'sub':
      return sub(a, b)
    case 'mul':
      return mul(a, b)
    case 'div':
      return udiv0(a, b)
    case 'sdiv':
      return sdiv0(a, b)
    case 'mod':
      return urem0(a, b)
    case 'smod':
      return srem0(a, b)
    case 'or':
      return bvOr(a, b)
    case 'and':
      return bvAnd(a, b)
    case 'xor':
      return bvXor(a, b)
    case 'lsh':
      return shl(a, bvAnd(b, shiftMask))
    case 'rsh':
      return lshr(a, bvAnd(b, shiftMask))
    case 'arsh':
      return ashr(a, bvAnd(b, shiftMask))
    case 'neg':
      return neg(a)
    case 'mov':
      return b
    default:
      return assertNever(op)
  }
}

/** Reverses the byte order of `x` (width a multiple of 8). */
function byteSwap(x: BvTerm): BvTerm {
  let out = extract(x, 7, 0)
  for (let lo = 8; lo < x.width; lo += 8) out = concat(out, extract(x, lo + 7, lo))
  return out
}

/** The 64-bit result of a byte-order row (`imm` = 16, 32 or 64) on a little-endian machine. */
export function endResult(spec: EndSpec, dst: BvTerm, imm: number): BvTerm {
  const part = imm === 64 ? dst : extract(dst, imm - 1, 0)
  const v = spec.order === 'le' ? part : byteSwap(part)
  return imm === 64 ? v : zeroExt(v, 64 - imm)
}

/** The condition of a conditional jump on (already width-selected) operands. */
export function jumpCondition(cond: JmpCond, a: BvTerm, b: BvTerm): BoolTerm {
  switch (cond) {
    case 'jeq':
      return eq(a, b)
    case 'jne':
      return ne(a, b)
    case 'jgt':
      return ugt(a, b)
    case 'jge':
      return uge(a, b)
    case 'jlt':
      return ult(a, b)
    case 'jle':
      return ule(a, b)
    case 'jsgt':
      return sgt(a, b)
    case 'jsge':
      return sge(a, b)
    case 'jslt':
      return slt(a, b)
    case 'jsle':
      return sle(a, b)
    case 'jset':
      return not(eq(bvAnd(a, b), bv(0n, a.width)))
    default:
      return assertNever(cond)
  }
}

/** A 32-bit immediate as the 64-bit operand the kernel uses (sign-extended). */
export function immOperand(imm: number): BvTerm {
  return bv(BigInt.asUintN(64, BigInt(imm | 0)), 64)
}
