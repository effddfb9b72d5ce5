/** @fileoverview Compact, structured-clone-friendly DAG form of terms (for sending queries to solver threads). */

import { InternalError } from '../util/result'
import type { BoolOp, BvOp, Term } from './term'
import { internBool, internBv } from './term'
import { topoOrder } from './term-walk'

/** Every operator, indexed by its code in the DAG form. */
const OPS: readonly (BvOp | BoolOp)[] = [
  'bvconst',
  'bvvar',
  'add',
  'sub',
  'mul',
  'udiv',
  'urem',
  'sdiv',
  'srem',
  'and',
  'or',
  'xor',
  'not',
  'neg',
  'shl',
  'lshr',
  'ashr',
  'extract',
  'concat',
  'zext',
  'sext',
  'ite',
  'true',
  'false',
  'boolvar',
  'eq',
  'ult',
  'ule',
  'slt',
  'sle',
  'band',
  'bor',
  'bnot',
  'iff',
  'bite'
]
const BOOL_FROM = OPS.indexOf('true')
const OP_CODE = new Map<string, number>(OPS.map((op, i) => [op, i]))

/**
 * Terms as flat records, children first. Each record in `nodes` is
 * `[id, opCode, width, hi, lo, aux, argCount, ...argIds]` where `aux` indexes `values` (constants)
 * or `names` (variables), else -1. Argument ids refer to earlier records or to nodes the receiver
 * already holds (see `known` in {@link serializeDag}).
 */
export interface TermDag {
  /** Flat node records. */
  readonly nodes: number[]
  /** Constant values. */
  readonly values: bigint[]
  /** Variable names. */
  readonly names: string[]
  /** Ids of the root terms, in order. */
  readonly roots: number[]
}

/** Serialises `roots`, leaving out nodes for which `known(id)` holds (the receiver has them). */
export function serializeDag(roots: readonly Term[], known?: (id: number) => boolean): TermDag {
  const dag: TermDag = { nodes: [], values: [], names: [], roots: roots.map((r) => r.id) }
  for (const t of topoOrder(roots, known)) {
    let aux = -1
    if (t.op === 'bvconst') aux = dag.values.push(t.value) - 1
    else if (t.op === 'bvvar' || t.op === 'boolvar') aux = dag.names.push(t.name) - 1
    dag.nodes.push(t.id, OP_CODE.get(t.op) as number, t.width, t.hi, t.lo, aux, t.args.length)
    for (const a of t.args) dag.nodes.push(a.id)
  }
  return dag
}

/**
 * Rebuilds the terms of `dag` (structure kept as sent, no re-simplification) and returns its
 * roots. `known` maps sender ids to terms already rebuilt and receives the new nodes; `base`
 * (read only) holds further nodes the sender left out, e.g. a session's base.
 */
export function deserializeDag(
  dag: TermDag,
  known: Map<number, Term>,
  base?: ReadonlyMap<number, Term>
): Term[] {
  const find = (id: number): Term | undefined => known.get(id) ?? base?.get(id)
  const n = dag.nodes
  let i = 0
  const at = (k: number): number => n[k] as number
  while (i < n.length) {
    const [id, code, width, hi, lo, aux, argc] = [
      at(i),
      at(i + 1),
      at(i + 2),
      at(i + 3),
      at(i + 4),
      at(i + 5),
      at(i + 6)
    ]
    i += 7
    const args: Term[] = []
    for (let k = 0; k < argc; k++) {
      const a = find(at(i + k))
      if (a === undefined)
        throw new InternalError(`DAG node ${id} refers to unknown node ${at(i + k)}`)
      args.push(a)
    }
    i += argc
    const op = OPS[code]
    if (op === undefined) throw new InternalError(`DAG node ${id} has bad op code ${code}`)
    const value = op === 'bvconst' ? (dag.values[aux] as bigint) : 0n
    const name = op === 'bvvar' || op === 'boolvar' ? (dag.names[aux] as string) : ''
    const t =
      code < BOOL_FROM
        ? internBv(op as BvOp, width, args, value, name, hi, lo)
        : internBool(op as BoolOp, args, name)
    known.set(id, t)
  }
  return dag.roots.map((r) => {
    const t = find(r)
    if (t === undefined) throw new InternalError(`DAG root ${r} missing`)
    return t
  })
}
