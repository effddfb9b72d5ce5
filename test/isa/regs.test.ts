/** @fileoverview Register read/write facts per instruction family. */
import { describe, expect, it } from 'vitest'
import { k2BenchDir } from '../support/environment'
import { insn, slotsFromBytes, type Insn } from '../../src-daemon/core/isa/insn'
import { decodeLenient, decodeProgram } from '../../src-daemon/core/isa/decode'
import { clobberMask, readMask, regsRead, regWritten } from '../../src-daemon/core/isa/regs'
import { readdirSync, readFileSync } from 'node:fs'

function facts(slots: Insn[]): { reads: number[]; writes: number | undefined; clobbers: number } {
  const [d] = decodeLenient(slots)
  if (d === undefined || d.spec === undefined) throw new Error('undecodable')
  const src = { spec: d.spec, insn: d.insn }
  return { reads: regsRead(src), writes: regWritten(src), clobbers: clobberMask(src) }
}

describe('register facts', () => {
  it('knows reads and writes of every family', () => {
    const cases: [Insn[], number[], number | undefined][] = [
      [[insn(0x0f, 1, 2)], [1, 2], 1], // add64 reg
      [[insn(0x07, 3, 0, 0, 1)], [3], 3], // add64 imm
      [[insn(0xb7, 4, 0, 0, 1)], [], 4], // mov imm reads nothing
      [[insn(0xbf, 4, 5)], [5], 4], // mov reg reads only src
      [[insn(0xbc, 4, 5, 8)], [5], 4], // movsx
      [[insn(0x87, 6)], [6], 6], // neg
      [[insn(0xdc, 7, 0, 0, 16)], [7], 7], // be16
      [[insn(0x2d, 1, 2, 1)], [1, 2], undefined], // jgt reg
      [[insn(0x15, 1, 0, 1)], [1], undefined], // jeq imm
      [[insn(0x05, 0, 0, 1)], [], undefined], // ja
      [[insn(0x85, 0, 0, 0, 1)], [1, 2, 3, 4, 5], 0], // call
      [[insn(0x95)], [0], undefined], // exit
      [[insn(0x18, 2), insn(0)], [], 2], // lddw
      [[insn(0x28, 0, 0, 0, 12)], [6], 0], // ldabsh reads the skb in r6
      [[insn(0x48, 0, 3)], [3, 6], 0], // ldindh
      [[insn(0x61, 1, 2, 4)], [2], 1], // ldxw
      [[insn(0x62, 10, 0, -4, 7)], [10], undefined], // stw
      [[insn(0x7b, 10, 1, -8)], [1, 10], undefined], // stxdw
      [[insn(0xdb, 1, 2)], [1, 2], undefined], // atomic add
      [[insn(0xdb, 1, 2, 0, 0x01)], [1, 2], 2], // fetch add writes src
      [[insn(0xc3, 1, 2, 0, 0xe1)], [1, 2], 2], // xchg
      [[insn(0xdb, 1, 2, 0, 0xf1)], [0, 1, 2], 0] // cmpxchg reads and writes r0
    ]
    for (const [slots, reads, writes] of cases) {
      const f = facts(slots)
      expect({ reads: f.reads, writes: f.writes }, JSON.stringify(slots[0])).toEqual({
        reads,
        writes
      })
    }
    expect(facts([insn(0x85, 0, 0, 0, 1)]).clobbers).toBe(0b111110)
    expect(facts([insn(0x0f, 1, 2)]).clobbers).toBe(0)
  })

  const dir = k2BenchDir()
  it.skipIf(dir === undefined)('keeps reads within r0..r10 on every benchmark instruction', () => {
    let n = 0
    for (const f of readdirSync(dir ?? '').filter((x) => x.endsWith('.insns'))) {
      const r = decodeProgram(slotsFromBytes(readFileSync(`${dir ?? ''}${f}`)))
      if (!r.ok) throw new Error(r.error.message)
      for (const d of r.value.insns) {
        expect(readMask(d) >> 11).toBe(0)
        const w = regWritten(d)
        if (w !== undefined) expect(w).toBeLessThan(10)
        n++
      }
    }
    expect(n).toBeGreaterThan(300)
  })
})
