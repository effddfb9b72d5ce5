/**
 * @fileoverview How two programs' exits and ordered effect sequences differ. Small lists are
 * compared pair by pair (every exit of one against every exit of the other); long ones, as in
 * programs of thousands of instructions, by value: the exit taken as one term chosen by the path
 * conditions, and the effect at a position `k` that the solver picks, so the size grows with the
 * lists' lengths, not their product, and identical programs give identical terms.
 */
import type { BoolTerm, BvTerm } from './term'
import type { EffectPoint, ExitPoint, PacketView } from './enc-state'
import { add, and, bv, bvVar, eq, FALSE, ite, ne, not, or, TRUE, ult } from './terms'

/** Largest product of list lengths compared pair by pair. */
const PAIRWISE_MAX = 1024

/** Largest argument list spread into one `and`/`or` (long spreads overflow the call stack). */
const SPREAD = 4096

/** `and` or `or` of many terms, folded in chunks. */
export function fold(op: typeof and, xs: readonly BoolTerm[]): BoolTerm {
  if (xs.length <= SPREAD) return op(...xs)
  const parts: BoolTerm[] = []
  for (let i = 0; i < xs.length; i += SPREAD) parts.push(op(...xs.slice(i, i + SPREAD)))
  return fold(op, parts)
}

/**
 * `value(i)` of the item whose `taken[i]` holds, as one term (the last item's where none does;
 * callers use it only where exactly one holds).
 */
function chosen(taken: readonly BoolTerm[], value: (i: number) => BvTerm): BvTerm {
  let out = value(taken.length - 1)
  for (let i = taken.length - 2; i >= 0; i--) out = ite(taken[i] as BoolTerm, value(i), out)
  return out
}

/**
 * The programs end differently: another kind of exit (an exit against a tail call), or another
 * r0 after an ordinary exit. By value above `pairwiseMax` pairs, which needs every input to take exactly one
 * exit in each program: callers ask only once no input can leave the encoded paths.
 */
export function exitsDiffer(
  xa: readonly ExitPoint[],
  xb: readonly ExitPoint[],
  pairwiseMax = PAIRWISE_MAX
): BoolTerm {
  if (xa.length * xb.length > pairwiseMax && xa.length > 0 && xb.length > 0) {
    const kind = (xs: readonly ExitPoint[]): BvTerm =>
      chosen(
        xs.map((x) => x.cond),
        (i) => bv((xs[i] as ExitPoint).via === 'exit' ? 1 : 0, 1)
      )
    const r0 = (xs: readonly ExitPoint[]): BvTerm =>
      chosen(
        xs.map((x) => x.cond),
        (i) => ((xs[i] as ExitPoint).via === 'exit' ? (xs[i] as ExitPoint).r0 : bv(0, 64))
      )
    const ka = kind(xa)
    return or(ne(ka, kind(xb)), and(eq(ka, bv(1, 1)), ne(r0(xa), r0(xb))))
  }
  const cases: BoolTerm[] = []
  for (const a of xa) {
    for (const b of xb) {
      const both = and(a.cond, b.cond)
      if (both === FALSE) continue
      const differ = a.via !== b.via ? TRUE : a.via === 'exit' ? ne(a.r0, b.r0) : FALSE
      if (differ !== FALSE) cases.push(and(both, differ))
    }
  }
  return fold(or, cases)
}

/** Position (0-based) of each effect in the emitted sequence, and the sequence length. */
function positions(effects: readonly EffectPoint[]): { pos: BvTerm[]; count: BvTerm } {
  const pos: BvTerm[] = []
  let count = bv(0, 16)
  for (const e of effects) {
    pos.push(count)
    count = add(count, ite(e.cond, bv(1, 16), bv(0, 16)))
  }
  return { pos, count }
}

/** A register value private to the first program: uninitialised, or clobbered by a call. */
const UNSET_IN_FIRST = /^A_(?:uninit|clobber)_r\d+_\d+$/

/**
 * The second program's printed value `b` is one the first program may print where it prints
 * `a`. Where `a` is a register the first program left unset (a leaf of `a`'s choices), any
 * value will do: the verifier lets only trace_printk's unchecked arguments read such a register,
 * so each one reaches this one argument alone and its value is the kernel's, not the program's.
 * The check is one-way (the second program must refine the first), which is how every caller
 * orders original and candidate.
 */
function printsAlike(a: BvTerm, b: BvTerm): BoolTerm {
  if (a.op === 'bvvar' && UNSET_IN_FIRST.test(a.name)) return TRUE
  if (a.op === 'ite') {
    const [c, x, y] = a.args as [BoolTerm, BvTerm, BvTerm]
    const onX = printsAlike(x, b)
    const onY = printsAlike(y, b)
    return onX === TRUE && onY === TRUE ? TRUE : or(and(c, onX), and(not(c), onY))
  }
  return eq(a, b)
}

/** Argument `k` of a `kind` effect of the first program (`a`) matches the second's (`b`). */
function argAlike(kind: string, k: number, a: BvTerm, b: BvTerm): BoolTerm {
  return kind === 'trace_printk' && k >= 2 ? printsAlike(a, b) : eq(a, b)
}

/**
 * Two calls saw the same packet: the same bounds, and the same byte at every place either
 * program had written (every other byte is the same input byte in both). Bytes written outside
 * the bounds are compared too, which only makes the check stricter.
 */
