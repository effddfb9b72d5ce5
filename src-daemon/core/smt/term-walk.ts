/** @fileoverview Iterative traversal of term DAGs: every reachable node once, children before parents. */

import type { Term } from './term'

/**
 * Every node reachable from `roots`, each once, children before parents (ids grow with creation
 * order, so sorting by id is a topological order). Iterative: deep terms do not overflow the stack.
 * Nodes for which `skip(id)` holds are neither returned nor descended into.
 */
export function topoOrder(roots: readonly Term[], skip?: (id: number) => boolean): Term[] {
  const seen = new Set<number>()
  const out: Term[] = []
  const stack: Term[] = [...roots]
  while (stack.length > 0) {
    const t = stack.pop() as Term
    if (seen.has(t.id) || (skip !== undefined && skip(t.id))) continue
    seen.add(t.id)
    out.push(t)
    for (const a of t.args) if (!seen.has(a.id)) stack.push(a)
  }
  out.sort((p, q) => p.id - q.id)
  return out
}

/** Free variables reachable from `roots` (bit-vector and boolean), in id order. */
export function freeVars(roots: readonly Term[]): Term[] {
  return topoOrder(roots).filter((t) => t.op === 'bvvar' || t.op === 'boolvar')
}

/**
 * Bit-vector variables that reach the value of `root` through bit-vector operands only: the
 * conditions of an `ite` (and any boolean below) are not followed. A variable used only to choose
 * between values (a null check of a pointer, say) is not part of the value.
 */
export function valueVars(root: Term): Term[] {
  const seen = new Set<number>()
  const out: Term[] = []
  const stack: Term[] = [root]
  while (stack.length > 0) {
    const t = stack.pop() as Term
    if (seen.has(t.id) || t.sort !== 'bv') continue
    seen.add(t.id)
    if (t.op === 'bvvar') out.push(t)
    for (const a of t.args) if (a.sort === 'bv' && !seen.has(a.id)) stack.push(a)
  }
  return out
}

/** Number of distinct nodes reachable from `roots` (DAG size). */
export function dagSize(roots: readonly Term[]): number {
  return topoOrder(roots).length
}
