/**
 * @fileoverview The evaluator's fast path against the slow one, on random candidates of real
 * programs: prepared inputs with map images give the same runs as entry-by-entry loads, and
 * skipping maps neither run wrote gives the same distance as comparing every map.
 */
import { describe, expect, it } from 'vitest'
import { loadInput, selectPrograms } from '../../src-daemon/engine/program/load'
import { runnable, type RunnableProgram } from '../../src-daemon/engine/program/program-model'
import { createMachine } from '../../src-daemon/core/interp/api'
import { compileProgram, VREG_BASE } from '../../src-daemon/core/interp/compile'
import { Status } from '../../src-daemon/core/interp/machine'
import { captureOutcome, outcomeDistance, type Outcome } from '../../src-daemon/core/interp/outcome'
import type { PreparedRun } from '../../src-daemon/core/interp/prepared-run'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { Candidate, SlotKind } from '../../src-daemon/core/search/candidate'
import { defaultSearchOptions } from '../../src-daemon/core/search/config'
import { InterpEvaluator, machineOptionsFor } from '../../src-daemon/core/search/evaluator'
import { MOVE_COUNT, Proposer } from '../../src-daemon/core/search/proposals'
import { Rng } from '../../src-daemon/core/search/rng'
import { generateTestInputs } from '../../src-daemon/core/search/test-inputs'
import { k2BenchDir } from '../support/environment'

const FIXTURES = new URL('../fixtures/obj/', import.meta.url).pathname
const K2 = k2BenchDir()

interface Tally {
  /** Candidate × test pairs compared. */
  pairs: number
  /** Pairs where a run wrote a map and the full comparison found a difference in the maps. */
  mapDifferences: number
}

function programOf(file: string): RunnableProgram {
  const input = loadInput(file)
  return runnable(input, selectPrograms(input, undefined)[0]!)
}

/** Runs random one-move mutants of `r` through both paths; returns what was compared. */
function compareFastAndSlow(r: RunnableProgram, candidates: number): Tally {
  const inputs = generateTestInputs(r.model, { count: 24, seed: 7 })
  const options = machineOptionsFor(r.model, 20_000)
  const machineFor = (slots: Candidate) =>
    createMachine(compileProgram(slots.compact(), r.model.maps, r.model.ctx), options)
  const orig = Candidate.fromSlots(r.slots)
  const om = machineFor(orig)
  const expected: (Outcome | undefined)[] = inputs.map((input) => {
    om.exec(input)
    return om.status === Status.fault ? undefined : captureOutcome(om)
  })
  const proposer = new Proposer(orig, defaultSearchOptions())
  const rng = new Rng(3)
  const tally: Tally = { pairs: 0, mapDifferences: 0 }
  for (let step = 0; step < candidates; step++) {
    // One move away from the original: most such candidates run to the map writes.
    const c = orig.clone()
    for (let tries = 0; tries < 20 && !proposer.apply(rng.int(MOVE_COUNT), c, rng); tries++);
    proposer.commit()
    const fast = machineFor(c)
    const slow = machineFor(c)
    // Prepared all at once, as the evaluator does (preparing leaves traces in the machine).
    const prepared = inputs.map((input) => fast.prepare(input))
    for (let k = 0; k < inputs.length; k++) {
      const o = expected[k]
      if (o === undefined) continue
      const p = prepared[k]!
      fast.execPrepared(p)
      // The slow path loads every map entry one by one.
      const unimaged: PreparedRun = {
        ...p,
        images: p.images.map(() => undefined),
        entries: p.images.map((_, i) => inputs[k]!.maps?.[i])
      }
      slow.execPrepared(unimaged)
      expect(slow.status).toBe(fast.status)
      if (fast.status !== Status.fault)
        expect(outcomeDistance(slow, captureOutcome(fast), Infinity, true)).toBe(0)
      const full = outcomeDistance(fast, o, Infinity, true)
      expect(outcomeDistance(fast, o)).toBe(full)
      tally.pairs++
      if (fast.status === o.status && fast.status !== Status.fault) {
        const mapsOnly = full - outcomeDistanceWithoutMaps(fast, o)
        if (mapsOnly > 0) tally.mapDifferences++
      }
    }
  }
  return tally
}

/** The distance with every map taken as equal (maps written by neither run are skipped). */
function outcomeDistanceWithoutMaps(m: ReturnType<typeof createMachine>, o: Outcome): number {
  const saved = m.maps.map((x) => x.changed)
  const written = m.regionWritten.slice()
  m.maps.forEach((x) => (x.changed = false))
  m.regionWritten.fill(0)
  const d = outcomeDistance(m, { ...o, maps: o.maps.map((x) => ({ ...x, written: false })) })
  m.maps.forEach((x, i) => (x.changed = saved[i]!))
  m.regionWritten.set(written)
  return d
}

/** The candidate's slots as the evaluator loads them (NOP as `ja +0`). */
function fixedSlots(c: Candidate): Insn[] {
  return Array.from({ length: c.length }, (_, i) =>
    c.kind[i] === SlotKind.nop
      ? { code: 0x05, dst: 0, src: 0, off: 0, imm: 0 }
      : { code: c.code[i]!, dst: c.dst[i]!, src: c.src[i]!, off: c.off[i]!, imm: c.imm[i]! }
  )
}

