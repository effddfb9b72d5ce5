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
import type { Beyond, PktBounds, EncodeModel, ExitPoint, SharedLayout } from './enc-state'
import { Unsupported } from './enc-state'
import { effectsDiffer, exitsDiffer, fold } from './enc-outputs'
import {
  and,
  bv,
  bvAnd,
  bvVar,
  eq,
  FALSE,
  ite,
  ne,
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
        // A byte neither program can have written is the same initial byte in both.
        if (!a.mem.mayHaveWritten(`map${i}`, place) && !b.mem.mayHaveWritten(`map${i}`, place))
          continue
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
      { what: 'effects', cond: effectsDiffer(ea.effects, eb.effects, 'effect_at') },
      { what: 'ring buffer space', cond: ringsDiffer(ea, eb, model) }
    ]
    if (regions.has('ctx')) differences.push({ what: 'ctx', cond: regionDiffers(ea, eb, 'ctx') })
    if (regions.has('pkt') || model.ctx === 'xdp')
      differences.push({ what: 'pkt', cond: packetDiffers(ea, eb, layout) })
    const differ = or(...differences.map((d) => d.cond))
    const beyond = [...ea.beyond, ...eb.beyond]
    const callsDiffer = effectsDiffer(ea.calls, eb.calls, 'call_at')
    // Where nothing can differ (the same program, or changes that fold away) the input
    // constraints matter only to decide whether unmodelled paths are reachable.
    const trivial = differ === FALSE && callsDiffer === FALSE && beyond.length === 0
    const base = trivial ? [] : [...constraints(), ...layout.inputs.constraints()]
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
