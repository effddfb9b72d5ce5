/** @fileoverview Printing terms as SMT-LIB2 text (for debugging, logs and golden tests). */

import { InternalError } from '../util/result'
import type { BoolTerm, Term } from './term'
import { topoOrder } from './term-walk'

const SIMPLE_SYMBOL = /^[A-Za-z~!@$%^&*_+=<>.?/-][A-Za-z0-9~!@$%^&*_+=<>.?/-]*$/

/** A variable name as an SMT-LIB symbol (quoted with |…| when needed). */
export function smtSymbol(name: string): string {
  if (SIMPLE_SYMBOL.test(name)) return name
  if (name.includes('|') || name.includes('\\')) throw new InternalError(`unprintable name ${name}`)
  return `|${name}|`
}

/** A bit-vector literal: hexadecimal when the width is a multiple of 4, binary otherwise. */
export function smtBvLiteral(value: bigint, width: number): string {
  if (width % 4 === 0) return `#x${value.toString(16).padStart(width / 4, '0')}`
  return `#b${value.toString(2).padStart(width, '0')}`
}

/** SMT-LIB operator name of each non-leaf operator. */
const OP_NAME: Partial<Record<Term['op'], string>> = {
  add: 'bvadd',
  sub: 'bvsub',
  mul: 'bvmul',
  udiv: 'bvudiv',
  urem: 'bvurem',
  sdiv: 'bvsdiv',
  srem: 'bvsrem',
  and: 'bvand',
  or: 'bvor',
  xor: 'bvxor',
  not: 'bvnot',
  neg: 'bvneg',
  shl: 'bvshl',
  lshr: 'bvlshr',
  ashr: 'bvashr',
  concat: 'concat',
  ite: 'ite',
  bite: 'ite',
  eq: '=',
  iff: '=',
  ult: 'bvult',
  ule: 'bvule',
  slt: 'bvslt',
  sle: 'bvsle',
  band: 'and',
  bor: 'or',
  bnot: 'not'
}

/** The head of node `t` applied to already-printed operands. */
function nodeText(t: Term, args: readonly string[]): string {
  switch (t.op) {
    case 'bvconst':
      return smtBvLiteral(t.value, t.width)
    case 'bvvar':
    case 'boolvar':
      return smtSymbol(t.name)
    case 'true':
      return 'true'
    case 'false':
      return 'false'
    case 'extract':
      return `((_ extract ${t.hi} ${t.lo}) ${args[0]})`
    case 'zext':
      return `((_ zero_extend ${t.width - (t.args[0] as Term).width}) ${args[0]})`
    case 'sext':
      return `((_ sign_extend ${t.width - (t.args[0] as Term).width}) ${args[0]})`
    default:
      return `(${OP_NAME[t.op] as string} ${args.join(' ')})`
  }
}

/**
 * One SMT-LIB expression for `t`. Non-leaf nodes used more than once are bound with `let`
 * (names `?t<id>`), so the text stays linear in the DAG size.
 */
export function termToSmtLib(t: Term): string {
  const order = topoOrder([t])
  const uses = new Map<number, number>()
  for (const n of order) for (const a of n.args) uses.set(a.id, (uses.get(a.id) ?? 0) + 1)
  const text = new Map<number, string>()
  const lets: string[] = []
  for (const n of order) {
    const s = nodeText(
      n,
      n.args.map((a) => text.get(a.id) as string)
    )
    if (n.args.length > 0 && (uses.get(n.id) ?? 0) > 1 && n !== t) {
      lets.push(`(let ((?t${n.id} ${s}))`)
      text.set(n.id, `?t${n.id}`)
    } else text.set(n.id, s)
  }
  return (
    lets.join(' ') + (lets.length ? ' ' : '') + (text.get(t.id) as string) + ')'.repeat(lets.length)
  )
}

/** The SMT-LIB sort of a term. */
export function smtSort(t: Term): string {
  return t.sort === 'bool' ? 'Bool' : `(_ BitVec ${t.width})`
}

/** A complete SMT-LIB2 script: logic, declarations (sorted by name), assertions, check-sat. */
export function toSmtLibScript(assertions: readonly BoolTerm[], logic = 'QF_BV'): string {
  const declared = new Map<string, string>()
  for (const v of topoOrder(assertions)) {
    if (v.op !== 'bvvar' && v.op !== 'boolvar') continue
    const sort = smtSort(v)
    const prev = declared.get(v.name)
    if (prev !== undefined && prev !== sort) {
      throw new InternalError(`variable ${v.name} used with sorts ${prev} and ${sort}`)
    }
    declared.set(v.name, sort)
  }
  const names = [...declared.keys()].sort()
  const lines = [`(set-logic ${logic})`]
  for (const n of names) lines.push(`(declare-fun ${smtSymbol(n)} () ${declared.get(n) as string})`)
  for (const a of assertions) lines.push(`(assert ${termToSmtLib(a)})`)
  lines.push('(check-sat)')
  return lines.join('\n') + '\n'
}
