/** @fileoverview ELF writer tests: inserting instructions, line_info policies, CO-RE records, error cases. */

import { spawnSync } from 'node:child_process'
import {
  remapJumps,
  removeProgramSlots,
  replaceProgramCode,
  replaceSectionCode
} from '../../src-daemon/core/formats'
import { insn } from '../../src-daemon/core/isa/insn'
import { afterAll, describe, expect, it } from 'vitest'
import {
  canLoad,
  extRecords,
  isNop,
  kernelLoad,
  read,
  removeWorkDir,
  sectionSlots
} from './elf-helpers'
import { fixture } from './helpers'

afterAll(removeWorkDir)

describe('replaceSectionCode: inserting and error cases', () => {
  const original = fixture('prog.o')
  const obj = read(original)

  it('grows a program: inserted nop shifts later relocations, symbols and line info', () => {
    const xdp = obj.programs[0]!
    const slots = [...xdp.slots.slice(0, 4), insn(0x05), ...xdp.slots.slice(4)]
    const map = Int32Array.from(xdp.slots, (_, i) => (i < 4 ? i : i + 1))
    const out = replaceProgramCode(obj, xdp, slots, map)
    if (!out.ok) throw new Error(out.error.message)
    const after = read(out.value)
    expect(after.programs[0]!.slotCount).toBe(24)
    expect(after.programs[0]!.relocations.map((r) => r.slot)).toEqual([8, 9, 16])
    const lb = extRecords(obj).get('line:xdp')!
    const la = extRecords(after).get('line:xdp')!
    expect(la).toEqual(lb.map((o) => (o >= 32 ? o + 8 : o)))
    expect(spawnSync('llvm-objdump', ['-d', '-r', '-'], { input: out.value }).status).toBe(0)
    if (!canLoad) console.log('kernel load of the grown object skipped: not root or no bpftool')
    else expect(kernelLoad(out.value, 'grown')).toEqual({ status: 0, stderr: '' })
  })

  it('line_info of removed instructions: moved by default, dropped on request', () => {
    const xdp = obj.programs[0]!
    const keep = xdp.slots.map((s) => !isNop(s))
    const lb = extRecords(obj).get('line:xdp')!
    const onNop = lb.filter((o) => isNop(xdp.slots[o / 8]!)).length
    const nextHasOwn = lb.includes(7 * 8)
    const moved = removeProgramSlots(obj, xdp, keep)
    const dropped = removeProgramSlots(obj, xdp, keep, { lineInfoOnRemoved: 'drop' })
    if (!moved.ok || !dropped.ok) throw new Error('write failed')
    expect(moved.value.slots.length).toBe(xdp.slotCount - 1)
    expect(onNop).toBe(1)
    const lm = extRecords(read(moved.value.bytes)).get('line:xdp')!
    const ld = extRecords(read(dropped.value.bytes)).get('line:xdp')!
    expect(ld.length).toBe(lb.length - 1)
    // Moving keeps the record unless the next instruction already has its own.
    expect(lm.length).toBe(nextHasOwn ? lb.length - 1 : lb.length)
    expect(lm).toContain(6 * 8)
  })

  it('editing the first of two programs in a section moves the second one', () => {
    const feat = read(fixture('features.o'))
    const a = feat.programs.find((p) => p.name === 'xdp_a')!
    const b = feat.programs.find((p) => p.name === 'xdp_b')!
    // Replace xdp_a's slot 1 and 2 (`r6 = ...`-style plain ALU/load, no relocation) by nothing.
    expect(a.relocations.some((r) => r.slot === 1 || r.slot === 2)).toBe(false)
    const out = removeProgramSlots(
      feat,
      a,
      a.slots.map((_, i) => i !== 1 && i !== 2)
    )
    if (!out.ok) throw new Error(out.error.message)
    const after = read(out.value.bytes)
    const a2 = after.programs.find((p) => p.name === 'xdp_a')!
    const b2 = after.programs.find((p) => p.name === 'xdp_b')!
    expect([a2.firstSlot, a2.slotCount, b2.firstSlot, b2.slotCount]).toEqual([
      0,
      a.slotCount - 2,
      b.firstSlot - 2,
      b.slotCount
    ])
    expect(b2.slots).toEqual(b.slots)
    expect(b2.relocations.map((r) => [r.slot, r.target])).toEqual(
      b.relocations.map((r) => [r.slot, r.target])
    )
    expect(extRecords(after).get('func:xdp')).toEqual([0, (b.firstSlot - 2) * 8])
  })

  it('refuses to drop a relocated instruction unless asked, then drops its relocation', () => {
    const bump = obj.programs.find((p) => p.name === 'bump')!
    const section = obj.sections[bump.sectionIndex]!
    const slots = sectionSlots(obj, '.text')
    const keep = slots.map((_, i) => i !== 3 && i !== 4)
    const code = remapJumps(slots, keep)
    if (!code.ok) throw new Error(code.error.message)
    const edit = {
      section: section.name,
      slots: code.value.slots,
      newIndexOf: code.value.newIndexOf
    }
    const bad = replaceSectionCode(obj.elf, edit)
    expect(bad.ok ? undefined : bad.error).toMatchObject({
      code: 'ELF_RELOCATION_ON_REMOVED_INSN',
      section: '.text',
      index: 3
    })
    const good = replaceSectionCode(obj.elf, { ...edit, dropRelocationsOnRemoved: true })
    if (!good.ok) throw new Error(good.error.message)
    const after = read(good.value)
    expect(after.programs.find((p) => p.name === 'bump')!.relocations).toEqual([])
  })

  it('a call to a removed first instruction lands on the next kept one; no code left is an error', () => {
    const slots = sectionSlots(obj, '.text')
    const edit = (keep: boolean[]): ReturnType<typeof replaceSectionCode> => {
      const code = remapJumps(slots, keep)
      if (!code.ok) throw new Error(code.error.message)
      return replaceSectionCode(obj.elf, {
        section: '.text',
        slots: code.value.slots,
        newIndexOf: code.value.newIndexOf,
        dropRelocationsOnRemoved: true
      })
    }
    // Remove mix's first instruction (a relocated ld_imm64, slots 17-18).
    const r = edit(slots.map((_, i) => i !== 17 && i !== 18))
    if (!r.ok) throw new Error(r.error.message)
    const after = read(r.value)
    expect(after.programs.find((p) => p.name === 'mix')).toMatchObject({
      firstSlot: 17,
      slotCount: 9
    })
    expect(after.programs[0]!.relocations[0]!.target).toMatchObject({
      kind: 'call',
      slot: 17,
      function: 'mix'
    })
    // Remove all of mix (the last function of .text): its callers have nowhere to land.
    const gone = edit(slots.map((_, i) => i < 17))
    expect(gone.ok ? undefined : gone.error).toMatchObject({
      code: 'ELF_CALL_TARGET_REMOVED',
      section: 'xdp'
    })
  })

  it('rejects malformed slot maps and unknown sections', () => {
    const xdp = obj.programs[0]!
    const swapped = Int32Array.from(xdp.slots, (_, i) => i)
    swapped[1] = 0
    const s = replaceSectionCode(obj.elf, {
      section: 'xdp',
      slots: [...xdp.slots],
      newIndexOf: swapped
    })
    expect(s.ok ? undefined : s.error).toMatchObject({
      code: 'FORMAT_BAD_SLOT_MAP',
      section: 'xdp'
    })
    const short = replaceSectionCode(obj.elf, {
      section: 'xdp',
      slots: [...xdp.slots],
      newIndexOf: new Int32Array(3)
    })
    expect(short.ok ? undefined : short.error.code).toBe('FORMAT_BAD_SLOT_MAP')
    const none = replaceSectionCode(obj.elf, {
      section: 'nope',
      slots: [],
      newIndexOf: new Int32Array(0)
    })
    expect(none.ok ? undefined : none.error.code).toBe('ELF_NO_SUCH_SECTION')
    const data = replaceSectionCode(obj.elf, {
      section: '.rodata',
      slots: [],
      newIndexOf: new Int32Array(2)
    })
    expect(data.ok ? undefined : data.error).toMatchObject({
      code: 'ELF_NOT_CODE',
      section: '.rodata'
    })
  })

  it('moves CO-RE records with their instruction, and drops them only when asked', () => {
    const feat = read(fixture('features.o'))
    const kp = feat.programs.find((p) => p.name === 'kp_open')!
    const coreBefore = extRecords(feat).get('core:kprobe/do_sys_open')!
    expect(coreBefore).toEqual([8])
    // Insert a nop after slot 0: the CO-RE instruction (slot 1) moves to slot 2.
    const grown = [kp.slots[0]!, insn(0x05), ...kp.slots.slice(1)]
    const grow = replaceProgramCode(
      feat,
      kp,
      grown,
      Int32Array.from(kp.slots, (_, i) => (i === 0 ? 0 : i + 1))
    )
    if (!grow.ok) throw new Error(grow.error.message)
    expect(extRecords(read(grow.value)).get('core:kprobe/do_sys_open')).toEqual([16])
    const keep = kp.slots.map((_, i) => i !== 1)
    const code = remapJumps(kp.slots, keep)
    if (!code.ok) throw new Error(code.error.message)
    const refused = replaceProgramCode(feat, kp, code.value.slots, code.value.newIndexOf)
    expect(refused.ok ? undefined : refused.error.code).toBe('ELF_RELOCATION_ON_REMOVED_INSN')
    const dropped = replaceProgramCode(feat, kp, code.value.slots, code.value.newIndexOf, {
      dropRelocationsOnRemoved: true
    })
    if (!dropped.ok) throw new Error(dropped.error.message)
    const recs = extRecords(read(dropped.value))
    expect(recs.has('core:kprobe/do_sys_open')).toBe(false)
    expect(recs.get('func:kprobe/do_sys_open')).toEqual([0])
  })
})

