/**
 * @fileoverview The equivalence query: both programs encoded over the same shared inputs, and
 * the condition "some observable output differs" (exit kind and r0, packet and context bytes,
 * final map contents, the ordered sequence of helper effects). Unsatisfiable means equal.
 */
import type { Program } from '../isa/decode'
import type { BoolTerm, BvTerm } from './term'
import { SharedInputs } from './enc-inputs'
import { initialRings, ringConstraints } from './enc-ringbuf'
import { ENV_CPU, MAX_CPUS } from './enc-helpers'
import { encodeExecution } from './enc-exec'
import { withInnerMaps } from './enc-maps'
import { initialBounds, type ProgramEncoding } from './enc-context'
import type {
  Beyond,
  PktBounds,
  EffectPoint,
  EncodeModel,
  ExitPoint,
  PacketView,
  SharedLayout
} from './enc-state'
import { Unsupported } from './enc-state'
import {
  add,
  and,
  bv,
  bvAnd,
  bvVar,
  eq,
  FALSE,
  ite,
  ne,
  not,
  or,
  sle,
  slt,
  TRUE,
  ugt,
  ule,
  ult
} from './terms'

/** A built query: assertions that are satisfiable exactly when the programs can differ. */
export interface EquivalenceQuery {
  readonly assertions: readonly BoolTerm[]
  /** The ways the outputs can differ, by name (exit, maps, effects, pkt, ctx): for explanations. */
  readonly differences: readonly { readonly what: string; readonly cond: BoolTerm }[]
  readonly layout: SharedLayout
  /**
   * Paths either encoding does not follow to the end (loops past the unroll bound, constructs
   * outside the model): an answer is sound only when no input satisfies any of them.
   */
  readonly beyond: readonly Beyond[]
  /** The input constraints alone (layout and shared-input consistency). */
  readonly base: readonly BoolTerm[]
  /**
   * The programs can make different calls of helpers outside the model (another helper,
   * argument, byte read, order or place among the effects): when this can hold, the answers the
   * environment gives them are not comparable and no answer is sound.
   */
  readonly callsDiffer: BoolTerm
  readonly a: ProgramEncoding
  readonly b: ProgramEncoding
}

/** The query, or why the programs cannot be encoded. */
export type BuildResult =
  | { readonly kind: 'query'; readonly query: EquivalenceQuery }
  | { readonly kind: 'unsupported'; readonly reason: string }

/** Makes the shared layout: region bases (4 KiB-aligned, between 2^32 and 2^47) and the packet length. */
export function makeLayout(model: EncodeModel): {
  layout: SharedLayout
  constraints: () => BoolTerm[]
} {
  const inputs = new SharedInputs()
  const bases = new Map<string, BvTerm>()
  const pktLen = bvVar('pkt_len', 64)
  const layout: SharedLayout = {
    inputs,
    pktLen,
    base: (rid) => {
      let b = bases.get(rid)
      if (b === undefined) {
        b = bvVar(`base_${rid}`, 64)
        bases.set(rid, b)
      }
      return b
    }
  }
  const constraints = (): BoolTerm[] => {
    const out: BoolTerm[] = [
      ule(pktLen, bv(model.maxPacket, 64)),
      ult(bvVar(ENV_CPU, 32), bv(MAX_CPUS, 32)),
      ...ringConstraints(model)
    ]
    for (const b of bases.values()) {
      out.push(
        ugt(b, bv(1n << 32n, 64)),
        ult(b, bv(1n << 47n, 64)),
        eq(bvAnd(b, bv(0xfff, 64)), bv(0, 64))
      )
    }
    return out
  }
  return { layout, constraints }
}

/** Largest argument list spread into one `and`/`or` (long spreads overflow the call stack). */
const SPREAD = 4096

/** `and` or `or` of many terms, folded in chunks. */
function fold(op: typeof and, xs: readonly BoolTerm[]): BoolTerm {
  if (xs.length <= SPREAD) return op(...xs)
  const parts: BoolTerm[] = []
  for (let i = 0; i < xs.length; i += SPREAD) parts.push(op(...xs.slice(i, i + SPREAD)))
  return fold(op, parts)
}

