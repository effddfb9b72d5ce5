/** @fileoverview Tests of error variants, perf models and the bounded cost evaluation. */
import { insn as I } from '../../src-daemon/core/isa/insn'
import { describe, expect, it } from 'vitest'
import { Candidate, SlotKind } from '../../src-daemon/core/search/candidate'
import {
  CostModel,
  instructionCountPerf,
  latencyPerf,
  noSlowerThan,
  perfModelFor
} from '../../src-daemon/core/search/cost'
import { ErrorAccumulator } from '../../src-daemon/core/search/error-metric'
import {
  BUILTIN_LATENCY,
  BUILTIN_MODEL,
  latencyModel,
  latencyOf,
  pathLatencies,
  ROW_LATENCY
} from '../../src-daemon/core/search/latency'
import { parseLatencyTable } from '../../src-daemon/core/search/latency-table'
import { opByName } from '../../src-daemon/core/isa/opcodes'
import { asm, ToyEvaluator } from './toy-alu'

describe('ErrorAccumulator', () => {
  it('computes popcount and absolute distances of 64-bit words', () => {
    const pop = new ErrorAccumulator({ errorMetric: 'pop', errorMode: 'eq1', errorAverage: false })
    pop.begin(1)
    pop.word(0xffffffff, 0x1, 0, 0) // 33 differing bits
    pop.endTest()
    expect(pop.value()).toBe(33)
    const abs = new ErrorAccumulator({ errorMetric: 'abs', errorMode: 'eq1', errorAverage: false })
    abs.begin(1)
    abs.word(5, 1, 7, 0) // (2^32 + 5) - 7
    abs.endTest()
    expect(abs.value()).toBe(4294967294)
  })

  it('implements eq1/eq2 with and without averaging', () => {
    const run = (mode: 'eq1' | 'eq2', avg: boolean): number => {
      const a = new ErrorAccumulator({ errorMetric: 'pop', errorMode: mode, errorAverage: avg })
      a.begin(4)
      a.word(1, 0, 1, 0) // pass
      a.endTest()
      a.word(0b111, 0, 0, 0) // 3 bits
      a.endTest()
      a.word(0, 0, 0, 0) // pass
      a.endTest()
      a.word(0, 1, 0, 0) // 1 bit
      a.endTest()
      return a.value()
    }
    expect(run('eq1', false)).toBe(4)
    expect(run('eq1', true)).toBe(1)
    expect(run('eq2', false)).toBe(1 + 4 + 2)
    expect(run('eq2', true)).toBe(1 + 6 / 4)
    const ok = new ErrorAccumulator({ errorMetric: 'pop', errorMode: 'eq2', errorAverage: true })
    ok.begin(2)
    ok.word(9, 9, 9, 9)
    ok.endTest()
    expect(ok.value()).toBe(0)
    expect(ok.exceeds(0)).toBe(false)
  })
})

