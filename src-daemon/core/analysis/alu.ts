/** @fileoverview ALU instructions on registers: scalar arithmetic and the kernel's pointer arithmetic rules. */
import type { Decoded } from '../isa/decode'
import type { AluOp, AluSpec, EndSpec } from '../isa/opcodes'
import { nextId, type Env } from './env'
import { constReg, isConst, isPointer, rangeReg, UNKNOWN } from './reg'
import { low32, scalarAlu, scalarEnd } from './scalar-alu'
import { top, type State } from './state'
import { M32 } from './tnum'
import { NON_NULL, Reject, T, TYPE_NAMES, type Reg } from './types'

const OP_TEXT: Readonly<Record<AluOp, string>> = {
  add: '+=',
  sub: '-=',
  mul: '*=',
  div: '/=',
  or: '|=',
  and: '&=',
  lsh: '<<=',
  rsh: '>>=',
  neg: 'neg',
  mod: '%=',
  xor: '^=',
  mov: '=',
  arsh: 's>>=',
  sdiv: 's/=',
  smod: 's%=',
  movsx: '=(s)'
}

const MAX_VAR_OFF = 1n << 29n
const S64_MIN = -(1n << 63n)

/** Reads register `r` of the innermost frame, rejecting uninitialised registers. */
export function readReg(st: State, r: number): Reg {
  const v = top(st).regs[r] as Reg
  if (v.type === T.NOT_INIT) throw new Reject('VERIFY_UNINIT_REG', `R${r} !read_ok`)
  return v
}

/** `ptr op scalar` (or `scalar + ptr`) for a 64-bit add/sub, with the kernel's restrictions. */
function ptrArith(env: Env, dst: number, op: AluOp, ptr: Reg, scalar: Reg, ptrIsDst: boolean): Reg {
  if (op !== 'add' && op !== 'sub') {
    const bitwise = op === 'and' || op === 'or' || op === 'xor'
    throw new Reject(
      'VERIFY_PTR_ARITH',
      bitwise
        ? `R${dst} bitwise operator ${OP_TEXT[op]} on pointer prohibited`
        : `R${dst} pointer arithmetic with ${OP_TEXT[op]} operator prohibited`
    )
  }
  if (NON_NULL.has(ptr.type)) {
    throw new Reject(
      'VERIFY_PTR_ARITH',
      `R${dst} pointer arithmetic on ${TYPE_NAMES[ptr.type]} prohibited, null-check it first`
    )
  }
  const known = isConst(scalar)
  const val = BigInt.asIntN(64, scalar.tv)
  if (!ARITH_OK.has(ptr.type) && !(ptr.type === T.FLOW_KEYS && known)) {
    const mapZero = ptr.type === T.MAP_PTR && known && val === 0n && op === 'add'
    if (!mapZero)
      throw new Reject(
        'VERIFY_PTR_ARITH',
        `R${dst} pointer arithmetic on ${TYPE_NAMES[ptr.type]} prohibited`
      )
  }
  const name = TYPE_NAMES[ptr.type] ?? '?'
  saneOffset(scalar, name)
  saneOffset(ptr, name)
  if (op === 'sub') {
    if (!ptrIsDst)
      throw new Reject('VERIFY_PTR_ARITH', `R${dst} tried to subtract pointer from scalar`)
    if (ptr.type === T.STACK)
      throw new Reject('VERIFY_PTR_ARITH', `R${dst} subtraction from stack pointer prohibited`)
  }
  let out: Reg
  const fixed = ptr.off + (op === 'add' ? Number(val) : -Number(val))
  if (known && fixed === (fixed | 0)) {
    out = { ...ptr, off: fixed }
  } else {
    const varPart = scalarAlu(op, ptr, scalar, true)
    out = {
      ...ptr,
      umin: varPart.umin,
      umax: varPart.umax,
      smin: varPart.smin,
      smax: varPart.smax,
      tv: varPart.tv,
      tm: varPart.tm
    }
    // Adding to a packet pointer (or subtracting a maybe-negative value) starts a new range.
    if (ptr.type === T.PKT || ptr.type === T.PKT_META) {
      const keep = op === 'sub' && scalar.smin >= 0n
      out = { ...out, id: nextId(env), range: keep ? ptr.range : 0 }
    }
  }
  saneOffset(out, name)
  return out
}

