/** @fileoverview Boolean constructors (constants, variables, not/and/or/implies/iff) with local simplification. */

import { InternalError } from '../util/result'
import type { BoolTerm } from './term'
import { internBool } from './term'

/** The constant true. */
export const TRUE: BoolTerm = internBool('true', [])

/** The constant false. */
export const FALSE: BoolTerm = internBool('false', [])

/** The boolean constant `b`. */
export function boolConst(b: boolean): BoolTerm {
  return b ? TRUE : FALSE
}

/** A free boolean variable named `name`. */
export function boolVar(name: string): BoolTerm {
  if (name === '') throw new InternalError('empty variable name')
  return internBool('boolvar', [], name)
}

/** Negation. */
export function not(a: BoolTerm): BoolTerm {
  if (a === TRUE) return FALSE
  if (a === FALSE) return TRUE
  if (a.op === 'bnot') return a.args[0] as BoolTerm
  return internBool('bnot', [a])
}

/** Flattens, drops the neutral element, dedups; returns the absorbing element if met. */
function collect(op: 'band' | 'bor', xs: readonly BoolTerm[]): BoolTerm[] | BoolTerm {
  const neutral = op === 'band' ? TRUE : FALSE
  const absorbing = op === 'band' ? FALSE : TRUE
  const seen = new Set<number>()
  const out: BoolTerm[] = []
  const stack: BoolTerm[] = [...xs].reverse()
  while (stack.length > 0) {
    const x = stack.pop() as BoolTerm
    if (x === absorbing) return absorbing
    if (x === neutral || seen.has(x.id)) continue
    if (x.op === op) {
      for (let i = x.args.length - 1; i >= 0; i--) stack.push(x.args[i] as BoolTerm)
      continue
    }
    seen.add(x.id)
    out.push(x)
  }
  for (const x of out) {
    if (x.op === 'bnot' && seen.has((x.args[0] as BoolTerm).id)) return absorbing
  }
  return out
}

function nary(op: 'band' | 'bor', xs: readonly BoolTerm[]): BoolTerm {
  const items = collect(op, xs)
  if (!Array.isArray(items)) return items
  if (items.length === 0) return op === 'band' ? TRUE : FALSE
  if (items.length === 1) return items[0] as BoolTerm
  items.sort((p, q) => p.id - q.id)
  return internBool(op, items)
}

/** Conjunction of any number of terms (flattened, deduplicated, sorted). */
export function and(...xs: readonly BoolTerm[]): BoolTerm {
  return nary('band', xs)
}

/** Disjunction of any number of terms (flattened, deduplicated, sorted). */
export function or(...xs: readonly BoolTerm[]): BoolTerm {
  return nary('bor', xs)
}

/** Implication `a → b`, written as `¬a ∨ b`. */
export function implies(a: BoolTerm, b: BoolTerm): BoolTerm {
  return or(not(a), b)
}

/** Boolean equivalence `a ↔ b`. */
export function iff(a0: BoolTerm, b0: BoolTerm): BoolTerm {
  if (a0 === b0) return TRUE
  const [a, b] = a0.id < b0.id ? [a0, b0] : [b0, a0]
  if (a === TRUE) return b
  if (a === FALSE) return not(b)
  if (b === TRUE) return a
  if (b === FALSE) return not(a)
  if (not(a) === b) return FALSE
  return internBool('iff', [a, b])
}

/** Exclusive or of two booleans. */
export function boolXor(a: BoolTerm, b: BoolTerm): BoolTerm {
  return not(iff(a, b))
}