describe('debugInfo: clear', () => {
  it('empties DWARF and its relocations; the object still reads, disassembles and loads', () => {
    const obj = read(fixture('prog.o'))
    const xdp = obj.programs[0]!
    const keep = xdp.slots.map((s) => !isNop(s))
    const out = removeProgramSlots(obj, xdp, keep, { debugInfo: 'clear' })
    if (!out.ok) throw new Error(out.error.message)
    const after = read(out.value.bytes)
    const debug = after.sections.filter((s) => s.name.includes('.debug_'))
    expect(debug.length).toBeGreaterThan(10)
    expect(debug.every((s) => s.size === 0)).toBe(true)
    expect(after.programs.map((p) => p.slotCount)).toEqual([22, 4, 17, 11])
    expect(out.value.bytes.length).toBeLessThan(obj.elf.bytes.length - 3000)
    const dwarf = spawnSync('llvm-dwarfdump', ['--debug-info', '-'], {
      input: out.value.bytes,
      encoding: 'utf8'
    })
    expect(dwarf.status).toBe(0)
    expect(dwarf.stdout).not.toContain('DW_TAG_compile_unit')
    expect(spawnSync('llvm-objdump', ['-d', '-r', '-'], { input: out.value.bytes }).status).toBe(0)
    if (!canLoad) console.log('kernel load skipped: not root or no bpftool')
    else expect(kernelLoad(out.value.bytes, 'nodwarf')).toEqual({ status: 0, stderr: '' })
  })
})