const COMPILED_FIELDS = [
  'op',
  'dst',
  'src',
  'off',
  'imm',
  'target',
  'readMask',
  'writeMask',
  'constKind',
  'constLo',
  'constHi',
  'constMap'
] as const

/**
 * Walks candidates through one evaluator (slots recompiled one by one) and compares, after each
 * load, its machine's program and constant registers with a whole compile of the candidate;
 * returns how many loads changed some slot.
 */
function compareIncrementalLoads(r: RunnableProgram, steps: number): number {
  const inputs = generateTestInputs(r.model, { count: 8, seed: 5 })
  const metric = defaultSearchOptions()
  const ev = new InterpEvaluator(r.slots, r.model, inputs, metric, 20_000)
  const orig = Candidate.fromSlots(r.slots)
  const proposer = new Proposer(orig, metric)
  const rng = new Rng(11)
  const c = orig.clone()
  let changedLoads = 0
  for (let step = 0; step < steps; step++) {
    // A walk that sometimes returns to the original, so loads undo earlier changes too.
    if (step % 25 === 0) c.copyFrom(orig)
    if (proposer.apply(rng.int(MOVE_COUNT), c, rng)) proposer.commit()
    const before = ev.machine.prog.op.slice()
    ev.load(c)
    const p = ev.machine.prog
    if (p.op.some((x, i) => x !== before[i])) changedLoads++
    const whole = compileProgram(fixedSlots(c), r.model.maps, r.model.ctx)
    // Fields of an invalid slot other than its reason are never read (and not cleared).
    const valid = (i: number): boolean => whole.invalid[i] === undefined
    for (const f of COMPILED_FIELDS) {
      const got = Array.from(p[f].subarray(0, c.length), (x, i) => (valid(i) ? x : 0))
      const want = Array.from(whole[f].subarray(0, c.length), (x, i) => (valid(i) ? x : 0))
      expect(got, f).toEqual(want)
    }
    expect(p.invalid.slice(0, c.length + 1)).toEqual(whole.invalid.slice(0, c.length + 1))
    const m = createMachine(whole, machineOptionsFor(r.model, 20_000))
    expect(ev.machine.regs.subarray(2 * VREG_BASE, m.regs.length)).toEqual(
      m.regs.subarray(2 * VREG_BASE)
    )
  }
  return changedLoads
}

/**
 * Feeds one evaluator (whose tests move forward when they stop a candidate) candidates with
 * bounds around their true error, and checks each answer against the full error from a fresh
 * evaluator in the original order; returns how many answers stopped early.
 */
function compareReorderedErrors(r: RunnableProgram, steps: number): number {
  const inputs = generateTestInputs(r.model, { count: 24, seed: 9 })
  const metric = defaultSearchOptions()
  const ev = new InterpEvaluator(r.slots, r.model, inputs, metric, 20_000)
  const reference = new InterpEvaluator(r.slots, r.model, inputs, metric, 20_000)
  const orig = Candidate.fromSlots(r.slots)
  const proposer = new Proposer(orig, metric)
  const rng = new Rng(17)
  let stopped = 0
  for (let step = 0; step < steps; step++) {
    const c = orig.clone()
    for (let i = 0; i <= step % 3; i++)
      if (proposer.apply(rng.int(MOVE_COUNT), c, rng)) proposer.commit()
    const full = reference.error(c, Infinity)
    const bound = [full - 1, full, full / 2, full * 2, 0][step % 5]!
    const got = ev.error(c, bound)
    if (full > bound) {
      expect(got).toBeGreaterThan(bound)
      if (got < full) stopped++
    } else expect(got).toBe(full)
  }
  return stopped
}

describe('evaluator fast path', () => {
  for (const name of ['global_counters.o', 'xdp_rewrite.o']) {
    it(`${name}: tests moved forward give the answers of the original order`, () => {
      expect(compareReorderedErrors(programOf(`${FIXTURES}${name}`), 300)).toBeGreaterThan(20)
    })
  }

  for (const name of ['global_counters.o', 'xdp_rewrite.o', 'subprog_calls.o']) {
    it(`${name}: slots recompiled one by one match a whole compile`, () => {
      expect(compareIncrementalLoads(programOf(`${FIXTURES}${name}`), 150)).toBeGreaterThan(50)
    })
  }

  for (const name of ['global_counters.o', 'lru_percpu_maps.o', 'xdp_lpm_router.o']) {
    it(`${name}: map images and the written-map shortcut agree with the slow path`, () => {
      const t = compareFastAndSlow(programOf(`${FIXTURES}${name}`), 60)
      expect(t.pairs).toBeGreaterThan(500)
      expect(t.mapDifferences).toBeGreaterThan(0)
    })
  }

  describe.skipIf(K2 === undefined)('on the K2 benchmarks', () => {
    for (const name of ['xdp1', 'xdp_map_access', 'sys_enter_open', 'xdp_pktcntr']) {
      it(`${name}: the same runs and distances`, () => {
        const t = compareFastAndSlow(programOf(`${K2 ?? ''}${name}.insns`), 60)
        expect(t.pairs).toBeGreaterThan(200)
        expect(t.mapDifferences).toBeGreaterThan(0)
      })
    }
  })
})
