/** @fileoverview Concrete evaluation of terms under an assignment of their variables (exact bigint semantics). */

import { InternalError } from '../util/result'
import type { Term, TermValue } from './term'
import {
  ashrBits,
  extractBits,
  lshrBits,
  norm,
  sdivBits,
  sextBits,
  shlBits,
  sremBits,
  toSigned,
  udivBits,
  uremBits
} from './term-bits'
import { topoOrder } from './term-walk'

/** Values of variables by name: bigint (unsigned, < 2^width) for bit-vectors, boolean for booleans. */
export type Env = ReadonlyMap<string, TermValue>

function variable(t: Term, env: Env): TermValue {
  const v = env.get(t.name)
  if (t.sort === 'bool') {
    if (typeof v !== 'boolean') throw new InternalError(`no boolean value for ${t.name}`)
    return v
  }
  if (typeof v !== 'bigint') throw new InternalError(`no bit-vector value for ${t.name}`)
  if (v < 0n || v >> BigInt(t.width) !== 0n) {
    throw new InternalError(`value ${v} of ${t.name} does not fit ${t.width} bits`)
  }
  return v
}

/** The value of node `t` given the values of its operands. */
export function applyNode(t: Term, args: readonly TermValue[], env: Env): TermValue {
  const w = t.width
  const a = args[0] as bigint
  const b = args[1] as bigint
  switch (t.op) {
    case 'bvconst':
      return t.value
    case 'bvvar':
    case 'boolvar':
      return variable(t, env)
    case 'true':
      return true
    case 'false':
      return false
    case 'add':
      return norm(a + b, w)
    case 'sub':
      return norm(a - b, w)
    case 'mul':
      return norm(a * b, w)
    case 'udiv':
      return udivBits(a, b, w)
    case 'urem':
      return uremBits(a, b)
    case 'sdiv':
      return sdivBits(a, b, w)
    case 'srem':
      return sremBits(a, b, w)
    case 'and':
      return a & b
    case 'or':
      return a | b
    case 'xor':
      return a ^ b
    case 'not':
      return norm(~a, w)
    case 'neg':
      return norm(-a, w)
    case 'shl':
      return shlBits(a, b, w)
    case 'lshr':
      return lshrBits(a, b, w)
    case 'ashr':
      return ashrBits(a, b, w)
    case 'extract':
      return extractBits(a, t.hi, t.lo)
    case 'concat':
      return (a << BigInt((t.args[1] as Term).width)) | b
    case 'zext':
      return a
    case 'sext':
      return sextBits(a, (t.args[0] as Term).width, w)
    case 'ite':
    case 'bite':
      return args[0] === true ? (args[1] as TermValue) : (args[2] as TermValue)
    case 'eq':
      return a === b
    case 'ult':
      return a < b
    case 'ule':
      return a <= b
    case 'slt':
      return toSigned(a, (t.args[0] as Term).width) < toSigned(b, (t.args[1] as Term).width)
    case 'sle':
      return toSigned(a, (t.args[0] as Term).width) <= toSigned(b, (t.args[1] as Term).width)
    case 'band':
      return args.every((x) => x === true)
    case 'bor':
      return args.some((x) => x === true)
    case 'bnot':
      return args[0] !== true
    case 'iff':
      return args[0] === args[1]
  }
}

/** Evaluates every node reachable from `roots`; returns values by term id. */
export function evalAll(roots: readonly Term[], env: Env): Map<number, TermValue> {
  const values = new Map<number, TermValue>()
  for (const t of topoOrder(roots)) {
    const args = t.args.map((x) => values.get(x.id) as TermValue)
    values.set(t.id, applyNode(t, args, env))
  }
  return values
}

/** The value of `t` under `env` (throws InternalError if a variable is missing or out of range). */
export function evalTerm(t: Term, env: Env): TermValue {
  return evalAll([t], env).get(t.id) as TermValue
}

/** The value of a bit-vector term under `env`. */
export function evalBv(t: Term & { sort: 'bv' }, env: Env): bigint {
  return evalTerm(t, env) as bigint
}

/** The value of a boolean term under `env`. */
export function evalBool(t: Term & { sort: 'bool' }, env: Env): boolean {
  return evalTerm(t, env) as boolean
}
