/**
 * @fileoverview Window equivalence: the prefix before the window is encoded once (the exact
 * state reaching the window, pointer provenance included), then the original window and its
 * replacement run from that state. They may branch, exit and call helpers. They must end the
 * same way (the same exits, or leaving to the same slot), emit the same effects, and leave the
 * same registers live at that slot, the same packet bounds and counters, and the same bytes in
 * every place either of them wrote that later code may read (main-frame stack bytes nothing
 * reads again are exempt). This implies whole-program equivalence because everything outside
 * the window is the same code.
 */
import type { Decoded, Program } from '../isa/decode'
import type { BoolTerm, BvTerm } from './term'
import { makeLayout, mapsDiffer } from './enc-equiv'
import { effectsDiffer } from './enc-outputs'
import { forkContext, merge, newContext, runInstructions } from './enc-exec'
import { initialBounds, type ExecContext, type FlowState } from './enc-context'
import type { EncodeModel, ExitPoint, SharedLayout, SymVal } from './enc-state'
import { Unsupported } from './enc-state'
import { liveness } from './liveness'
import { stackReadAfter } from './stack-liveness'
import { jumpTarget } from '../isa/jump'
import { add, and, bvVar, FALSE, ne, or, TRUE } from './terms'

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
    ncall: bvVar('W_ncall', 16),
    nperf: bvVar('W_nperf', 8),
    depth: 0,
    spills: new Map()
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

/** How one window run ended: its exits inside the window and the states leaving it, by target. */
interface WindowRun {
  readonly exits: readonly ExitPoint[]
  readonly leaves: ReadonlyMap<number, FlowState>
}

/**
 * Runs `window` (slots start..end) from `pre`: exits stay exits, and every state that leaves,
 * by falling through to end + 1 or by a forward jump past the end, is kept by its target.
 */
function runWindow(
  cx: ExecContext,
  pre: FlowState,
  window: readonly Decoded[],
  end: number
): WindowRun {
  const last = window[window.length - 1] as Decoded
  // A stand-in for the instruction after the window: the run stops before it, never runs it.
  const after: Decoded = { ...last, index: end + 1 }
  const marked = cx.exits.length
  const past = new Map<number, FlowState[]>()
  const fall = runInstructions(cx, [...window, after], end + 1, pre, past)
  const leaves = new Map<number, FlowState>()
  if (fall !== undefined) leaves.set(end + 1, fall)
  for (const [slot, states] of past) leaves.set(slot, merge(states))
  return { exits: cx.exits.slice(marked), leaves }
}

/** Two exits differ: kind, r0 (plain exits), packet bounds or ring buffer use. */
function exitPairDiffers(x: ExitPoint, y: ExitPoint): BoolTerm {
  if (x.via !== y.via) return TRUE
  return or(
    x.via === 'exit' ? ne(x.r0, y.r0) : FALSE,
    ne(x.pkt.meta, y.pkt.meta),
    ne(x.pkt.data, y.pkt.data),
    ne(x.pkt.end, y.pkt.end),
    ...x.rings.map((r, i) => ne(r, y.rings[i] as BvTerm))
  )
}

/** The ways two runs of a window can end differently (exit against leave, or another target). */
function endingsDiffer(ra: WindowRun, rb: WindowRun): BoolTerm {
  const endings = (r: WindowRun): { key: string; cond: BoolTerm }[] => [
    { key: 'exit', cond: or(...r.exits.map((x) => x.cond)) },
    ...[...r.leaves].map(([slot, st]) => ({ key: `leave${slot}`, cond: st.pc }))
  ]
  const cases: BoolTerm[] = []
  for (const x of endings(ra))
    for (const y of endings(rb)) if (x.key !== y.key) cases.push(and(x.cond, y.cond))
  for (const x of ra.exits)
    for (const y of rb.exits) cases.push(and(x.cond, y.cond, exitPairDiffers(x, y)))
  return or(...cases)
}

/** Everything the code at the target sees differs: live registers, packet bounds, counters. */
function leaveStatesDiffer(x: FlowState, y: FlowState, live: number): BoolTerm {
  const cases: BoolTerm[] = []
  for (let r = 0; r <= 10; r++)
    if ((live & (1 << r)) !== 0) cases.push(ne((x.regs[r] as SymVal).v, (y.regs[r] as SymVal).v))
  cases.push(
    ne(x.pkt.meta, y.pkt.meta),
    ne(x.pkt.data, y.pkt.data),
    ne(x.pkt.end, y.pkt.end),
    ne(x.nrand, y.nrand),
    ne(x.ntime, y.ntime),
    ne(x.ncall, y.ncall),
    ne(x.nperf, y.nperf),
    ...x.rings.map((r, i) => ne(r, y.rings[i] as BvTerm))
  )
  return and(x.pc, y.pc, or(...cases))
}

