/** @fileoverview Proposal legality and compaction on the 11 K2 benchmark programs. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { k2BenchDir } from '../support/environment'
import { slotsFromBytes } from '../../src-daemon/core/isa/insn'
import { lookupSpec } from '../../src-daemon/core/isa/lookup'
import { Candidate, SlotKind } from '../../src-daemon/core/search/candidate'
import { defaultSearchOptions } from '../../src-daemon/core/search/config'
import { MOVE_COUNT, Proposer } from '../../src-daemon/core/search/proposals'
import { Rng } from '../../src-daemon/core/search/rng'
import { selectWindows } from '../../src-daemon/core/search/windows'
import { violation } from './invariants'

const DIR = k2BenchDir()
const NAMES = [
  'socket-0',
  'socket-1',
  'sys_enter_open',
  'xdp1',
  'xdp_cpumap_enqueue',
  'xdp_devmap_xmit',
  'xdp_exception',
  'xdp_fw',
  'xdp_map_access',
  'xdp_pktcntr',
  'xdp_redirect_err'
]

describe.skipIf(DIR === undefined)('proposals on the K2 benchmarks', () => {
  for (const name of NAMES) {
    it(`${name}: moves stay legal, compaction re-decodes, windows avoid jumps`, () => {
      const slots = slotsFromBytes(readFileSync(`${DIR ?? ''}${name}.insns`))
      const orig = Candidate.fromSlots(slots)
      expect(orig.compact()).toEqual(slots)
      const p = new Proposer(orig, defaultSearchOptions())
      const rng = new Rng(21)
      const c = orig.clone()
      let applied = 0
      let firstBad: string | undefined
      for (let step = 0; step < 3000; step++) {
        if (!p.apply(step % MOVE_COUNT, c, rng)) continue
        applied++
        p.commit()
        if (step % 10 === 0) firstBad ??= violation(c, orig, [0, c.length - 1], true)
      }
      expect(firstBad).toBeUndefined()
      expect(applied).toBeGreaterThan(1500)
      // compaction: every kept slot decodes, every jump lands inside the compact program
      const out = c.compact()
      expect(out.length).toBe(c.liveSlots())
      for (let i = 0; i < out.length; i++) {
        const s = lookupSpec(out[i]!)
        if (s === undefined) {
          expect(i > 0 && lookupSpec(out[i - 1]!)?.kind === 'lddw').toBe(true)
          continue
        }
        if (s.kind === 'jmp' || s.kind === 'ja') {
          const t = i + 1 + out[i]!.off
          expect(t >= 0 && t < out.length).toBe(true)
        }
      }
      for (const w of selectWindows(orig, { windowMaxSlots: 4, wholeProgramMaxSlots: 0 })) {
        for (let i = w.start; i <= w.end; i++) {
          const s = lookupSpec(orig.slot(i))
          expect(orig.kind[i]).toBe(SlotKind.live)
          expect(['jmp', 'ja', 'call', 'exit', 'lddw']).not.toContain(s?.kind)
        }
      }
    })
  }
})
