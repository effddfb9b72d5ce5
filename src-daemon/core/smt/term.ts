/** @fileoverview Hash-consed SMT terms (bit-vectors and booleans): node types, the intern table, scoped release. */

/** Operators of bit-vector-valued terms. */
export type BvOp =
  | 'bvconst'
  | 'bvvar'
  | 'add'
  | 'sub'
  | 'mul'
  | 'udiv'
  | 'urem'
  | 'sdiv'
  | 'srem'
  | 'and'
  | 'or'
  | 'xor'
  | 'not'
  | 'neg'
  | 'shl'
  | 'lshr'
  | 'ashr'
  | 'extract'
  | 'concat'
  | 'zext'
  | 'sext'
  | 'ite'

/** Operators of boolean-valued terms (`band`/`bor` are n-ary, the rest fixed arity). */
export type BoolOp =
  | 'true'
  | 'false'
  | 'boolvar'
  | 'eq'
  | 'ult'
  | 'ule'
  | 'slt'
  | 'sle'
  | 'band'
  | 'bor'
  | 'bnot'
  | 'iff'
  | 'bite'

/** Fields shared by every term node. */
interface TermFields {
  /** Unique per thread, increasing in creation order (children have smaller ids than parents). */
  readonly id: number
  /** Operands, in order. */
  readonly args: readonly Term[]
  /** Value of a `bvconst` (unsigned, < 2^width); 0n otherwise. */
  readonly value: bigint
  /** Name of a `bvvar`/`boolvar`; '' otherwise. */
  readonly name: string
  /** Upper bit of an `extract`; 0 otherwise. */
  readonly hi: number
  /** Lower bit of an `extract`; 0 otherwise. */
  readonly lo: number
}

/** A bit-vector-valued term of `width` bits. */
export interface BvTerm extends TermFields {
  /** Sort tag. */
  readonly sort: 'bv'
  /** Operator. */
  readonly op: BvOp
  /** Width in bits (≥ 1). */
  readonly width: number
}

/** A boolean-valued term. */
export interface BoolTerm extends TermFields {
  /** Sort tag. */
  readonly sort: 'bool'
  /** Operator. */
  readonly op: BoolOp
  /** Always 0 for booleans. */
  readonly width: 0
}

/** Any term. */
export type Term = BvTerm | BoolTerm

/** Value of a variable or term under evaluation: bigint for bit-vectors, boolean for booleans. */
export type TermValue = bigint | boolean

const table = new Map<string, Term>()
let nextId = 1

function keyOf(
  op: string,
  width: number,
  args: readonly Term[],
  value: bigint,
  name: string,
  hi: number,
  lo: number
): string {
  let key = `${op}:${width}`
  for (const a of args) key += `,${a.id}`
  if (op === 'bvconst') key += `#${value}`
  else if (name !== '') key += `$${name}`
  else if (op === 'extract') key += `[${hi}:${lo}]`
  return key
}

/** Returns the unique bit-vector node with these fields (no simplification; use the constructors). */
export function internBv(
  op: BvOp,
  width: number,
  args: readonly Term[],
  value = 0n,
  name = '',
  hi = 0,
  lo = 0
): BvTerm {
  const key = keyOf(op, width, args, value, name, hi, lo)
  const found = table.get(key)
  if (found !== undefined) return found as BvTerm
  const t: BvTerm = { sort: 'bv', id: nextId++, op, width, args, value, name, hi, lo }
  table.set(key, t)
  return t
}

/** Returns the unique boolean node with these fields (no simplification; use the constructors). */
export function internBool(op: BoolOp, args: readonly Term[], name = ''): BoolTerm {
  const key = keyOf(op, 0, args, 0n, name, 0, 0)
  const found = table.get(key)
  if (found !== undefined) return found as BoolTerm
  const t: BoolTerm = {
    sort: 'bool',
    id: nextId++,
    op,
    width: 0,
    args,
    value: 0n,
    name,
    hi: 0,
    lo: 0
  }
  table.set(key, t)
  return t
}

/** A point in term creation to release back to (see {@link releaseTerms}). */
export type TermMark = number

/** Marks the current end of the intern table. */
export function markTerms(): TermMark {
  return nextId
}

/**
 * Forgets every term created after `mark` so the table does not grow across queries. Released
 * terms stay valid values (evaluable, printable, lowerable) but are no longer shared with terms
 * built later; ids are never reused.
 */
export function releaseTerms(mark: TermMark): void {
  for (const [key, t] of table) {
    if (t.id >= mark) table.delete(key)
  }
}

/** Number of terms currently interned (for tests and memory accounting). */
export function internedTermCount(): number {
  return table.size
}

/** True for a bit-vector term. */
export function isBv(t: Term): t is BvTerm {
  return t.sort === 'bv'
}

/** True for a bit-vector constant. */
export function isBvConst(t: Term): t is BvTerm & { op: 'bvconst' } {
  return t.op === 'bvconst'
}