function exitsDiffer(xa: readonly ExitPoint[], xb: readonly ExitPoint[]): BoolTerm {
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

/** Bytes either program wrote in `rid` that differ at the end (where `visible` holds). */
function regionDiffers(
  a: ProgramEncoding,
  b: ProgramEncoding,
  rid: string,
  visible: (place: readonly BvTerm[]) => BoolTerm = () => TRUE
): BoolTerm {
  const places = [...a.mem.writtenPlaces(rid), ...b.mem.writtenPlaces(rid)]
  const seen = new Set<string>()
  const cases: BoolTerm[] = []
  for (const p of places) {
    const k = p.map((t) => t.id).join(',')
    if (seen.has(k)) continue
    seen.add(k)
    cases.push(and(visible(p), ne(a.mem.readByte(rid, p), b.mem.readByte(rid, p))))
  }
  return fold(or, cases)
}

/** The packet bounds a program ends with: its exits' bounds, chosen by their path conditions. */
function finalBounds(exits: readonly ExitPoint[], initial: PktBounds): PktBounds {
  const last = exits[exits.length - 1]
  if (last === undefined) return initial
  let out = last.pkt
  for (let i = exits.length - 2; i >= 0; i--) {
    const e = exits[i] as ExitPoint
    out = {
      meta: ite(e.cond, e.pkt.meta, out.meta),
      data: ite(e.cond, e.pkt.data, out.data),
      end: ite(e.cond, e.pkt.end, out.end)
    }
  }
  return out
}

/** Ring buffer space in use at the end differs (a reserved record takes space even if discarded). */
function ringsDiffer(a: ProgramEncoding, b: ProgramEncoding, model: EncodeModel): BoolTerm {
  const initial = initialRings(model)
  const final = (exits: readonly ExitPoint[], i: number): BvTerm => {
    let out = (exits[exits.length - 1]?.rings[i] ?? initial[i]) as BvTerm
    for (let k = exits.length - 2; k >= 0; k--) {
      const e = exits[k] as ExitPoint
      out = ite(e.cond, e.rings[i] as BvTerm, out)
    }
    return out
  }
  return or(...initial.map((_, i) => ne(final(a.exits, i), final(b.exits, i))))
}

function sameBounds(x: PktBounds, y: PktBounds): boolean {
  return x.meta === y.meta && x.data === y.data && x.end === y.end
}

/**
 * The packet differs: its metadata, data or end moved differently (the same bytes at another
 * place in the frame count as different), or a byte either program wrote differs between the
 * metadata start and the end.
 */
function packetDiffers(a: ProgramEncoding, b: ProgramEncoding, layout: SharedLayout): BoolTerm {
  const initial = initialBounds(layout)
  const fa = finalBounds(a.exits, initial)
  const fb = finalBounds(b.exits, initial)
  const moved = !sameBounds(fa, initial) || !sameBounds(fb, initial)
  const bounds = or(ne(fa.meta, fb.meta), ne(fa.data, fb.data), ne(fa.end, fb.end))
  const visible = (p: readonly BvTerm[]): BoolTerm => {
    const at = p[p.length - 1] as BvTerm
    return moved ? and(sle(fa.meta, at), slt(at, fa.end)) : TRUE
  }
  return or(bounds, regionDiffers(a, b, 'pkt', visible))
}

/** Final map contents differ (presence, or value bytes of a present key either program touched). */
export function mapsDiffer(
  a: Pick<ProgramEncoding, 'maps' | 'mem'>,
  b: Pick<ProgramEncoding, 'maps' | 'mem'>,
  model: EncodeModel
): BoolTerm {
  const cases: BoolTerm[] = []
  withInnerMaps(model.maps).all.forEach((def, i) => {
    const seen = new Set<number>()
    for (const key of [...a.maps.touchedKeys(i), ...b.maps.touchedKeys(i)]) {
      if (seen.has(key.id)) continue
      seen.add(key.id)
      const pa = a.maps.present(i, key)
      const pb = b.maps.present(i, key)
      const bytes: BoolTerm[] = []
      for (let o = 0; o < def.valueSize; o++) {
        const place = [key, bv(o, 64)]
        bytes.push(ne(a.mem.readByte(`map${i}`, place), b.mem.readByte(`map${i}`, place)))
      }
      cases.push(or(ne(boolToBv(pa), boolToBv(pb)), and(pa, or(...bytes))))
    }
  })
  return fold(or, cases)
}

function boolToBv(c: BoolTerm): BvTerm {
  return ite(c, bv(1, 1), bv(0, 1))
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

/**
 * Two calls saw the same packet: the same bounds, and the same byte at every place either
 * program had written (every other byte is the same input byte in both). Bytes written outside
 * the bounds are compared too, which only makes the check stricter.
 */
function samePacket(a: PacketView | undefined, b: PacketView | undefined): BoolTerm {
  if (a === undefined || b === undefined) return a === b ? TRUE : FALSE
  const out: BoolTerm[] = [eq(a.data, b.data), eq(a.end, b.end)]
  const seen = new Set<string>()
  for (const p of [...a.written(), ...b.written()]) {
    const k = p.map((t) => t.id).join(',')
    if (seen.has(k)) continue
    seen.add(k)
    out.push(eq(a.byte(p), b.byte(p)))
  }
  return fold(and, out)
}

/** The ordered sequences of helper effects differ. */
export function effectsDiffer(ea: readonly EffectPoint[], eb: readonly EffectPoint[]): BoolTerm {
  if (ea.length === 0 && eb.length === 0) return FALSE
  const pa = positions(ea)
  const pb = positions(eb)
  const cases: BoolTerm[] = [ne(pa.count, pb.count)]
  ea.forEach((x, i) => {
    eb.forEach((y, j) => {
      const meet = and(x.cond, y.cond, eq(pa.pos[i] as BvTerm, pb.pos[j] as BvTerm))
      if (meet === FALSE) return
      const same =
        x.kind === y.kind &&
        x.args.length === y.args.length &&
        x.args.every((t, k) => t.width === (y.args[k] as BvTerm).width)
          ? and(...x.args.map((t, k) => eq(t, y.args[k] as BvTerm)), samePacket(x.pkt, y.pkt))
          : FALSE
      cases.push(and(meet, not(same)))
    })
  })
  return fold(or, cases)
}

/** Builds the equivalence query of `a` and `b` (decoded, validated, loop-free programs). */
export function buildEquivalence(a: Program, b: Program, model: EncodeModel): BuildResult {
  try {
    const { layout, constraints } = makeLayout(model)
    const ea = encodeExecution(a, model, layout, 'A')
    const eb = encodeExecution(b, model, layout, 'B')
    const regions = new Set([...ea.mem.regions(), ...eb.mem.regions()])
    const differences = [
      { what: 'exit', cond: exitsDiffer(ea.exits, eb.exits) },
      { what: 'maps', cond: mapsDiffer(ea, eb, model) },
      { what: 'effects', cond: effectsDiffer(ea.effects, eb.effects) },
      { what: 'ring buffer space', cond: ringsDiffer(ea, eb, model) }
    ]
    if (regions.has('ctx')) differences.push({ what: 'ctx', cond: regionDiffers(ea, eb, 'ctx') })
    if (regions.has('pkt') || model.ctx === 'xdp')
      differences.push({ what: 'pkt', cond: packetDiffers(ea, eb, layout) })
    const differ = or(...differences.map((d) => d.cond))
    const base = [...constraints(), ...layout.inputs.constraints()]
    const beyond = [...ea.beyond, ...eb.beyond]
    const callsDiffer = effectsDiffer(ea.calls, eb.calls)
    const assertions = [...base, differ]
    return {
      kind: 'query',
      query: { assertions, differences, layout, beyond, base, callsDiffer, a: ea, b: eb }
    }
  } catch (e) {
    if (e instanceof Unsupported) return { kind: 'unsupported', reason: e.message }
    throw e
  }
}
