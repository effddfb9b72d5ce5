/**
 * @fileoverview Proves or refutes the equivalence of two programs: builds the query, asks the
 * solver, and replays every counterexample on the interpreter. A counterexample on which the two
 * programs agree is an encoder bug and is reported as an error, never ignored; a timeout or an
 * unmodelled construct is "unknown", never "equal".
 */
import type { Insn } from '../isa/insn'
import { decodeLenient, decodeProgram, type Decoded } from '../isa/decode'
import { jumpTarget } from '../isa/jump'
import { validateInsn } from '../isa/validate'
import { compileProgram } from '../interp/compile'
import { createMachine, resultEquals } from '../interp/api'
import type { RunInput, RunResult } from '../interp/types'
import type { CheckOptions, CheckResult, TermSolver } from './term-solver'
import { buildEquivalence, type EquivalenceQuery } from './enc-equiv'
import { and, eq, evalTerm, FALSE, freeVars, not, or, TRUE } from './terms'
import type { BoolTerm, BvTerm, TermValue } from './term'
import { helperName } from '../interp/helper-ids'
import { buildWindowEquivalence } from './enc-window'
import { counterexampleInput } from './enc-cex'
import type { Beyond, EffectPoint, EncodeModel } from './enc-state'

/** The answer to "are these two programs equivalent?". */
export type EquivResult =
  | { readonly kind: 'equal' }
  | {
      readonly kind: 'notEqual'
      /** An input on which the programs differ (confirmed by the interpreter). */
      readonly input: RunInput
      readonly resultA: RunResult
      readonly resultB: RunResult
      /**
       * `window`: the windows leave different live state on a reachable input, but the whole
       * programs happen to agree on it (the difference dies later); not proven, not refuted.
       */
      readonly scope?: 'window'
    }
  | { readonly kind: 'unknown'; readonly reason: string }
  | { readonly kind: 'error'; readonly reason: string }

/** Runs `slots` on `input` in the interpreter. */
export function runProgram(slots: readonly Insn[], model: EncodeModel, input: RunInput): RunResult {
  const machine = createMachine(compileProgram(slots, model.maps, model.ctx), {
    maxPacket: Math.max(model.maxPacket, 64),
    maxMem: Math.max(model.ctxSize, 64)
  })
  return machine.run(input)
}

/** Checks whether `a` and `b` give the same observable results on every input of `model`. */
export async function checkEquivalence(
  a: readonly Insn[],
  b: readonly Insn[],
  model: EncodeModel,
  solver: TermSolver,
  options: CheckOptions = {}
): Promise<EquivResult> {
  const pa = decodeProgram(a)
  if (!pa.ok) return { kind: 'error', reason: `first program: ${pa.error.message}` }
  const pb = decodeProgram(b)
  if (!pb.ok) return { kind: 'error', reason: `second program: ${pb.error.message}` }
  const built = buildEquivalence(pa.value, pb.value, model)
  if (built.kind === 'unsupported')
    return { kind: 'unknown', reason: `unsupported: ${built.reason}` }
  const q = built.query
  const beyond = await beyondModel(q, solver, options)
  if (beyond !== undefined) return { kind: 'unknown', reason: beyond }
  const r = await differenceModel(q, solver, options)
  if (r.kind === 'unsat') return { kind: 'equal' }
  if (r.kind === 'unknown') return { kind: 'unknown', reason: r.reason }
  const input = counterexampleInput(q, r.model, model)
  const resultA = runProgram(a, model, input)
  const resultB = runProgram(b, model, input)
  if (resultEquals(resultA, resultB)) {
    const unset = printsUnset(q, r.model)
    if (unset !== undefined)
      return {
        kind: 'unknown',
        reason: `trace_printk prints ${unset}, which the program leaves unset (its value is undefined in the kernel, and no input shows it in the interpreter)`
      }
    return {
      kind: 'error',
      reason: 'encoder bug: the counterexample does not distinguish the programs in the interpreter'
    }
  }
  return { kind: 'notEqual', input, resultA, resultB }
}

/**
 * A register that a trace_printk taken in `model` prints while it is uninitialised or clobbered
 * by an earlier call (the verifier checks only the format of this helper), as `r3 of the second
 * program`; undefined when there is none. Such a value differs between the programs in the
 * encoding (it is private to each), while the interpreter gives it one value in both.
 */
