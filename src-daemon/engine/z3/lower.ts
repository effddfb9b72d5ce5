/** @fileoverview Lowers hash-consed terms to z3-solver expressions, with a (layerable) cache per term id. */

import type { BitVec, Bool, Context, Expr } from 'z3-solver'
import type { Term } from '../../core/smt/term'
import { topoOrder } from '../../core/smt/term-walk'
import { InternalError } from '../../core/util/result'

/** The z3 context type used throughout the adapter. */
export type Z3Context = Context<'summit'>
/** A lowered bit-vector expression. */
export type Z3Bv = BitVec<number, 'summit'>
/** A lowered boolean expression. */
export type Z3Bool = Bool<'summit'>
/** Any lowered expression. */
export type Z3Expr = Expr<'summit'>

/**
 * Lowered expressions by term id. A lowerer may sit on a parent (e.g. a session's base): it reads
 * through to the parent and writes only to itself, so dropping it forgets just its own nodes.
 */
export class Lowerer {
  private readonly cache = new Map<number, Z3Expr>()
  /** Free variables met while lowering through this lowerer, by name. */
  readonly vars = new Map<string, Term>()

  constructor(
    private readonly ctx: Z3Context,
    private readonly parent?: Lowerer
  ) {}

  /** The cached expression of a term id, here or in a parent. */
  get(id: number): Z3Expr | undefined {
    return this.cache.get(id) ?? this.parent?.get(id)
  }

  /** The variable named `name`, here or in a parent. */
  findVar(name: string): Term | undefined {
    return this.vars.get(name) ?? this.parent?.findVar(name)
  }

  /** Every free variable known here or in a parent, by name. */
  allVars(): Map<string, Term> {
    const out = this.parent?.allVars() ?? new Map<string, Term>()
    for (const [n, v] of this.vars) out.set(n, v)
    return out
  }

  /** Lowers `t` (and every uncached node below it). */
  lower(t: Term): Z3Expr {
    const known = this.get(t.id)
    if (known !== undefined) return known
    for (const n of topoOrder([t], (id) => this.get(id) !== undefined)) {
      this.cache.set(n.id, this.node(n))
    }
    return this.get(t.id) as Z3Expr
  }

  /** Lowers a boolean term. */
  lowerBool(t: Term): Z3Bool {
    if (t.sort !== 'bool') throw new InternalError('expected a boolean term')
    return this.lower(t) as Z3Bool
  }

  private declare(n: Term): void {
    const prev = this.findVar(n.name)
    if (prev !== undefined && prev !== n && (prev.sort !== n.sort || prev.width !== n.width)) {
      throw new InternalError(`variable ${n.name} used with two sorts`)
    }
    this.vars.set(n.name, n)
  }

  private node(n: Term): Z3Expr {
    const ctx = this.ctx
    const bvArg = (i: number): Z3Bv => this.get((n.args[i] as Term).id) as Z3Bv
    const boolArg = (i: number): Z3Bool => this.get((n.args[i] as Term).id) as Z3Bool
    switch (n.op) {
      case 'bvconst':
        return ctx.BitVec.val(n.value, n.width)
      case 'bvvar':
        this.declare(n)
        return ctx.BitVec.const(n.name, n.width)
      case 'boolvar':
        this.declare(n)
        return ctx.Bool.const(n.name)
      case 'true':
        return ctx.Bool.val(true)
      case 'false':
        return ctx.Bool.val(false)
      case 'add':
        return bvArg(0).add(bvArg(1))
      case 'sub':
        return bvArg(0).sub(bvArg(1))
      case 'mul':
        return bvArg(0).mul(bvArg(1))
      case 'udiv':
        return bvArg(0).udiv(bvArg(1))
      case 'urem':
        return bvArg(0).urem(bvArg(1))
      case 'sdiv':
        return bvArg(0).sdiv(bvArg(1))
      case 'srem':
        return bvArg(0).srem(bvArg(1))
      case 'and':
        return bvArg(0).and(bvArg(1))
      case 'or':
        return bvArg(0).or(bvArg(1))
      case 'xor':
        return bvArg(0).xor(bvArg(1))
      case 'not':
        return bvArg(0).not()
      case 'neg':
        return bvArg(0).neg()
      case 'shl':
        return bvArg(0).shl(bvArg(1))
      case 'lshr':
        return bvArg(0).lshr(bvArg(1))
      case 'ashr':
        return bvArg(0).shr(bvArg(1))
      case 'extract':
        return bvArg(0).extract(n.hi, n.lo)
      case 'concat':
        return ctx.Concat(bvArg(0), bvArg(1))
      case 'zext':
        return bvArg(0).zeroExt(n.width - (n.args[0] as Term).width)
      case 'sext':
        return bvArg(0).signExt(n.width - (n.args[0] as Term).width)
      case 'ite':
        return ctx.If(boolArg(0), bvArg(1), bvArg(2)) as Z3Bv
      case 'bite':
        return ctx.If(boolArg(0), boolArg(1), boolArg(2)) as Z3Bool
      case 'eq':
        return bvArg(0).eq(bvArg(1))
      case 'iff':
        return boolArg(0).eq(boolArg(1))
      case 'ult':
        return bvArg(0).ult(bvArg(1))
      case 'ule':
        return bvArg(0).ule(bvArg(1))
      case 'slt':
        return bvArg(0).slt(bvArg(1))
      case 'sle':
        return bvArg(0).sle(bvArg(1))
      case 'band':
        return ctx.And(...n.args.map((a) => this.get(a.id) as Z3Bool))
      case 'bor':
        return ctx.Or(...n.args.map((a) => this.get(a.id) as Z3Bool))
      case 'bnot':
        return ctx.Not(boolArg(0))
    }
  }
}