describe('CostModel', () => {
  const ref = Candidate.fromSlots([asm.movReg(0, 1), asm.addImm(0, 3), asm.exit()])
  const inputs: [bigint, bigint][] = [
    [1n, 0n],
    [2n, 0n],
    [3n, 0n],
    [4n, 0n]
  ]

  it('counts live slots (ld_imm64 = 2) and sums latency estimates', () => {
    const c = Candidate.fromSlots([...asm.lddw(1, 1, 0), asm.movReg(0, 1), asm.exit()])
    expect(instructionCountPerf.perf(c)).toBe(4)
    const lat =
      ROW_LATENCY[opByName('lddw_imm64').id]! +
      ROW_LATENCY[opByName('mov64_reg').id]! +
      ROW_LATENCY[opByName('exit').id]!
    expect(latencyPerf.perf(c)).toBeCloseTo(lat, 12)
    expect(ROW_LATENCY[opByName('div64_reg').id]!).toBeGreaterThan(
      ROW_LATENCY[opByName('add64_reg').id]!
    )
  })

  it('gives zero error to an equivalent candidate and weights the terms', () => {
    const model = new CostModel(new ToyEvaluator(ref, inputs), instructionCountPerf, {
      wErr: 2,
      wPerf: 3,
      unsafeError: 1e6
    })
    const r = model.evaluate(ref, Infinity)
    expect(r.error).toBe(0)
    expect(r.perf).toBe(3)
    expect(r.cost).toBe(9)
    expect(r.earlyExit).toBe(false)
  })

  it('stops running tests once the bound is exceeded and flags unsafe candidates', () => {
    const ev = new ToyEvaluator(ref, inputs)
    const model = new CostModel(ev, instructionCountPerf, { wErr: 1, wPerf: 1, unsafeError: 1e6 })
    const bad = ref.clone()
    bad.imm[1] = 4 // every test off by one
    const full = { ...model.evaluate(bad, Infinity) }
    expect(full.earlyExit).toBe(false)
    expect(full.error).toBe(1 + (1 + 2 + 1 + 4 + 4) / 4) // popcounts of 4^5, 5^6, 6^7, 7^8
    const early = { ...model.evaluate(bad, 3.5) } // perf 3 leaves 0.5 for the error
    expect(early.earlyExit).toBe(true)
    expect(early.cost).toBeGreaterThan(3.5)
    expect(early.error).toBeLessThan(full.error)
    const tooLong = model.evaluate(bad, 2) // perf alone exceeds: no test run
    const calls = ev.calls
    expect(tooLong.earlyExit).toBe(true)
    expect(ev.calls).toBe(calls)
    const unsafe = new CostModel(
      ev,
      instructionCountPerf,
      { wErr: 1, wPerf: 1, unsafeError: 1e6 },
      (c) => c.kind[1] === SlotKind.live && c.imm[1] !== 4
    )
    const u = unsafe.evaluate(bad, Infinity)
    expect(u.unsafe).toBe(true)
    expect(u.cost).toBe(1e6 + 3)
    expect(unsafe.evaluate(ref, Infinity).unsafe).toBe(false)
  })
})

describe('latency model and the no-slower cost', () => {
  // A per-CPU counter: load/add/store, and the same as one atomic add (one slot shorter).
  const plain = Candidate.fromSlots([
    I(0x79, 1, 0, 0), // r1 = *(u64 *)(r0 + 0)
    I(0x07, 1, 0, 0, 1), // r1 += 1
    I(0x7b, 0, 1, 0), // *(u64 *)(r0 + 0) = r1
    I(0xb7, 0, 0, 0, 0), // r0 = 0
    I(0x95, 0, 0)
  ])
  const atomic = Candidate.fromSlots([
    I(0xb7, 1, 0, 0, 1), // r1 = 1
    I(0xdb, 0, 1, 0, 0), // lock *(u64 *)(r0 + 0) += r1
    I(0xb7, 0, 0, 0, 0),
    I(0x95, 0, 0),
    I(0x05, 0, 0, 0, 0) // a filler the search would have turned into a NOP
  ])
  atomic.kind[4] = SlotKind.nop

  it('prices an atomic add above a plain load/add/store, and helpers by id', () => {
    expect(BUILTIN_LATENCY.classes.atomic).toBeGreaterThan(
      BUILTIN_LATENCY.classes.ldx + BUILTIN_LATENCY.classes.alu + BUILTIN_LATENCY.classes.stx
    )
    expect(latencyOf(atomic)).toBeGreaterThan(latencyOf(plain))
    const lookup = Candidate.fromSlots([I(0x85, 0, 0, 0, 1), I(0x95, 0, 0)])
    const update = Candidate.fromSlots([I(0x85, 0, 0, 0, 2), I(0x95, 0, 0)])
    expect(latencyOf(update)).toBeGreaterThan(latencyOf(lookup))
  })

  it('uses a given table: a table where atomics are cheap flips the comparison', () => {
    const cheap = latencyModel({
      ...BUILTIN_LATENCY,
      source: 'calibrated',
      classes: { ...BUILTIN_LATENCY.classes, atomic: 0.1 }
    })
    expect(latencyOf(atomic, cheap)).toBeLessThan(latencyOf(plain, cheap))
    expect(latencyOf(atomic, BUILTIN_MODEL)).toBeGreaterThan(latencyOf(plain, BUILTIN_MODEL))
  })

  it('sizeNoSlower never ranks a smaller but slower candidate above the original', () => {
    const perf = perfModelFor('sizeNoSlower', plain)
    expect(atomic.liveSlots()).toBeLessThan(plain.liveSlots())
    expect(noSlowerThan(atomic, plain, BUILTIN_MODEL)).toBe(false)
    expect(perf.perf(atomic)).toBeGreaterThan(perf.perf(plain))
    expect(perfModelFor('count', plain).perf(atomic)).toBeLessThan(
      perfModelFor('count', plain).perf(plain)
    )
    // A smaller candidate that is not slower wins; among equal sizes the faster one wins.
    const shorter = plain.clone()
    shorter.kind[3] = SlotKind.nop
    expect(perf.perf(shorter)).toBeLessThan(perf.perf(plain))
    const slowerSameSize = plain.clone()
    slowerSameSize.code[1] = 0x27 // r1 *= 1 (a multiply costs more than an add)
    slowerSameSize.row[1] = opByName('mul64_imm').id
    expect(perf.perf(slowerSameSize)).toBeGreaterThan(perf.perf(plain))
    expect(perf.perf(slowerSameSize)).toBeGreaterThan(plain.liveSlots())
  })

  it('validates a stored table and names the bad field', () => {
    expect(parseLatencyTable(JSON.parse(JSON.stringify(BUILTIN_LATENCY)), 'x.json').ok).toBe(true)
    const bad = parseLatencyTable({ ...BUILTIN_LATENCY, classes: { alu: 1 } }, 'x.json')
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.error.message).toMatch(/^x\.json: not a latency table \(\/classes/)
    expect(parseLatencyTable([], 'y.json').ok).toBe(false)
  })
})

