/** @fileoverview The llvm-objdump page layout: headers, symbol blocks, byte columns, branch annotations. */
import { describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesFromSlots, insn } from '../../src-daemon/core/isa/insn'
import {
  formatObjdumpFile,
  formatObjdumpLine,
  formatObjdumpSection
} from '../../src-daemon/core/isa/objdump-layout'
import { decodeLenient } from '../../src-daemon/core/isa/decode'
import { wrapInElf } from './support/mini-elf'
import { hasTool, objdumpRaw } from './support/objdump'

const PROGRAM = [
  insn(0x05, 0, 0, 3),
  insn(0x18, 1, 0, 0, 5),
  insn(0, 0, 0, 0, 1),
  insn(0xff),
  insn(0x15, 1, 0, -5, 0),
  insn(0x95)
]

describe('objdump layout', () => {
  it('lays out a section with symbol blocks, 16-byte lddw lines, unknown slots and annotated branches', () => {
    const text = formatObjdumpSection('xdp', PROGRAM, {
      symbols: [
        { name: 'main', offset: 0 },
        { name: 'LBB0_2', offset: 32 }
      ]
    })
    expect(text).toBe(
      'Disassembly of section xdp:\n\n' +
        '0000000000000000 <main>:\n' +
        '       0:\t05 00 03 00 00 00 00 00\tgoto +3 <LBB0_2>\n' +
        '       1:\t18 01 00 00 05 00 00 00 00 00 00 00 01 00 00 00\tr1 = 4294967301 ll\n' +
        '       3:\tff 00 00 00 00 00 00 00\t<unknown>\n' +
        '\n0000000000000020 <LBB0_2>:\n' +
        '       4:\t15 01 fb ff 00 00 00 00\tif r1 == 0 goto -5 <main>\n' +
        '       5:\t95 00 00 00 00 00 00 00\texit\n'
    )
  })

  it('formats one line without annotation and pads the index to 8 columns', () => {
    const [d] = decodeLenient([insn(0xb7, 0, 0, 0, 2)])
    if (d === undefined) throw new Error('no entry')
    expect(formatObjdumpLine({ ...d, index: 123456789 })).toBe(
      '123456789:\tb7 00 00 00 02 00 00 00\tr0 = 2'
    )
  })

  it.skipIf(!hasTool('llvm-objdump'))(
    'matches llvm-objdump for a symbol-less section (the section name stands in)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'summit-isa-'))
      try {
        writeFileSync(join(dir, 'nosym.o'), wrapInElf(bytesFromSlots(PROGRAM), 'xdp', null))
        writeFileSync(join(dir, 'sym.o'), wrapInElf(bytesFromSlots(PROGRAM), 'tc', 'cls'))
        expect(formatObjdumpFile('nosym.o', [{ name: 'xdp', slots: PROGRAM }])).toBe(
          objdumpRaw('nosym.o', [], dir)
        )
        const withSym = [{ name: 'tc', slots: PROGRAM, symbols: [{ name: 'cls', offset: 0 }] }]
        expect(formatObjdumpFile('sym.o', withSym)).toBe(objdumpRaw('sym.o', [], dir))
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
  )
})