function printsUnset(
  q: EquivalenceQuery,
  model: ReadonlyMap<string, TermValue>
): string | undefined {
  // The first program's unset registers print anything (enc-outputs' printsAlike): only the
  // second's can make a difference the interpreter cannot show.
  for (const [which, enc] of [['second', q.b]] as const) {
    for (const e of enc.effects) {
      if (e.kind !== 'trace_printk' || !holds(e.cond, model)) continue
      for (const v of freeVars(e.args.slice(2))) {
        const m = /_(?:uninit|clobber)_(r\d+)_\d+$/.exec(v.name)
        if (m !== null) return `${m[1]} of the ${which} program`
      }
    }
  }
  return undefined
}

/** Whether `t` holds in `model` (variables it leaves out read as 0 / false). */
function holds(t: BoolTerm, model: ReadonlyMap<string, TermValue>): boolean {
  const env = new Map(model)
  for (const v of freeVars([t]))
    if (!env.has(v.name)) env.set(v.name, v.sort === 'bool' ? false : 0n)
  return evalTerm(t, env) === true
}

/**
 * An input on which the programs' outputs differ while their calls of helpers outside the model
 * agree (`sat`), `unsat` when there is none and the calls always agree, or `unknown` (also when
 * the programs may call differently: the environment's answers then do not compare). One query
 * asks for either difference; a second separates them only when the first finds calls that differ.
 */
async function differenceModel(
  q: EquivalenceQuery,
  solver: TermSolver,
  options: CheckOptions
): Promise<CheckResult | { readonly kind: 'unknown'; readonly reason: string }> {
  if (q.callsDiffer === FALSE && q.assertions.includes(FALSE)) return { kind: 'unsat' }
  if (q.callsDiffer === FALSE) return await solver.check(q.assertions, options)
  const differ = q.assertions[q.assertions.length - 1] as BoolTerm
  const r = await solver.check([...q.base, or(differ, q.callsDiffer)], options)
  if (r.kind !== 'sat' || !holds(q.callsDiffer, r.model)) return r
  const why = callDifference(q, r.model)
  const again = await solver.check([...q.base, not(q.callsDiffer), differ], options)
  if (again.kind === 'unsat')
    return {
      kind: 'unknown',
      reason: `the programs may call helpers outside the model differently (${why})`
    }
  return again
}

/** Names the first call the two programs make differently in `model`, for the unknown's reason. */
function callDifference(q: EquivalenceQuery, model: ReadonlyMap<string, TermValue>): string {
  const taken = (calls: EquivalenceQuery['a']['calls']): EffectPoint[] =>
    calls.filter((c) => holds(c.cond, model))
  const name = (c: EffectPoint | undefined): string =>
    c === undefined ? 'no call' : helperName(Number(c.kind.slice('helper'.length)))
  const a = taken(q.a.calls)
  const b = taken(q.b.calls)
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i]
    const y = b[i]
    if (x?.kind !== y?.kind) return `call ${i + 1}: ${name(x)} against ${name(y)}`
    if (x !== undefined && y !== undefined && !holds(eqAll(x.args, y.args), model))
      return `call ${i + 1} (${name(x)}): other arguments, bytes read or place among the outputs`
  }
  return 'the calls differ'
}

/** All of `xs` equal to `ys`, pairwise (false when their shapes differ). */
function eqAll(xs: readonly BvTerm[], ys: readonly BvTerm[]): BoolTerm {
  if (xs.length !== ys.length || xs.some((x, i) => x.width !== ys[i]?.width)) return FALSE
  return and(...xs.map((x, i) => eq(x, ys[i] as BvTerm)))
}

/**
 * Why no answer can be given, when some input takes a path the encoding did not follow (a loop
 * past the unroll bound, a construct outside the model); undefined when no input does. A path
 * that is always taken is reported without asking the solver.
 */
async function beyondModel(
  q: EquivalenceQuery,
  solver: TermSolver,
  options: CheckOptions
): Promise<string | undefined> {
  if (q.beyond.length === 0) return undefined
  const certain = q.beyond.find((b) => b.cond === TRUE)
  if (certain !== undefined) return `unsupported: ${certain.reason}`
  const r = await solver.check([...q.base, or(...q.beyond.map((b) => b.cond))], options)
  if (r.kind === 'unsat') return undefined
  if (r.kind === 'unknown') return `${r.reason} (deciding whether unmodelled paths are reachable)`
  const env = new Map(r.model)
  for (const b of q.beyond) {
    for (const v of freeVars([b.cond]))
      if (!env.has(v.name)) env.set(v.name, v.sort === 'bool' ? false : 0n)
    if (evalTerm(b.cond, env) === true) return `unsupported: ${b.reason}`
  }
  return `unsupported: ${(q.beyond[0] as Beyond).reason}`
}