describe('path latencies', () => {
  // if r1 == 0 goto +2; r0 = 1; exit; call map_update (dear); r0 = 0; exit
  const branchy = (): Candidate =>
    Candidate.fromSlots([
      I(0x15, 1, 0, 3, 0),
      I(0x85, 0, 0, 0, 1), // call map_lookup_elem
      I(0xb7, 0, 0, 0, 1),
      I(0x95, 0, 0),
      I(0x85, 0, 0, 0, 2), // call map_update_elem
      I(0xb7, 0, 0, 0, 0),
      I(0x95, 0, 0)
    ])

  it('prices the dearest path, and the expected one with branches at 1/2', () => {
    const c = branchy()
    const out = new Float64Array(2)
    pathLatencies(c, BUILTIN_MODEL, out)
    const k = BUILTIN_LATENCY.classes
    const h = BUILTIN_LATENCY.helpers
    const viaUpdate = k.jmp + h['2']! + k.mov + k.exit
    const viaLookup = k.jmp + h['1']! + k.mov + k.exit
    expect(out[0]).toBeCloseTo(Math.max(viaUpdate, viaLookup), 9)
    expect(out[1]).toBeCloseTo(k.jmp + 0.5 * (viaUpdate - k.jmp) + 0.5 * (viaLookup - k.jmp), 9)
    expect(latencyOf(c)).toBe(out[0])
  })

  it('sees a cheap path merged into a dear one although the program got smaller', () => {
    const original = branchy()
    // Drop the cheap path's exit: it now falls into the update (smaller, dearer on average).
    const merged = branchy()
    merged.kind[3] = SlotKind.nop
    const a = new Float64Array(2)
    const b = new Float64Array(2)
    pathLatencies(original, BUILTIN_MODEL, a)
    pathLatencies(merged, BUILTIN_MODEL, b)
    expect(b[1]).toBeGreaterThan(a[1]!)
    expect(noSlowerThan(merged, original, BUILTIN_MODEL)).toBe(false)
    const perf = perfModelFor('sizeNoSlower', original)
    expect(perf.perf(merged)).toBeGreaterThan(perf.perf(original))
  })
})
