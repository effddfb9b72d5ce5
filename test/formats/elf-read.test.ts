/** @fileoverview Reader tests on clang-compiled fixtures and on hand-broken headers. */

import { describe, expect, it } from 'vitest'
import { readBpfObject, parseElf, R_BPF, guessProgramType } from '../../src-daemon/core/formats'
import type { BpfObject } from '../../src-daemon/core/formats'
import { fixture } from './helpers'

function read(name: string): BpfObject {
  const r = readBpfObject(fixture(name), { file: name })
  if (!r.ok) throw new Error(`${name}: ${r.error.code} ${r.error.message}`)
  return r.value
}

describe('readBpfObject on prog.o (BTF map, .rodata, .bss, bpf-to-bpf calls)', () => {
  const obj = read('prog.o')

  it('finds entry programs and .text subprograms with their slot ranges', () => {
    const summary = obj.programs.map((p) => [
      p.section,
      p.name,
      p.firstSlot,
      p.slotCount,
      p.isSubprogram
    ])
    expect(summary).toEqual([
      ['xdp', 'xdp_count', 0, 23, false],
      ['socket', 'sock_count', 0, 4, false],
      ['.text', 'bump', 0, 17, true],
      ['.text', 'mix', 17, 11, true]
    ])
    const xdp = obj.programs[0]!
    expect(xdp.progType).toEqual({ progType: 6, name: 'xdp' })
    expect(xdp.slots[0]).toEqual({ code: 0x61, dst: 2, src: 1, off: 0, imm: 0 })
    expect(xdp.slots[xdp.slotCount - 1]!.code).toBe(0x95)
  })

  it('resolves map, global-data and call relocations', () => {
    const xdp = obj.programs[0]!
    expect(xdp.relocations.map((r) => [r.slot, r.type, r.symbol, r.target])).toEqual([
      [
        7,
        R_BPF.R_64_32,
        '.text',
        { kind: 'call', section: '.text', sectionIndex: 2, slot: 17, function: 'mix' }
      ],
      [8, R_BPF.R_64_64, 'total', { kind: 'data', section: '.bss', sectionIndex: 9, offset: 0 }],
      [
        15,
        R_BPF.R_64_32,
        'bump',
        { kind: 'call', section: '.text', sectionIndex: 2, slot: 0, function: 'bump' }
      ]
    ])
    const bump = obj.programs.find((p) => p.name === 'bump')!
    expect(bump.relocations[0]!.target).toEqual({ kind: 'map', mapIndex: 0, name: 'counters' })
    const mix = obj.programs.find((p) => p.name === 'mix')!
    expect(mix.relocations.map((r) => [r.slot, r.sectionSlot, r.target])).toEqual([
      [0, 17, { kind: 'data', section: '.rodata', sectionIndex: 8, offset: 0 }],
      [5, 22, { kind: 'data', section: '.rodata', sectionIndex: 8, offset: 8 }]
    ])
  })

  it('reads the BTF map, license, BTF blobs and global data', () => {
    expect(obj.maps).toEqual([
      {
        name: 'counters',
        type: 2,
        keySize: 4,
        valueSize: 8,
        maxEntries: 4,
        flags: 0,
        pinning: 0,
        source: 'btf',
        sectionIndex: 10,
        offset: 0
      }
    ])
    expect(obj.license).toBe('GPL')
    expect(obj.btf?.length).toBeGreaterThan(100)
    expect(obj.btfExt?.length).toBeGreaterThan(100)
    expect(obj.globalData.map((g) => [g.name, g.size, g.readonly])).toEqual([
      ['.rodata', 16, true],
      ['.bss', 8, false]
    ])
    const rodata = obj.globalData[0]!.bytes
    expect(Array.from(rodata.subarray(0, 8))).toEqual([3, 0, 0, 0, 0, 0, 0, 0])
    expect(Array.from(rodata.subarray(8))).toEqual([1, 2, 3, 5, 8, 13, 21, 34])
  })
})