/** Checks that every jump in `window` goes forward (staying inside or leaving past its end). */
function checkJumps(window: readonly Decoded[], start: number, end: number, which: string): void {
  for (const d of window) {
    const t = d.spec.kind === 'call' ? undefined : jumpTarget(d)
    if (t !== undefined && (t <= d.index || t < start))
      throw new Unsupported(`the ${which} jumps backwards at slot ${d.index}`)
    if (d.spec.kind === 'call' && d.spec.target === 'local')
      throw new Unsupported(`the ${which} makes a bpf-to-bpf call at slot ${d.index}`)
  }
}

/**
 * Builds the query for replacing the instructions of `program` whose slots lie in [start, end]
 * by `replacement` (decoded instructions at the same slots: the spliced program's window, padded
 * with `goto +0`). Either window may branch, exit and call helpers; jumps must go forward and
 * stay inside or leave past the end. No jump from outside may land inside.
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
    if (replacement.length === 0 || replacement[0]?.index !== start)
      throw new Unsupported(`the replacement does not start at slot ${start}`)
    // The window must be entered only at its start: a jump landing inside it would run a part
    // of it that this query never considers.
    for (const d of program.insns) {
      if (d.index >= start && d.index <= end) continue
      const t = d.spec.kind === 'call' && d.spec.target !== 'local' ? undefined : jumpTarget(d)
      if (t !== undefined && t > start && t <= end)
        throw new Unsupported(`the jump at slot ${d.index} lands inside the window`)
    }
    checkJumps(window, start, end, 'window')
    checkJumps(replacement, start, end, 'replacement')
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
    const effectsMark = base.effects.length
    const a = forkContext(base, 'A')
    const b = forkContext(base, 'B')
    const ra = runWindow(a, pre, window, end)
    const rb = runWindow(b, pre, replacement, end)
    // Answers to calls of helpers outside the model are indexed by their place in the whole
    // run; a window query does not compare call sequences, so such calls need the whole program.
    if (a.calls.length > base.calls.length || b.calls.length > base.calls.length)
      throw new Unsupported('a helper outside the model is called inside the window')
    const differences: { what: string; cond: BoolTerm }[] = [
      { what: 'ending', cond: endingsDiffer(ra, rb) },
      {
        what: 'effects',
        cond: effectsDiffer(a.effects.slice(effectsMark), b.effects.slice(effectsMark))
      }
    ]
    const { liveIn } = liveness(program)
    const slotToIndex = new Map(program.insns.map((d, k) => [d.index, k]))
    for (const [slot, sa] of ra.leaves) {
      const sb = rb.leaves.get(slot)
      if (sb === undefined) continue
      const k = slotToIndex.get(slot)
      const live = k === undefined ? 0 : (liveIn[k] as number)
      differences.push({ what: `state at slot ${slot}`, cond: leaveStatesDiffer(sa, sb, live) })
    }
    // Main-frame bytes that no later instruction can read need not agree; they matter only on
    // paths that leave the window (an exit ends the program).
    const targets = new Set([...ra.leaves.keys(), ...rb.leaves.keys()])
    const stackLive = [...targets].map((t) => stackReadAfter(program, t - 1, model.maps))
    const leaving = or(...[...ra.leaves.values()].map((st) => st.pc))
    const stackMatters = (p: readonly BvTerm[]): boolean => {
      if (p.length !== 1) return true
      const off = p[0] as BvTerm
      if (off.op !== 'bvconst') return true
      const o = Number(BigInt.asIntN(64, off.value))
      return stackLive.some((l) => l.kind === 'all' || l.offsets.has(o))
    }
    const regions = new Set([...a.mem.regions(), ...b.mem.regions()])
    for (const rid of regions) {
      const stack = rid.startsWith('stack')
      const places = [...a.mem.placesSince(mark, rid), ...b.mem.placesSince(mark, rid)].filter(
        (p) => !stack || rid !== 'stack0' || stackMatters(p)
      )
      const cases = places.map((p) => ne(a.mem.readByte(rid, p), b.mem.readByte(rid, p)))
      differences.push({ what: rid, cond: stack ? and(leaving, or(...cases)) : or(...cases) })
    }
    if ([...window, ...replacement].some((d) => d.spec.kind === 'call'))
      differences.push({ what: 'maps', cond: mapsDiffer(a, b, model) })
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
