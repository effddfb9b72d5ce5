/** @fileoverview Fuzzes the ELF/BPF readers: truncations, byte flips and bad offsets must give Results, never throw. */

import { describe, expect, it } from 'vitest'
import {
  linkProgram,
  parseBtfExt,
  parseElf,
  readBpfObject,
  replaceSectionCode,
  sectionBytes
} from '../../src-daemon/core/formats'
import { slotsFromBytes } from '../../src-daemon/core/isa/insn'
import { fixture, prng } from './helpers'

const SEEDS = { flips: 0x5eed1, headers: 0x5eed2 }

/** Runs the reader; any exception fails the test with the input's description. */
function mustReturn(bytes: Uint8Array, what: string, rewrite = false): boolean {
  try {
    const r = readBpfObject(bytes, { file: what })
    if (!r.ok) {
      // Plain checks (expect() is too slow for tens of thousands of calls).
      if (!/^[A-Z0-9_]+$/.test(r.error.code) || r.error.file !== what)
        throw new Error(`bad diagnostic for ${what}: ${JSON.stringify(r.error)}`)
      return false
    }
    // Whatever parsed must survive .BTF.ext parsing and (when asked) an identity rewrite of its code.
    if (r.value.btfExt) parseBtfExt(r.value.btfExt)
    for (const p of r.value.programs) if (!p.isSubprogram) linkProgram(r.value, p)
    if (!rewrite) return true
    for (const s of r.value.sections) {
      if ((s.flags & 4) === 0 || s.size % 8 !== 0 || s.type !== 1) continue
      const slots = slotsFromBytes(sectionBytes(r.value.elf, s))
      replaceSectionCode(r.value.elf, {
        section: s.index,
        slots,
        newIndexOf: Int32Array.from(slots, (_, i) => i)
      })
    }
    return true
  } catch (e) {
    throw new Error(`reader threw on ${what}: ${String(e)}`)
  }
}

describe('ELF reader fuzz', () => {
  const objects = ['prog.o', 'features.o', 'legacy.o', 'callbacks.o'].map(
    (n) => [n, fixture(n)] as const
  )

  const structural = new Map(
    objects.map(([name, bytes]) => {
      const elf = parseElf(bytes)
      if (!elf.ok) throw new Error(name)
      const interesting = elf.value.sections.filter(
        (x) =>
          x.size > 0 &&
          x.type !== 8 &&
          !x.name.startsWith('.debug') &&
          !x.name.startsWith('.rel.debug')
      )
      const ranges: [number, number][] = [
        [0, 64],
        [elf.value.shoff, elf.value.sections.length * 64],
        ...interesting.map((x): [number, number] => [x.offset, x.size])
      ]
      return [name, ranges] as const
    })
  )

  it('never throws or hangs on truncations, byte flips and corrupted header fields', () => {
    const started = Date.now()
    let iterations = 0
    let accepted = 0
    // 1. Every truncation length of every fixture.
    for (const [name, bytes] of objects) {
      for (let len = 0; len < bytes.length; len++) {
        if (mustReturn(bytes.subarray(0, len), `${name}[0:${len}]`)) accepted++
        iterations++
      }
    }
    const truncations = iterations
    const truncMs = Date.now() - started
    // 2. Random byte changes (1-8 bytes): half anywhere, half in the structures the reader
    // interprets (ELF header, section headers, symbols, relocations, BTF, .BTF.ext, maps, code).
    const rnd = prng(SEEDS.flips)
    for (let i = 0; i < 1500; i++) {
      const [name, orig] = objects[i % objects.length]!
      const ranges = structural.get(name)!
      const b = orig.slice()
      const n = 1 + rnd.below(8)
      for (let k = 0; k < n; k++) {
        const [from, len] = i % 2 === 0 ? [0, b.length] : ranges[rnd.below(ranges.length)]!
        b[from + rnd.below(len)] = rnd.below(256)
      }
      if (mustReturn(b, `${name}+flip#${i}`, i % 10 === 0)) accepted++
      iterations++
    }
    // 3. Section header fields (offset, size, link, info, entsize) set to hostile values.
    const hr = prng(SEEDS.headers)
    const hostile = [0, 1, 7, 0xffffffff, 0x7fffffff, 0x100000000, 2 ** 53, 2 ** 60]
    for (let i = 0; i < 1500; i++) {
      const [name, orig] = objects[i % objects.length]!
      const b = orig.slice()
      const v = new DataView(b.buffer)
      const shoff = Number(v.getBigUint64(40, true))
      const shnum = v.getUint16(60, true)
      const sec = hr.below(shnum)
      const field = [24, 32, 40, 44, 56, 8][hr.below(6)]!
      const value = hostile[hr.below(hostile.length)]!
      if (field === 40 || field === 44) v.setUint32(shoff + sec * 64 + field, value >>> 0, true)
      else v.setBigUint64(shoff + sec * 64 + field, BigInt(value), true)
      if (hr.below(4) === 0) v.setUint16(60, hr.below(0x10000), true) // e_shnum
      if (hr.below(8) === 0) v.setBigUint64(40, BigInt(hostile[hr.below(hostile.length)]!), true) // e_shoff
      if (mustReturn(b, `${name}+hdr#${i}`, i % 10 === 0)) accepted++
      iterations++
    }
    const ms = Date.now() - started
    console.log(
      `ELF fuzz: ${iterations} inputs (${truncations} truncations in ${truncMs} ms), ${accepted} accepted, ` +
        `${ms} ms in all, never threw`
    )
    expect(iterations).toBeGreaterThan(10000)
    // A hang guard: about 3 s on an idle machine; generous because the machine is shared.
    expect(ms).toBeLessThan(30000)
    // Only the full files (and flips in bytes the reader ignores) parse.
    expect(accepted).toBeGreaterThan(0)
  })
})
