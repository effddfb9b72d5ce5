/** @fileoverview Objects with ELF machine 0 (EM_NONE, from old clangs): read when their content is BPF, refused otherwise. */

import { describe, expect, it } from 'vitest'
import { readBpfObject, type BpfObject } from '../../src-daemon/core/formats'
import { fixture } from './helpers'

/** `prog.o` with its machine field set to 0 and `edit` applied to the bytes. */
function emNone(edit: (bytes: Uint8Array, obj: BpfObject) => void = () => undefined): Uint8Array {
  const bytes = fixture('prog.o').slice()
  const obj = readBpfObject(bytes)
  if (!obj.ok) throw new Error(obj.error.message)
  new DataView(bytes.buffer).setUint16(18, 0, true)
  edit(bytes, obj.value)
  return bytes
}

describe('EM_NONE objects', () => {
  it('read like EM_BPF ones when their code and relocations are BPF', () => {
    const bpf = readBpfObject(fixture('prog.o'))
    const none = readBpfObject(emNone(), { file: 'old.o' })
    if (!bpf.ok || !none.ok) throw new Error('read failed')
    expect(none.value.elf.machine).toBe(0)
    expect(none.value.programs.map((p) => [p.name, p.slots])).toEqual(
      bpf.value.programs.map((p) => [p.name, p.slots])
    )
    expect(none.value.maps).toEqual(bpf.value.maps)
  })

  it('are refused, naming the section and slot, when a code slot is not a BPF instruction', () => {
    const bytes = emNone((b, obj) => {
      const xdp = obj.sections.find((s) => s.name === 'xdp')!
      b[xdp.offset + 3 * 8] = 0xff // slot 3 gets an opcode BPF does not have
    })
    const r = readBpfObject(bytes, { file: 'x86.o' })
    expect(r.ok ? undefined : r.error).toMatchObject({
      code: 'ELF_WRONG_MACHINE',
      file: 'x86.o',
      section: 'xdp',
      index: 3
    })
    expect(r.ok ? '' : r.error.message).toMatch(/^machine 0 \(EM_NONE\) and not BPF content/)
  })

  it('are refused when a code relocation is not BPF relocation of its instruction', () => {
    const bytes = emNone((b, obj) => {
      const rel = obj.sections.find((s) => s.name === '.relxdp')!
      new DataView(b.buffer).setUint32(rel.offset + 8, 2, true) // R_BPF_64_ABS64 on code
    })
    const r = readBpfObject(bytes)
    expect(r.ok ? undefined : r.error).toMatchObject({ code: 'ELF_WRONG_MACHINE', section: 'xdp' })
    expect(r.ok ? '' : r.error.message).toContain('relocation type 2')
  })

  it('other machines stay refused', () => {
    const bytes = fixture('prog.o').slice()
    new DataView(bytes.buffer).setUint16(18, 62, true)
    const r = readBpfObject(bytes)
    expect(r.ok ? undefined : r.error.message).toBe('machine 62 is not BPF (247)')
  })
})

describe('EM_NONE objects from old clangs', () => {
  it('take relocation type 0 on a ld_imm64 as the map or data reference old loaders saw', () => {
    const bpf = readBpfObject(fixture('prog.o'))
    if (!bpf.ok) throw new Error(bpf.error.message)
    const bytes = emNone((b, obj) => {
      const view = new DataView(b.buffer)
      for (const t of obj.elf.relocations) {
        if ((obj.sections[t.targetIndex]!.flags & 4) === 0) continue
        const rel = obj.sections[t.sectionIndex]!
        t.entries.forEach((e, k) => {
          if (e.type === 1) view.setUint32(rel.offset + k * 16 + 8, 0, true)
        })
      }
    })
    const old = readBpfObject(bytes)
    if (!old.ok) throw new Error(old.error.message)
    const targets = (o: BpfObject): unknown[] =>
      o.programs.flatMap((p) => p.relocations.map((r) => [p.name, r.slot, r.target]))
    expect(targets(old.value)).toEqual(targets(bpf.value))
    expect(old.value.programs.flatMap((p) => p.relocations.map((r) => r.type))).toContain(0)
  })
})
