/** @fileoverview ELF writer tests: identity writes and removing instructions, checked by objdump and the kernel. */

import { execFileSync, spawnSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { replaceSectionCode } from '../../src-daemon/core/formats'
import { afterAll, describe, expect, it } from 'vitest'
import {
  canLoad,
  checkBtfExtRelocations,
  extRecords,
  isNop,
  kernelLoad,
  read,
  removeNops,
  removeWorkDir,
  sectionSlots,
  work
} from './elf-helpers'
import { fixture } from './helpers'

afterAll(removeWorkDir)

describe('replaceSectionCode: identity', () => {
  it.each(['prog.o', 'features.o', 'legacy.o', 'callbacks.o'])(
    '%s: unchanged code gives byte-identical output',
    (name) => {
      const bytes = fixture(name)
      const obj = read(bytes, name)
      for (const s of obj.sections.filter((x) => (x.flags & 4) !== 0 && x.size > 0)) {
        const slots = sectionSlots(obj, s.name)
        const out = replaceSectionCode(obj.elf, {
          section: s.name,
          slots,
          newIndexOf: Int32Array.from(slots, (_, i) => i)
        })
        expect(out.ok && Buffer.from(out.value).equals(Buffer.from(bytes))).toBe(true)
      }
    }
  )
})

describe('replaceSectionCode: removing the two `goto +0` of prog.o', () => {
  const original = fixture('prog.o')
  const before = read(original)
  const afterXdp = removeNops(original, 'xdp')
  const out = removeNops(afterXdp, '.text')
  const after = read(out, 'out.o')
  const outPath = join(work, 'out.o')
  writeFileSync(outPath, out)

  it('re-reads with shorter programs, moved functions and fixed calls', () => {
    expect(before.programs.map((p) => [p.name, p.firstSlot, p.slotCount])).toEqual([
      ['xdp_count', 0, 23],
      ['sock_count', 0, 4],
      ['bump', 0, 17],
      ['mix', 17, 11]
    ])
    expect(after.programs.map((p) => [p.name, p.firstSlot, p.slotCount])).toEqual([
      ['xdp_count', 0, 22],
      ['sock_count', 0, 4],
      ['bump', 0, 16],
      ['mix', 16, 11]
    ])
    expect(out.length).toBeLessThan(original.length)
    const xdp = after.programs[0]!
    expect(xdp.slots.some(isNop)).toBe(false)
    // The call through the .text section symbol now lands on mix's new first slot.
    expect(xdp.relocations.map((r) => [r.slot, r.target])).toEqual([
      [6, { kind: 'call', section: '.text', sectionIndex: 2, slot: 16, function: 'mix' }],
      [7, { kind: 'data', section: '.bss', sectionIndex: 9, offset: 0 }],
      [14, { kind: 'call', section: '.text', sectionIndex: 2, slot: 0, function: 'bump' }]
    ])
    expect(xdp.slots[6]!.imm).toBe(15)
    // bump's pc-relative call to mix and its branch over the removed nop were remapped.
    const bump = after.programs.find((p) => p.name === 'bump')!
    expect(bump.slots[10]).toMatchObject({ code: 0x85, src: 1, imm: 5 })
    expect(bump.slots[8]).toMatchObject({ code: 0x15, off: 6 })
    expect(after.maps).toEqual(before.maps)
    expect(after.btf).toEqual(before.btf)
  })

  it('keeps .BTF.ext func_info/line_info consistent with the new code', () => {
    const b = extRecords(before)
    const a = extRecords(after)
    expect(b.get('func:.text')).toEqual([0, 17 * 8])
    expect(a.get('func:.text')).toEqual([0, 16 * 8])
    expect(a.get('func:xdp')).toEqual([0])
    for (const [key, offs] of a) {
      if (!key.startsWith('line:')) continue
      const sec = key.slice(5)
      const size = after.sections.find((s) => s.name === sec)!.size
      for (let i = 0; i < offs.length; i++) {
        expect(offs[i]! % 8).toBe(0)
        expect(offs[i]!).toBeLessThan(size)
        if (i > 0) expect(offs[i]!).toBeGreaterThan(offs[i - 1]!)
      }
    }
    // Nothing was lost except records on the removed instructions.
    const lines = (m: Map<string, number[]>, s: string): number => m.get(`line:${s}`)!.length
    expect(lines(a, 'socket')).toBe(lines(b, 'socket'))
    expect(lines(b, 'xdp') - lines(a, 'xdp')).toBeLessThanOrEqual(1)
    expect(checkBtfExtRelocations(before)).toBeGreaterThan(0)
    expect(checkBtfExtRelocations(after)).toBe(
      [...a.entries()].filter(([k]) => !k.startsWith('core')).reduce((n, [, v]) => n + v.length, 0)
    )
  })

  it('disassembles with llvm-objdump -d -r', () => {
    const text = execFileSync('llvm-objdump', ['-d', '-r', outPath], { encoding: 'utf8' })
    expect(text).toContain('<xdp_count>:')
    expect(text).toContain('<mix>:')
    expect(text).toMatch(/call 15\n\s+0000000000000030:\s+R_BPF_64_32\s+\.text/)
    expect(text).not.toContain('goto +0')
  })

  it('loads into the kernel with bpftool and behaves like the original', (ctx) => {
    const uid = process.getuid?.() ?? -1
    const hasBpftool = spawnSync('bpftool', ['version']).status === 0
    if (uid !== 0 || !hasBpftool) {
      console.log(`skipped kernel load: ${uid !== 0 ? 'not root' : 'no bpftool'}`)
      ctx.skip()
      return
    }
    const pkt = join(work, 'pkt.bin')
    writeFileSync(pkt, new Uint8Array(64).fill(0x11))
    const run = (obj: string, tag: string): { ret: string; xlated: string } => {
      const pin = `/sys/fs/bpf/summit_test_formats_${process.pid}_${tag}`
      try {
        const load = spawnSync('bpftool', ['prog', 'loadall', obj, pin], { encoding: 'utf8' })
        expect(load.stderr).not.toMatch(/BTF is optional|error/i)
        expect(load.status).toBe(0)
        const res = execFileSync(
          'bpftool',
          ['prog', 'run', 'pinned', `${pin}/xdp_count`, 'data_in', pkt],
          {
            encoding: 'utf8'
          }
        )
        const xlated = execFileSync(
          'bpftool',
          ['prog', 'dump', 'xlated', 'pinned', `${pin}/xdp_count`],
          {
            encoding: 'utf8'
          }
        )
        return { ret: /Return value: (\d+)/.exec(res)?.[1] ?? res, xlated }
      } finally {
        rmSync(pin, { recursive: true, force: true })
      }
    }
    const origPath = join(work, 'orig.o')
    writeFileSync(origPath, original)
    const a = run(origPath, 'orig')
    const b = run(outPath, 'out')
    expect(b.ret).toBe(a.ret)
    expect(b.ret).toBe('2')
    // line_info survived: the translated dump shows source lines.
    expect(b.xlated).toContain('total += mix(len);')
    // The verifier itself drops `goto +0`, so the translated programs have the same length.
    const count = (t: string): number => t.split('\n').filter((l) => /^\s*\d+: \(/.test(l)).length
    expect(count(b.xlated)).toBe(count(a.xlated))
    expect(count(b.xlated)).toBeGreaterThan(40)
  })
})

describe('replaceSectionCode on callbacks.o (function pointer, kconfig extern)', () => {
  const original = fixture('callbacks.o')
  const before = read(original)

  it('reads the callback pointer, the extern and the string section', () => {
    const tc = before.programs[0]!
    expect([tc.name, tc.progType.name]).toEqual(['tc_loop', 'sched_cls'])
    expect(tc.relocations.map((r) => [r.slot, r.target.kind, r.symbol])).toEqual([
      [6, 'function', '.text'],
      [10, 'extern', 'LINUX_KERNEL_VERSION'],
      [15, 'data', 'sum'],
      [27, 'data', '.rodata'],
      [33, 'call', '.text']
    ])
    expect(before.globalData.map((g) => g.name)).toEqual(['.bss', '.rodata.str1.1', '.rodata'])
  })

  it('removing the first instruction of a callback and of a callee keeps pointers, calls and the kernel happy', () => {
    const out = removeNops(original, '.text')
    const after = read(out)
    expect(after.programs.map((p) => [p.name, p.firstSlot, p.slotCount])).toEqual([
      ['tc_loop', 0, 36],
      ['add_one', 0, 7],
      ['square', 7, 1]
    ])
    const tc = after.programs[0]!
    expect(tc.slots[6]!.imm).toBe(0) // &add_one: still .text+0
    expect(tc.relocations[4]!.target).toMatchObject({ kind: 'call', slot: 7, function: 'square' })
    expect(tc.slots[33]!.imm).toBe(6)
    expect(extRecords(after).get('func:.text')).toEqual([0, 7 * 8])
    if (!canLoad) {
      console.log('kernel load of callbacks skipped: not root or no bpftool')
      return
    }
    expect(kernelLoad(out, 'callbacks')).toEqual({ status: 0, stderr: '' })
  })
})
