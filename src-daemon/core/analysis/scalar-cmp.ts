/** @fileoverview Conditional jumps on scalars: deciding the branch and refining both edges. */
import type { JmpCond } from '../isa/opcodes'
import { isEmpty, sync } from './reg'
import { low32 } from './scalar-alu'
import { M64, tCompatible, tIntersect } from './tnum'
import type { Reg } from './types'

/** A comparison including the negation of `jset` (used for the not-taken edge). */
export type Cond = JmpCond | 'jnset'

/** The condition that holds on the fall-through edge. */
export function negate(c: Cond): Cond {
  switch (c) {
    case 'jeq':
      return 'jne'
    case 'jne':
      return 'jeq'
    case 'jgt':
      return 'jle'
    case 'jle':
      return 'jgt'
    case 'jge':
      return 'jlt'
    case 'jlt':
      return 'jge'
    case 'jsgt':
      return 'jsle'
    case 'jsle':
      return 'jsgt'
    case 'jsge':
      return 'jslt'
    case 'jslt':
      return 'jsge'
    case 'jset':
      return 'jnset'
    case 'jnset':
      return 'jset'
  }
}

const SIGNED: ReadonlySet<Cond> = new Set<Cond>(['jsgt', 'jsge', 'jslt', 'jsle'])

/** Whether 64-bit reasoning is exact for a 32-bit comparison of these operands. */
function fits32(c: Cond, a: Reg, b: Reg): boolean {
  const lim = SIGNED.has(c) ? 0x7fffffffn : 0xffffffffn
  return a.umax <= lim && b.umax <= lim
}

/** Whether `a c b` is always true (true), always false (false) or open (undefined). */
export function branchTaken(c: Cond, a0: Reg, b0: Reg, is32: boolean): boolean | undefined {
  let a = a0
  let b = b0
  if (is32) {
    a = low32(a0)
    b = low32(b0)
    if (!(a.tm === 0n && b.tm === 0n) && !fits32(c, a0, b0)) {
      if (c !== 'jeq' && c !== 'jne' && c !== 'jset' && c !== 'jnset') return undefined
    }
    if (SIGNED.has(c) && a.tm === 0n && b.tm === 0n) {
      const x = BigInt.asIntN(32, a.tv)
      const y = BigInt.asIntN(32, b.tv)
      return c === 'jsgt' ? x > y : c === 'jsge' ? x >= y : c === 'jslt' ? x < y : x <= y
    }
  }
  switch (c) {
    case 'jeq':
      if (a.tm === 0n && b.tm === 0n) return a.tv === b.tv
      if (a.umin > b.umax || a.umax < b.umin || a.smin > b.smax || a.smax < b.smin) return false
      if (!tCompatible({ v: a.tv, m: a.tm }, { v: b.tv, m: b.tm })) return false
      return undefined
    case 'jne': {
      const r = branchTaken('jeq', a, b, false)
      return r === undefined ? undefined : !r
    }
    case 'jgt':
      return a.umin > b.umax ? true : a.umax <= b.umin ? false : undefined
    case 'jge':
      return a.umin >= b.umax ? true : a.umax < b.umin ? false : undefined
    case 'jlt':
      return a.umax < b.umin ? true : a.umin >= b.umax ? false : undefined
    case 'jle':
      return a.umax <= b.umin ? true : a.umin > b.umax ? false : undefined
    case 'jsgt':
      return a.smin > b.smax ? true : a.smax <= b.smin ? false : undefined
    case 'jsge':
      return a.smin >= b.smax ? true : a.smax < b.smin ? false : undefined
    case 'jslt':
      return a.smax < b.smin ? true : a.smin >= b.smax ? false : undefined
    case 'jsle':
      return a.smax <= b.smin ? true : a.smin > b.smax ? false : undefined
    case 'jset':
      if ((a.tv & b.tv) !== 0n) return true
      if (((a.tv | a.tm) & (b.tv | b.tm)) === 0n) return false
      return undefined
    case 'jnset': {
      const r = branchTaken('jset', a, b, false)
      return r === undefined ? undefined : !r
    }
  }
}

const mx = (a: bigint, b: bigint): bigint => (a > b ? a : b)
const mn = (a: bigint, b: bigint): bigint => (a < b ? a : b)

/**
 * Narrows `a` and `b` under the assumption `a c b`. Returns undefined when the assumption is
 * impossible (the edge is dead). 32-bit comparisons refine only when exact on 64 bits.
 */
export function refine(c: Cond, a: Reg, b: Reg, is32: boolean): [Reg, Reg] | undefined {
  if (is32 && !fits32(c, a, b)) return [a, b]
  let x: Reg = a
  let y: Reg = b
  switch (c) {
    case 'jeq': {
      const ta = { v: a.tv, m: a.tm }
      const tb = { v: b.tv, m: b.tm }
      if (!tCompatible(ta, tb)) return undefined
      const t = tIntersect(ta, tb)
      x = {
        ...a,
        umin: mx(a.umin, b.umin),
        umax: mn(a.umax, b.umax),
        smin: mx(a.smin, b.smin),
        smax: mn(a.smax, b.smax),
        tv: t.v,
        tm: t.m
      }
      y = { ...b, umin: x.umin, umax: x.umax, smin: x.smin, smax: x.smax, tv: t.v, tm: t.m }
      break
    }
    case 'jne':
      if (b.tm === 0n) x = excludeEdge(a, b.tv)
      if (a.tm === 0n) y = excludeEdge(b, a.tv)
      break
    case 'jgt':
      x = { ...a, umin: mx(a.umin, b.umin + 1n) }
      y = { ...b, umax: mn(b.umax, a.umax - 1n) }
      break
    case 'jge':
      x = { ...a, umin: mx(a.umin, b.umin) }
      y = { ...b, umax: mn(b.umax, a.umax) }
      break
    case 'jsgt':
      x = { ...a, smin: mx(a.smin, b.smin + 1n) }
      y = { ...b, smax: mn(b.smax, a.smax - 1n) }
      break
    case 'jsge':
      x = { ...a, smin: mx(a.smin, b.smin) }
      y = { ...b, smax: mn(b.smax, a.smax) }
      break
    case 'jlt':
    case 'jle':
    case 'jslt':
    case 'jsle': {
      const sw: Cond = c === 'jlt' ? 'jgt' : c === 'jle' ? 'jge' : c === 'jslt' ? 'jsgt' : 'jsge'
      const r = refine(sw, b, a, false)
      return r === undefined ? undefined : [r[1], r[0]]
    }
    case 'jset':
      if (b.tm === 0n && (b.tv & (b.tv - 1n)) === 0n && b.tv !== 0n)
        x = { ...a, tv: a.tv | b.tv, tm: a.tm & ~b.tv & M64 }
      break
    case 'jnset':
      if (b.tm === 0n) x = { ...a, tv: a.tv & ~b.tv & M64, tm: a.tm & ~b.tv & M64 }
      break
  }
  if (x !== a) x = sync(x)
  if (y !== b) y = sync(y)
  if (isEmpty(x) || isEmpty(y)) return undefined
  return [x, y]
}

function excludeEdge(a: Reg, v: bigint): Reg {
  let r = a
  if (r.umin === v) r = { ...r, umin: r.umin + 1n }
  if (r.umax === v) r = { ...r, umax: r.umax - 1n }
  const s = BigInt.asIntN(64, v)
  if (r.smin === s) r = { ...r, smin: r.smin + 1n }
  if (r.smax === s) r = { ...r, smax: r.smax - 1n }
  return r
}