/**
 * `replacement` written for a program where the code after it follows at once, adjusted for a
 * window of `length` slots: jumps past its end (not bpf-to-bpf calls) go `length -
 * replacement.length` slots further.
 */
function retarget(replacement: readonly Insn[], length: number): Insn[] {
  const shift = length - replacement.length
  const out = [...replacement]
  if (shift === 0) return out
  for (const d of decodeLenient(replacement)) {
    if (d.spec === undefined || d.spec.kind === 'call') continue
    const t = jumpTarget(d)
    if (t === undefined || t < replacement.length) continue
    const x = out[d.index] as Insn
    out[d.index] =
      d.spec.kind === 'ja' && d.spec.long
        ? { ...x, imm: x.imm + shift }
        : { ...x, off: x.off + shift }
  }
  return out
}

/**
 * Replaces slots [start, end] of `slots` by `replacement`, padded with `ja +0` to the window's
 * length so that jumps across the window keep their targets.
 */
export function spliceWindow(
  slots: readonly Insn[],
  start: number,
  end: number,
  replacement: readonly Insn[]
): Insn[] {
  const pad: Insn[] = []
  for (let i = replacement.length; i < end - start + 1; i++)
    pad.push({ code: 0x05, dst: 0, src: 0, off: 0, imm: 0 })
  return [...slots.slice(0, start), ...replacement, ...pad, ...slots.slice(end + 1)]
}

/**
 * Checks that replacing slots [start, end] of `original` (inclusive, whole instructions) by
 * `replacement` (at most as long, written as if the code after the window followed it at once)
 * keeps the program equivalent, verifying
 * only the window under the state that reaches it and what later code can see. Jumps inside
 * either window go forward and stay inside or leave past its end.
 */
export async function checkWindowEquivalence(
  original: readonly Insn[],
  start: number,
  end: number,
  replacement: readonly Insn[],
  model: EncodeModel,
  solver: TermSolver,
  options: CheckOptions = {}
): Promise<EquivResult> {
  const p = decodeProgram(original)
  if (!p.ok) return { kind: 'error', reason: `original program: ${p.error.message}` }
  for (const d of decodeLenient(replacement)) {
    if (d.spec === undefined)
      return { kind: 'error', reason: `replacement slot ${d.index}: unknown opcode` }
    const bad = validateInsn(replacement, d.index)
    if (bad !== undefined) return { kind: 'error', reason: `replacement: ${bad.message}` }
  }
  if (replacement.length > end - start + 1)
    return { kind: 'error', reason: `the replacement is longer than slots ${start}..${end}` }
  // The replacement in place (padded with `goto +0`), its jumps past its end moved by the
  // padding so that they reach the same instructions after the window.
  const splicedSlots = spliceWindow(original, start, end, retarget(replacement, end - start + 1))
  const spliced = decodeProgram(splicedSlots)
  if (!spliced.ok)
    return { kind: 'error', reason: `with the replacement: ${spliced.error.message}` }
  const windowInsns: Decoded[] = spliced.value.insns.filter(
    (d) => d.index >= start && d.index <= end
  )
  // Fast path: the window alone from an abstract pre-state; unsat there proves it for every
  // state the prefix can produce. Otherwise the exact prefix decides and yields a real input.
  const abstract = buildWindowEquivalence(p.value, start, end, windowInsns, model, 'abstract')
  if (abstract.kind === 'unreachable') return { kind: 'equal' }
  if (abstract.kind === 'query') {
    const r = await solver.check(abstract.query.assertions, options)
    if (r.kind === 'unsat') return { kind: 'equal' }
  }
  const built = buildWindowEquivalence(p.value, start, end, windowInsns, model, 'exact')
  if (built.kind === 'unreachable') return { kind: 'equal' }
  if (built.kind === 'unsupported')
    return { kind: 'unknown', reason: `unsupported: ${built.reason}` }
  const r = await solver.check(built.query.assertions, options)
  if (r.kind === 'unsat') return { kind: 'equal' }
  if (r.kind === 'unknown') return { kind: 'unknown', reason: r.reason }
  const input = counterexampleInput(built.query, r.model, model)
  const resultA = runProgram(original, model, input)
  const resultB = runProgram(splicedSlots, model, input)
  return resultEquals(resultA, resultB)
    ? { kind: 'notEqual', input, resultA, resultB, scope: 'window' }
    : { kind: 'notEqual', input, resultA, resultB }
}