/** Pointer kinds arithmetic may move (adjust_ptr_min_max_vals). */
const ARITH_OK: ReadonlySet<T> = new Set([
  T.CTX,
  T.MAP_VALUE,
  T.STACK,
  T.PKT,
  T.PKT_META,
  T.TP_BUFFER,
  T.BTF_ID,
  T.MEM,
  T.FUNC
])

/** check_reg_sane_offset: offsets past 2^29 either way (or unbounded below) are refused. */
function saneOffset(r: Reg, name: string): void {
  const val = BigInt.asIntN(64, r.tv)
  if (isConst(r) && (val >= MAX_VAR_OFF || val <= -MAX_VAR_OFF))
    throw new Reject('VERIFY_PTR_ARITH', `math between ${name} pointer and ${val} is not allowed`)
  if (r.off >= 2 ** 29 || r.off <= -(2 ** 29))
    throw new Reject('VERIFY_PTR_ARITH', `${name} pointer offset ${r.off} is not allowed`)
  if (r.smin === S64_MIN)
    throw new Reject(
      'VERIFY_PTR_ARITH',
      `math between ${name} pointer and register with unbounded min value is not allowed`
    )
  if (r.smin >= MAX_VAR_OFF || r.smin <= -MAX_VAR_OFF)
    throw new Reject('VERIFY_PTR_ARITH', `value ${r.smin} makes ${name} pointer be out of bounds`)
}

/** Executes an ALU instruction on the innermost frame. */
export function aluStep(env: Env, st: State, d: Decoded): void {
  const s = d.spec as AluSpec
  const regs = top(st).regs
  const dst = d.insn.dst
  const srcVal: Reg =
    s.source === 'reg'
      ? readReg(st, d.insn.src)
      : constReg(s.is64 ? BigInt(d.insn.imm) : BigInt(d.insn.imm >>> 0))
  if (s.op === 'mov' || s.op === 'movsx') {
    if (s.op === 'mov' && s.is64) {
      if (srcVal.type === T.SCALAR && s.source === 'reg' && !isConst(srcVal)) {
        const id = srcVal.id !== 0 ? srcVal.id : nextId(env)
        const shared = srcVal.id === id ? srcVal : { ...srcVal, id }
        regs[d.insn.src] = shared
        regs[dst] = shared
      } else {
        regs[dst] = srcVal
      }
      return
    }
    if (isPointer(srcVal)) {
      regs[dst] = s.is64 ? UNKNOWN : rangeReg(0n, M32)
      return
    }
    regs[dst] = scalarAlu(s.op, UNKNOWN, srcVal, s.is64, s.ext ?? 0)
    return
  }
  const dv = readReg(st, dst)
  if (s.op === 'neg') {
    regs[dst] = isPointer(dv) ? UNKNOWN : scalarAlu('neg', dv, dv, s.is64)
    return
  }
  const dPtr = isPointer(dv)
  const sPtr = isPointer(srcVal)
  if (!dPtr && !sPtr) {
    regs[dst] = scalarAlu(s.op, dv, srcVal, s.is64, s.ext ?? 0)
    return
  }
  if (!s.is64) {
    if (s.op === 'sub') {
      regs[dst] = rangeReg(0n, M32)
      return
    }
    throw new Reject('VERIFY_PTR_ARITH', `R${dst} 32-bit pointer arithmetic prohibited`)
  }
  if (dPtr && sPtr) {
    if (s.op === 'sub') {
      regs[dst] = UNKNOWN
      return
    }
    throw new Reject('VERIFY_PTR_ARITH', `R${dst} pointer ${OP_TEXT[s.op]} pointer prohibited`)
  }
  regs[dst] = dPtr
    ? ptrArith(env, dst, s.op, dv, srcVal, true)
    : ptrArith(env, dst, s.op, srcVal, dv, false)
}

/** Executes a byte-order conversion. */
export function endStep(st: State, d: Decoded): void {
  const s = d.spec as EndSpec
  const v = readReg(st, d.insn.dst)
  const width = d.insn.imm
  top(st).regs[d.insn.dst] = isPointer(v)
    ? UNKNOWN
    : scalarEnd(s.order, s.order === 'le' ? v : low32Maybe(v, width), width)
}

function low32Maybe(v: Reg, width: number): Reg {
  return width === 64 ? v : width === 32 ? low32(v) : v
}