describe('readBpfObject on libbpf-style features.o', () => {
  const obj = read('features.o')

  it('reads ringbuf, per-CPU hash with flags, prog array, array-of-maps with inner map', () => {
    const byName = new Map(obj.maps.map((m) => [m.name, m]))
    expect(byName.get('events')).toMatchObject({
      type: 27,
      maxEntries: 4096,
      keySize: 0,
      valueSize: 0
    })
    expect(byName.get('per_cpu')).toMatchObject({
      type: 5,
      keySize: 8,
      valueSize: 4,
      maxEntries: 128,
      flags: 1
    })
    expect(byName.get('jumps')).toMatchObject({ type: 3, keySize: 4, valueSize: 4, maxEntries: 8 })
    expect(byName.get('outer')).toMatchObject({ type: 12, keySize: 4, valueSize: 4, maxEntries: 3 })
    expect(byName.get('outer')!.inner).toMatchObject({
      type: 2,
      keySize: 4,
      valueSize: 2,
      maxEntries: 2
    })
    expect(byName.get('inner')).toMatchObject({ type: 2, keySize: 4, valueSize: 2, maxEntries: 2 })
  })

  it('splits two programs in one section by their function symbols', () => {
    const xdp = obj.programs.filter((p) => p.section === 'xdp')
    expect(xdp.map((p) => [p.name, p.firstSlot, p.slotCount])).toEqual([
      ['xdp_a', 0, 22],
      ['xdp_b', 22, 16]
    ])
    const b = xdp[1]!
    expect(b.relocations.map((r) => [r.slot, r.target.kind, r.symbol])).toEqual([
      [1, 'map', 'jumps'],
      [8, 'data', 'zeroed']
    ])
  })

  it('guesses tracing program types and reads .data/.rodata/.bss', () => {
    const tp = obj.programs.find((p) => p.name === 'tp_open')!
    expect(tp.progType).toEqual({
      progType: 5,
      name: 'tracepoint',
      attachTo: 'syscalls/sys_enter_openat'
    })
    const kp = obj.programs.find((p) => p.name === 'kp_open')!
    expect(kp.progType).toEqual({ progType: 2, name: 'kprobe', attachTo: 'do_sys_open' })
    expect(kp.relocations[0]!.target).toEqual({
      kind: 'data',
      section: '.rodata',
      sectionIndex: 10,
      offset: 4
    })
    expect(obj.globalData.map((g) => g.name)).toEqual(['.data', '.rodata', '.bss'])
    expect(obj.globalData[0]!.bytes[0]).toBe(7)
  })
})

describe('readBpfObject on legacy.o (struct bpf_map_def in "maps")', () => {
  it('reads legacy maps, the version section and a legacy section name', () => {
    const obj = read('legacy.o')
    expect(
      obj.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.source])
    ).toEqual([
      ['rxcnt', 6, 4, 8, 256, 0, 'legacy'],
      ['flows', 1, 16, 4, 1024, 1, 'legacy']
    ])
    expect(obj.kernelVersion).toBe(0x050a00)
    const p = obj.programs[0]!
    expect([p.section, p.progType.name]).toEqual(['socket1', 'socket_filter'])
    expect(p.relocations.map((r) => r.target)).toEqual([
      { kind: 'map', mapIndex: 0, name: 'rxcnt' },
      { kind: 'map', mapIndex: 1, name: 'flows' }
    ])
  })
})

