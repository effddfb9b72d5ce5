/**
 * @fileoverview Shared pieces of the prover tests: llvm-syntax assembly, one Z3 instance per test
 * file, and refutations whose counterexample the interpreter confirms.
 */
import { afterAll, beforeAll, expect } from 'vitest'
import { assemble } from '../../src-daemon/core/isa/asm'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { checkEquivalence, type EquivResult } from '../../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'
import type { CheckOptions } from '../../src-daemon/core/smt/term-solver'
import { Z3Instance } from '../../src-daemon/engine/z3/z3-instance'

/** Assembles llvm-syntax text (throws on an assembly error: a bug in the test). */
export function asm(text: string): Insn[] {
  const r = assemble(text, 'llvm')
  if (!r.ok) throw new Error(`${r.error.code} ${r.error.message} line ${r.error.line}`)
  return r.value
}

/** Creates a Z3 instance before the file's tests and disposes of it after; returns its getter. */
export function useZ3(): () => Z3Instance {
  let z3: Z3Instance | undefined
  beforeAll(async () => {
    z3 = await Z3Instance.create()
  })
  afterAll(async () => {
    await z3?.dispose()
  })
  return () => {
    if (z3 === undefined) throw new Error('Z3 used outside a test')
    return z3
  }
}

/** A refutation: the programs differ on the counterexample, as the interpreter confirms. */
export type Refutation = EquivResult & { kind: 'notEqual' }

/** Expects `a` and `b` refuted, with results that differ in the interpreter; returns the answer. */
export async function expectRefuted(
  z3: Z3Instance,
  a: readonly Insn[],
  b: readonly Insn[],
  model: EncodeModel,
  options: CheckOptions
): Promise<Refutation> {
  const r = await checkEquivalence(a, b, model, z3, options)
  expect(r.kind).toBe('notEqual')
  if (r.kind !== 'notEqual') throw new Error(`not refuted: ${r.kind}`)
  expect(r.resultA).not.toEqual(r.resultB)
  return r
}
