/** @fileoverview The analysis accepts the K2 benchmark and the clang fixtures, with the facts window verification needs. */
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { analyze, type AnalysisResult } from '../../src-daemon/core/analysis/verifier'
import { T, type ProgType } from '../../src-daemon/core/analysis/types'
import { KERNEL_PROG_TYPES } from '../../src-daemon/core/analysis/program-kind'
import { loadInput, selectPrograms } from '../../src-daemon/engine/program/load'
import { runnable } from '../../src-daemon/engine/program/program-model'
import { fixtureTypeHint } from '../support/fixture-types'
import { BENCH_NAMES, HAVE_K2, loadBench, type BenchProgram } from './k2-bench'

function analyzeBench(b: BenchProgram): AnalysisResult {
  return analyze(b.slots, {
    progType: b.progType,
    maps: b.maps,
    ...(b.ctxSize ? { ctxSize: b.ctxSize } : {})
  })
}

/** Position of the instruction starting at `slot`. */
function posOf(r: AnalysisResult, slot: number): number {
  if (!r.ok) throw new Error('rejected')
  return r.cfg.posOfSlot[slot] as number
}

describe.skipIf(!HAVE_K2)('K2 benchmark programs', () => {
  for (const name of BENCH_NAMES) {
    it(`accepts ${name}`, () => {
      const r = analyzeBench(loadBench(name))
      expect(r.ok ? 'accepted' : `${r.error.code} @${r.error.index}: ${r.error.message}`).toBe(
        'accepted'
      )
      if (r.ok) expect(r.stats.processed).toBeLessThan(1000)
    })
  }

  it('xdp1: after the 14-byte check, data is a packet pointer with range 14 and data_end is pkt_end', () => {
    const r = analyzeBench(loadBench('xdp1'))
    if (!r.ok) throw new Error(r.error.message)
    const s = r.stateAt(posOf(r, 5))
    expect(s?.regs[1]?.type).toBe(T.PKT)
    expect(s?.regs[1]?.range).toBe(14)
    expect(s?.regs[2]?.type).toBe(T.PKT_END)
    // At insn 33 the offset register holds 14, 18 or 22 (no VLAN tag, one, or two).
    const t = r.stateAt(posOf(r, 33))
    expect(t?.regs[3]?.type).toBe(T.SCALAR)
    expect([t?.regs[3]?.umin, t?.regs[3]?.umax]).toEqual([14n, 22n])
  })

  it('sys_enter_open: an array lookup with constant key 0 cannot fail, so the miss path is dead', () => {
    const r = analyzeBench(loadBench('sys_enter_open'))
    if (!r.ok) throw new Error(r.error.message)
    expect(r.stateAt(posOf(r, 10))?.regs[0]?.type).toBe(T.MAP_VALUE)
    expect(r.stateAt(posOf(r, 14))).toBeUndefined()
    expect(r.stats.stackDepth[0]).toBe(8)
  })

  it('xdp_fw: stack pointers keep their constant offsets', () => {
    const r = analyzeBench(loadBench('xdp_fw'))
    if (!r.ok) throw new Error(r.error.message)
    const s = r.stateAt(posOf(r, 42))
    expect(s?.regs[2]?.type).toBe(T.STACK)
    expect(s?.regs[2]?.off).toBe(-24)
    expect(s?.regs[6]?.tv).toBe(1n)
    expect(s?.regs[6]?.tm).toBe(0n)
  })

  it('socket-0: r1-r5 are uninitialised after the tail call', () => {
    const r = analyzeBench(loadBench('socket-0'))
    if (!r.ok) throw new Error(r.error.message)
    const s = r.stateAt(posOf(r, 27))
    for (const i of [0, 1, 2, 3, 4, 5]) expect(s?.regs[i]?.type).toBe(T.NOT_INIT)
    expect(s?.regs[6]?.type).toBe(T.CTX)
  })
})

const OBJ_DIR = fileURLToPath(new URL('../fixtures/obj/', import.meta.url))

describe('clang fixtures', () => {
  const files = readdirSync(OBJ_DIR).filter((f) => f.endsWith('.o'))
  it('has fixtures to check', () => expect(files.length).toBeGreaterThan(10))
  for (const file of files) {
    it(`accepts every program of ${file}`, () => {
      const input = loadInput(OBJ_DIR + file)
      const entries = selectPrograms(input, undefined)
      expect(entries.length).toBeGreaterThan(0)
      for (const p of entries) {
        // As the loader links it (subprograms appended, CO-RE resolved for this kernel).
        const run = runnable(input, p, fixtureTypeHint(file))
        expect(
          Object.hasOwn(KERNEL_PROG_TYPES, run.progType),
          `${file}:${p.name} ${run.progType}`
        ).toBe(true)
        const r = analyze(run.slots, {
          progType: run.progType as ProgType,
          maps: run.maps,
          ...(run.attachType !== undefined ? { attachType: run.attachType } : {})
        })
        expect(
          r.ok ? 'accepted' : `${p.name}: ${r.error.code} @${r.error.index}: ${r.error.message}`
        ).toBe('accepted')
      }
    })
  }
})
