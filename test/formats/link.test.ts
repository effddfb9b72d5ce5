/** @fileoverview linkProgram tests: subprograms appended, calls, maps, global data and callbacks resolved. */

import { describe, expect, it } from 'vitest'
import {
  linkProgram,
  PSEUDO_FUNC,
  PSEUDO_MAP_FD,
  PSEUDO_MAP_VALUE,
  readBpfObject
} from '../../src-daemon/core/formats'
import type { BpfObject } from '../../src-daemon/core/formats'
import { fixture } from './helpers'

function read(name: string): BpfObject {
  const r = readBpfObject(fixture(name), { file: name })
  if (!r.ok) throw new Error(r.error.message)
  return r.value
}

describe('linkProgram', () => {
  it('appends called subprograms once and relinks calls, maps and global data (prog.o)', () => {
    const obj = read('prog.o')
    const linked = linkProgram(obj, obj.programs[0]!)
    if (!linked.ok) throw new Error(linked.error.message)
    const l = linked.value
    expect(l.functions.map((f) => [f.name, f.firstSlot, f.slotCount])).toEqual([
      ['xdp_count', 0, 23],
      ['mix', 23, 11],
      ['bump', 34, 17]
    ])
    expect(l.slots.length).toBe(51)
    expect(l.slots[7]).toMatchObject({ code: 0x85, src: 1, imm: 23 - 8 }) // call mix
    expect(l.slots[15]).toMatchObject({ code: 0x85, src: 1, imm: 34 - 16 }) // call bump
    expect(l.slots[34 + 11]).toMatchObject({ code: 0x85, src: 1, imm: 23 - 46 }) // bump -> mix (pc-relative)
    expect(l.slots[8]).toMatchObject({ code: 0x18, src: PSEUDO_MAP_VALUE, imm: 1 }) // total in .bss
    expect(l.slots[9]!.imm).toBe(0)
    expect(obj.globalData[1]!.name).toBe('.bss')
    expect(l.slots[34 + 3]).toMatchObject({ code: 0x18, src: PSEUDO_MAP_FD, imm: 0 }) // counters
    expect(l.slots[23 + 5]).toMatchObject({ code: 0x18, src: PSEUDO_MAP_VALUE, imm: 0 }) // table in .rodata
    expect(l.slots[23 + 6]!.imm).toBe(8)
    expect(l.externs).toEqual([])
    // The object model is not modified.
    expect(obj.programs[0]!.slots[7]!.imm).toBe(16)
  })

  it('links a callback pointer as PSEUDO_FUNC and reports externs (callbacks.o)', () => {
    const obj = read('callbacks.o')
    const linked = linkProgram(obj, obj.programs[0]!)
    if (!linked.ok) throw new Error(linked.error.message)
    const l = linked.value
    expect(l.functions.map((f) => [f.name, f.firstSlot])).toEqual([
      ['tc_loop', 0],
      ['add_one', 36],
      ['square', 44]
    ])
    expect(l.slots[6]).toMatchObject({ code: 0x18, src: PSEUDO_FUNC, imm: 36 - 7 })
    expect(l.slots[33]).toMatchObject({ code: 0x85, src: 1, imm: 44 - 34 })
    expect(l.externs).toEqual([{ slot: 10, name: 'LINUX_KERNEL_VERSION' }])
  })

  it('links a program without subprograms to itself with maps resolved (legacy.o)', () => {
    const obj = read('legacy.o')
    const linked = linkProgram(obj, obj.programs[0]!)
    if (!linked.ok) throw new Error(linked.error.message)
    expect(linked.value.slots.length).toBe(obj.programs[0]!.slotCount)
    expect(linked.value.slots[14]).toMatchObject({ src: PSEUDO_MAP_FD, imm: 1 })
  })
})