describe('parseElf error codes', () => {
  const good = fixture('prog.o')
  const mutate = (f: (b: Uint8Array, v: DataView) => void): Uint8Array => {
    const b = good.slice()
    f(b, new DataView(b.buffer))
    return b
  }
  const code = (b: Uint8Array): string => {
    const r = parseElf(b, { file: 'x.o' })
    return r.ok ? 'ok' : r.error.code
  }

  it('accepts the fixture and names the file in errors', () => {
    expect(code(good)).toBe('ok')
    const r = parseElf(good.subarray(0, 10), { file: 'x.o' })
    expect(r.ok ? undefined : r.error).toMatchObject({ code: 'ELF_TRUNCATED', file: 'x.o' })
  })

  it('rejects bad magic, class, byte order and machine', () => {
    expect(code(mutate((b) => (b[1] = 0x46)))).toBe('ELF_BAD_MAGIC')
    expect(code(new TextEncoder().encode('hello world'))).toBe('ELF_BAD_MAGIC')
    expect(code(mutate((b) => (b[4] = 1)))).toBe('ELF_NOT_64BIT')
    expect(code(mutate((b) => (b[5] = 2)))).toBe('ELF_NOT_LITTLE_ENDIAN')
    expect(code(mutate((_, v) => v.setUint16(18, 62, true)))).toBe('ELF_WRONG_MACHINE')
  })

  it('rejects section headers and contents outside the file', () => {
    expect(code(mutate((_, v) => v.setUint32(40, good.length + 8, true)))).toBe(
      'ELF_SECTION_OUT_OF_RANGE'
    )
    expect(code(good.subarray(0, good.length - 10))).toBe('ELF_TRUNCATED')
    const shoff = Number(new DataView(good.buffer, good.byteOffset).getBigUint64(40, true))
    // Section 2 (.text): push its offset past the end of the file.
    expect(code(mutate((_, v) => v.setUint32(shoff + 2 * 64 + 24, good.length, true)))).toBe(
      'ELF_SECTION_OUT_OF_RANGE'
    )
  })

  it('rejects a huge .bss instead of allocating it', () => {
    const elf = parseElf(good)
    if (!elf.ok) throw new Error('fixture')
    const bss = elf.value.sections.find((s) => s.name === '.bss')!
    const b = mutate((_, v) =>
      v.setBigUint64(elf.value.shoff + bss.index * 64 + 32, 1n << 40n, true)
    )
    const r = readBpfObject(b)
    expect(r.ok ? undefined : r.error).toMatchObject({
      code: 'ELF_SECTION_OUT_OF_RANGE',
      section: '.bss'
    })
  })

  it('rejects bad symbols and relocations', () => {
    const elf = parseElf(good)
    if (!elf.ok) throw new Error('fixture')
    const symtab = elf.value.sections[elf.value.symtabIndex]!
    const rel = elf.value.sections.find((s) => s.name === '.relxdp')!
    // Symbol 1 refers to a missing section.
    expect(code(mutate((_, v) => v.setUint16(symtab.offset + 24 + 6, 900, true)))).toBe(
      'ELF_BAD_SYMBOL'
    )
    // Symbol 1 name offset beyond the string table.
    expect(code(mutate((_, v) => v.setUint32(symtab.offset + 24, 0xfffff, true)))).toBe(
      'ELF_BAD_SYMBOL'
    )
    // Relocation 0 refers to a missing symbol, then patches past its section.
    expect(code(mutate((_, v) => v.setUint32(rel.offset + 12, 5000, true)))).toBe(
      'ELF_BAD_RELOCATION'
    )
    expect(code(mutate((_, v) => v.setUint32(rel.offset, 0x10000, true)))).toBe(
      'ELF_BAD_RELOCATION'
    )
  })

  it('reports a misaligned function symbol as ELF_BAD_SYMBOL at the BPF level', () => {
    const elf = parseElf(good)
    if (!elf.ok) throw new Error('fixture')
    const symtab = elf.value.sections[elf.value.symtabIndex]!
    const mix = elf.value.symbols.find((s) => s.name === 'mix')!
    const b = mutate((_, v) => v.setUint32(symtab.offset + mix.index * 24 + 8, 0x83, true))
    const r = readBpfObject(b, { file: 'p.o' })
    expect(r.ok ? undefined : r.error).toMatchObject({
      code: 'ELF_BAD_SYMBOL',
      section: '.text',
      file: 'p.o'
    })
  })
})

describe('guessProgramType', () => {
  it('follows libbpf section-name conventions', () => {
    const g = (s: string): string => guessProgramType(s).name
    expect(g('xdp')).toBe('xdp')
    expect(g('xdp/foo')).toBe('xdp')
    expect(g('tc')).toBe('sched_cls')
    expect(g('classifier/ingress')).toBe('sched_cls')
    expect(g('socket')).toBe('socket_filter')
    expect(g('tracepoint/syscalls/sys_enter_open')).toBe('tracepoint')
    expect(g('tp/x/y')).toBe('tracepoint')
    expect(g('kretprobe/tcp_v4_connect')).toBe('kprobe')
    expect(g('ksyscall/tgkill')).toBe('kprobe')
    expect(g('kretsyscall/kill')).toBe('kprobe')
    expect(g('raw_tracepoint/sys_enter')).toBe('raw_tracepoint')
    expect(g('cgroup_skb/ingress')).toBe('cgroup_skb')
    expect(g('fentry/do_unlinkat')).toBe('tracing')
    expect(g('.text')).toBe('unknown')
    expect(g('tpx')).toBe('unknown')
  })
})