function samePacket(a: PacketView | undefined, b: PacketView | undefined): BoolTerm {
  if (a === undefined || b === undefined) return a === b ? TRUE : FALSE
  const out: BoolTerm[] = [eq(a.data, b.data), eq(a.end, b.end)]
  for (const p of placesOf([a, b])) out.push(eq(a.byte(p), b.byte(p)))
  return fold(and, out)
}

/** The places the views' programs had written, each once. */
function placesOf(views: readonly PacketView[]): (readonly BvTerm[])[] {
  const seen = new Set<string>()
  const out: (readonly BvTerm[])[] = []
  for (const v of views) {
    for (const p of v.written()) {
      const k = p.map((t) => t.id).join(',')
      if (seen.has(k)) continue
      seen.add(k)
      out.push(p)
    }
  }
  return out
}

/** Kind, argument widths and packet view: effects of one shape compare field by field. */
function shapeOf(e: EffectPoint): string {
  return `${e.kind}/${e.args.map((t) => t.width).join(',')}/${e.pkt === undefined ? '' : 'pkt'}`
}

/**
 * The ordered sequences of helper effects differ (`ea` of the first program, `eb` of the
 * second; trace_printk arguments compared one way, see {@link printsAlike}). `name` names the
 * position variable of the by-value form (one per comparison in a query), used above
 * `pairwiseMax` pairs.
 */
export function effectsDiffer(
  ea: readonly EffectPoint[],
  eb: readonly EffectPoint[],
  name = 'effect_at',
  pairwiseMax = PAIRWISE_MAX
): BoolTerm {
  if (ea.length === 0 && eb.length === 0) return FALSE
  const pa = positions(ea)
  const pb = positions(eb)
  if (ea.length * eb.length > pairwiseMax) return differAtSomePosition(ea, eb, pa, pb, name)
  const cases: BoolTerm[] = [ne(pa.count, pb.count)]
  ea.forEach((x, i) => {
    eb.forEach((y, j) => {
      const meet = and(x.cond, y.cond, eq(pa.pos[i] as BvTerm, pb.pos[j] as BvTerm))
      if (meet === FALSE) return
      const same =
        shapeOf(x) === shapeOf(y)
          ? and(
              ...x.args.map((t, k) => argAlike(x.kind, k, t, y.args[k] as BvTerm)),
              samePacket(x.pkt, y.pkt)
            )
          : FALSE
      cases.push(and(meet, not(same)))
    })
  })
  return fold(or, cases)
}

/**
 * The sequences differ in length, or at a position `k` (a free variable: the query is
 * existential) below the length: another shape there, or another field of the same shape.
 * Exact: on any input the effects taken have the distinct positions 0..count-1, so the one
 * whose condition holds at position `k` is unique.
 */
function differAtSomePosition(
  ea: readonly EffectPoint[],
  eb: readonly EffectPoint[],
  pa: { pos: BvTerm[]; count: BvTerm },
  pb: { pos: BvTerm[]; count: BvTerm },
  name: string
): BoolTerm {
  const k = bvVar(name, 16)
  /** Each shape's id and one effect of it. */
  const shapes = new Map<string, { readonly id: number; readonly sample: EffectPoint }>()
  for (const e of [...ea, ...eb])
    if (!shapes.has(shapeOf(e))) shapes.set(shapeOf(e), { id: shapes.size, sample: e })
  const side = (es: readonly EffectPoint[], pos: readonly BvTerm[]) => {
    const shapeNames = es.map(shapeOf)
    const at = es.map((e, i) => and(e.cond, eq(pos[i] as BvTerm, k)))
    const tag = chosen([...at, TRUE], (i) =>
      bv(i < es.length ? (shapes.get(shapeNames[i] as string)?.id as number) : 0xffff, 16)
    )
    /** Field `f` of the effect at `k` among those of `shape` (0 where another shape is there). */
    const field = (shape: string, f: (e: EffectPoint) => BvTerm, width: number): BvTerm => {
      const idx = es.flatMap((_, i) => (shapeNames[i] === shape ? [i] : []))
      return chosen([...idx.map((i) => at[i] as BoolTerm), TRUE], (j) =>
        j < idx.length ? f(es[idx[j] as number] as EffectPoint) : bv(0, width)
      )
    }
    return { tag, field }
  }
  const A = side(ea, pa.pos)
  const B = side(eb, pb.pos)
  const fieldsDiffer: BoolTerm[] = []
  for (const [shape, { id, sample }] of shapes) {
    const same: BoolTerm[] = sample.args.map((t, j) =>
      argAlike(
        sample.kind,
        j,
        A.field(shape, (e) => e.args[j] as BvTerm, t.width),
        B.field(shape, (e) => e.args[j] as BvTerm, t.width)
      )
    )
    if (sample.pkt !== undefined) {
      const views = [...ea, ...eb].flatMap((e) =>
        shapeOf(e) === shape && e.pkt !== undefined ? [e.pkt] : []
      )
      const pkt = (f: (v: PacketView) => BvTerm, width: number) =>
        eq(
          A.field(shape, (e) => f(e.pkt as PacketView), width),
          B.field(shape, (e) => f(e.pkt as PacketView), width)
        )
      same.push(
        pkt((v) => v.data, 64),
        pkt((v) => v.end, 64)
      )
      for (const p of placesOf(views)) same.push(pkt((v) => v.byte(p), 8))
    }
    fieldsDiffer.push(and(eq(A.tag, bv(id, 16)), not(fold(and, same))))
  }
  return or(
    ne(pa.count, pb.count),
    and(ult(k, pa.count), or(ne(A.tag, B.tag), fold(or, fieldsDiffer)))
  )
}
