/**
 * @fileoverview Window equivalence: the prefix before the window is encoded once (the exact
 * state reaching the window, pointer provenance included), then the original window and its
 * replacement run from that state; they must leave the same registers live after the window and
 * the same bytes in every place either of them wrote that later code may read (main-frame stack
 * bytes nothing reads again are exempt). This implies whole-program equivalence because
 * everything after the window is the same code.
 */
import type { Decoded, Program } from '../isa/decode'
import type { BoolTerm, BvTerm } from './term'
import { makeLayout } from './enc-equiv'
import {
  forkContext,
  initialBounds,
  newContext,
  runInstructions,
  runStraight,
  type ExecContext,
  type FlowState
} from './enc-exec'
import type { EncodeModel, SharedLayout, SymVal } from './enc-state'
import { Unsupported } from './enc-state'
import { liveAfter } from './liveness'
import { stackReadAfter } from './stack-liveness'
import { jumpTarget } from '../isa/jump'
import { add, bvVar, ne, or, TRUE } from './terms'

/**
 * The pre-state the window sees in abstract mode: constants and pointer provenance (region,
 * constant offsets) kept, every other value a fresh shared variable, memory unknown. Proving
 * the windows equal from it proves them equal from every state the prefix can produce.
 */
function abstractState(cx: ExecContext, st: FlowState): FlowState {
  const regs = st.regs.map((r, i): SymVal => {
    if (r.ptr !== undefined) {
      const off = r.ptr.off.op === 'bvconst' ? r.ptr.off : bvVar(`W_off_r${i}`, 64)
      const key =
        r.ptr.key === undefined
          ? undefined
          : r.ptr.key.op === 'bvconst'
            ? r.ptr.key
            : bvVar(`W_key_r${i}`, r.ptr.key.width)
      return {
        v: add(cx.layout.base(r.ptr.rid), off),
        ptr: { rid: r.ptr.rid, off, ...(key ? { key } : {}) }
      }
    }
    return r.v.op === 'bvconst' ? r : { v: bvVar(`W_r${i}`, 64) }
  })
  const init = initialBounds(cx.layout)
  const moved = st.pkt.meta !== init.meta || st.pkt.data !== init.data || st.pkt.end !== init.end
  const pkt = moved
    ? { meta: bvVar('W_meta', 64), data: bvVar('W_data', 64), end: bvVar('W_end', 64) }
    : init
  const rings = st.rings.map((r, i) =>
    r.op === 'bvvar' || r.op === 'bvconst' ? r : bvVar(`W_ring${i}`, 64)
  )
  return {
    pc: TRUE,
    regs,
    pkt,
    rings,
    nrand: bvVar('W_nrand', 8),
    ntime: bvVar('W_ntime', 8),
    depth: 0
  }
}

/** A window query: satisfiable exactly when the two windows can leave different live state. */
export interface WindowQuery {
  readonly assertions: readonly BoolTerm[]
  readonly differences: readonly { readonly what: string; readonly cond: BoolTerm }[]
  readonly layout: SharedLayout
}

/** The query, or why it cannot be built. */
export type WindowBuild =
  | { readonly kind: 'query'; readonly query: WindowQuery }
  | { readonly kind: 'unreachable' }
  | { readonly kind: 'unsupported'; readonly reason: string }

/**
 * Builds the query for replacing the instructions of `program` whose slots lie in
 * [start, end] by `replacement` (decoded straight-line instructions).
 */
export function buildWindowEquivalence(
  program: Program,
  start: number,
  end: number,
  replacement: readonly Decoded[],
  model: EncodeModel,
  mode: 'abstract' | 'exact' = 'exact'
): WindowBuild {
  try {
    const window = program.insns.filter((d) => d.index >= start && d.index <= end)
    const last = window[window.length - 1]
    if (last === undefined || window[0]?.index !== start)
      throw new Unsupported(`slot ${start} does not start an instruction`)
    if (last.index + (last.spec.kind === 'lddw' ? 1 : 0) !== end)
      throw new Unsupported(`slot ${end} does not end an instruction`)
    // The window must be entered only at its start: a jump landing inside it would run a part
    // of it that this query never considers.
    for (const d of program.insns) {
      const t = d.spec.kind === 'call' && d.spec.target !== 'local' ? undefined : jumpTarget(d)
      if (t !== undefined && t > start && t <= end)
        throw new Unsupported(`the jump at slot ${d.index} lands inside the window`)
    }
    const prefixLayout = makeLayout(model)
    const prefix = newContext(model, prefixLayout.layout, 'P')
    const exact = runInstructions(prefix, program.insns, start)
    if (exact === undefined) return { kind: 'unreachable' }
    // Abstract mode starts the window over fresh inputs: nothing of the prefix but constants and
    // pointer provenance reaches the query.
    const { layout, constraints } = mode === 'exact' ? prefixLayout : makeLayout(model)
    const base = mode === 'exact' ? prefix : newContext(model, layout, 'P')
    const pre = mode === 'exact' ? exact : abstractState(base, exact)
    const mark = base.mem.mark()
    const a = forkContext(base, 'A')
    const b = forkContext(base, 'B')
    const sa = runStraight(a, pre, window)
    const sb = runStraight(b, pre, replacement)
    const live = liveAfter(program)[program.insns.indexOf(last)] as number
    const differences: { what: string; cond: BoolTerm }[] = []
    for (let r = 0; r <= 10; r++) {
      if ((live & (1 << r)) !== 0)
        differences.push({ what: `r${r}`, cond: ne(sa.regs[r]!.v, sb.regs[r]!.v) })
    }
    const regions = new Set([...a.mem.regions(), ...b.mem.regions()])
    // Main-frame bytes that no later instruction can read need not agree.
    const stackLive = stackReadAfter(program, end, model.maps)
    const readLater = (rid: string, p: readonly BvTerm[]): boolean => {
      if (rid !== 'stack0' || stackLive.kind === 'all' || p.length !== 1) return true
      const off = p[0]!
      return off.op !== 'bvconst' || stackLive.offsets.has(Number(BigInt.asIntN(64, off.value)))
    }
    for (const rid of regions) {
      const places = [...a.mem.placesSince(mark, rid), ...b.mem.placesSince(mark, rid)].filter(
        (p) => readLater(rid, p)
      )
      const cases = places.map((p) => ne(a.mem.readByte(rid, p), b.mem.readByte(rid, p)))
      differences.push({ what: rid, cond: or(...cases) })
    }
    const assertions = [
      ...constraints(),
      ...layout.inputs.constraints(),
      pre.pc,
      or(...differences.map((d) => d.cond))
    ]
    return { kind: 'query', query: { assertions, differences, layout } }
  } catch (e) {
    if (e instanceof Unsupported) return { kind: 'unsupported', reason: e.message }
    throw e
  }
}
