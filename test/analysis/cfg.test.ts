/** @fileoverview CFG construction (blocks, subprograms, structural rejections) and register liveness. */
import { describe, expect, it } from 'vitest'
import { buildCfg } from '../../src-daemon/core/analysis/cfg'
import { liveness } from '../../src-daemon/core/analysis/liveness'
import { assemble } from '../../src-daemon/core/isa/asm'
import { decodeProgram, type Program } from '../../src-daemon/core/isa/decode'

function program(asm: string): Program {
  const a = assemble(asm, 'llvm')
  if (!a.ok) throw new Error(a.error.message)
  const d = decodeProgram(a.value)
  if (!d.ok) throw new Error(d.error.message)
  return d.value
}

describe('buildCfg', () => {
  it('splits a diamond into four blocks with the right edges', () => {
    const r = buildCfg(program('r0 = 0\nif r1 == 0 goto +2\nr0 = 1\ngoto +1\nr0 = 2\nexit'))
    if (!r.ok) throw new Error(r.error.message)
    const b = r.cfg.blocks.map((x) => [x.first, x.last, x.succs])
    expect(b).toEqual([
      [0, 1, [1, 2]],
      [2, 3, [3]],
      [4, 4, [3]],
      [5, 5, []]
    ])
    expect(r.cfg.blocks[3]?.preds.sort()).toEqual([1, 2])
    expect(r.cfg.hasBackEdge).toBe(false)
  })

  it('finds subprograms from local calls and keeps lddw as one position', () => {
    const r = buildCfg(program('r1 = 0x100000000 ll\ncall f1\nexit\nf1:\nr0 = r1\nexit'))
    if (!r.ok) throw new Error(r.error.message)
    expect(r.cfg.subprogs.map((s) => [s.start, s.end, s.entry])).toEqual([
      [0, 4, 0],
      [4, 6, 3]
    ])
    expect([...r.cfg.posOfSlot]).toEqual([0, -1, 1, 2, 3, 4])
    expect(r.cfg.callees).toEqual([[1], []])
  })

  it('reports a backward jump', () => {
    const r = buildCfg(program('r0 = 0\nl1:\nr0 += 1\nif r0 < 4 goto l1\nexit'))
    expect(r.ok && r.cfg.hasBackEdge).toBe(true)
  })

  it('rejects a jump from one function into another', () => {
    const r = buildCfg(program('call f1\ngoto +2\nexit\nf1:\nr0 = 0\nexit'))
    expect(r.ok ? 'ok' : r.error.message).toBe('jump out of range from insn 1 to 4')
  })

  it('rejects a function that runs into the next one', () => {
    const r = buildCfg(program('call f1\nr0 = 0\nf1:\nr0 = 1\nexit'))
    expect(r.ok ? 'ok' : r.error.code).toBe('CFG_NO_EXIT')
  })
})

describe('liveness', () => {
  it('tracks reads before writes through branches and calls', () => {
    const p = program('r6 = r1\nr2 = 1\nif r2 > 0 goto +1\nr0 = r6\ncall 5\nr0 = r7\nexit')
    const r = buildCfg(p)
    if (!r.ok) throw new Error(r.error.message)
    const live = liveness(r.cfg)
    const regs = (m: number): number[] => [...Array(11).keys()].filter((i) => m & (1 << i))
    expect(regs(live[0] as number)).toEqual([1, 7])
    expect(regs(live[3] as number)).toEqual([6, 7])
    expect(regs(live[4] as number)).toEqual([7])
    expect(regs(live[6] as number)).toEqual([0])
  })
})
