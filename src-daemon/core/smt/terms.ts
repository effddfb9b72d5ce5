/** @fileoverview Public entry point of the term layer: types, constructors, walking, evaluation. */

export type { BoolOp, BoolTerm, BvOp, BvTerm, Term, TermMark, TermValue } from './term'
export { internedTermCount, isBv, isBvConst, markTerms, releaseTerms } from './term'
export * from './term-bv'
export * from './term-bitfield'
export * from './term-bool'
export * from './term-compare'
export * from './term-ebpf'
export { dagSize, freeVars, topoOrder } from './term-walk'
export type { Env } from './term-eval'
export { evalAll, evalBool, evalBv, evalTerm } from './term-eval'
