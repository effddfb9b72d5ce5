/** @fileoverview uBPF syntax: exact texts per instruction family, and the mnemonics the conformance corpus uses. */
import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { insn, type Insn } from '../../src-daemon/core/isa/insn'
import { OPS } from '../../src-daemon/core/isa/opcodes'
import { decodeLenient } from '../../src-daemon/core/isa/decode'
import { ubpfText } from '../../src-daemon/core/isa/disasm-ubpf'
import { disasmSlots } from '../../src-daemon/core/isa/disasm'

function texts(slots: Insn[]): string[] {
  return decodeLenient(slots).map(ubpfText)
}

describe('ubpf syntax', () => {
  it('prints each instruction family in the corpus style', () => {
    const cases: [Insn[], string][] = [
      [[insn(0xb4, 0, 0, 0, 0)], 'mov32 %r0, 0'],
      [[insn(0xb7, 0, 0, 0, -1)], 'mov %r0, -1'],
      [[insn(0x0f, 1, 2)], 'add %r1, %r2'],
      [[insn(0x3c, 1, 2, 1)], 'sdiv32 %r1, %r2'],
      [[insn(0x97, 1, 0, 1, 3)], 'smod %r1, 3'],
      [[insn(0x84, 3)], 'neg32 %r3'],
      [[insn(0x87, 3)], 'neg %r3'],
      [[insn(0xbc, 2, 1, 8)], 'movsx832 %r2, %r1'],
      [[insn(0xbf, 0, 9, 32)], 'movsx3264 %r0, %r9'],
      [[insn(0xdc, 0, 0, 0, 16)], 'be16 %r0'],
      [[insn(0xd4, 0, 0, 0, 64)], 'le64 %r0'],
      [[insn(0xd7, 0, 0, 0, 32)], 'bswap32 %r0'],
      [[insn(0x79, 0, 1, 8)], 'ldxdw %r0, [%r1+8]'],
      [[insn(0x71, 0, 1, 0)], 'ldxb %r0, [%r1]'],
      [[insn(0x91, 0, 10, -1)], 'ldxsb %r0, [%r10-1]'],
      [[insn(0x7b, 10, 0, -8)], 'stxdw [%r10-8], %r0'],
      [[insn(0x72, 10, 0, -1, 0x80)], 'stb [%r10-1], 128'],
      [[insn(0x5d, 0, 1, 3)], 'jne %r0, %r1, +3'],
      [[insn(0x56, 2, 0, -2, -128)], 'jne32 %r2, -128, -2'],
      [[insn(0x05, 0, 0, -1)], 'ja -1'],
      [[insn(0x06, 0, 0, 0, 4)], 'ja32 +4'],
      [[insn(0x85, 0, 0, 0, 5)], 'call 5'],
      [[insn(0x85, 0, 1, 0, 12)], 'call local +12'],
      [[insn(0x85, 0, 2, 0, 77)], 'call kfunc 77'],
      [[insn(0x95)], 'exit'],
      [
        [insn(0x18, 0, 0, 0, 0x55667788), insn(0, 0, 0, 0, 0x11223344)],
        'lddw %r0, 0x1122334455667788'
      ],
      [[insn(0x18, 1, 0, 0, -1), insn(0, 0, 0, 0, -1)], 'lddw %r1, 0xffffffffffffffff'],
      [[insn(0x18, 1, 1, 0, 3), insn(0)], 'lddw %r1, map_fd 3'],
      [[insn(0x18, 1, 2, 0, 3), insn(0, 0, 0, 0, 16)], 'lddw %r1, map_value 3, 16'],
      [[insn(0x28, 0, 0, 0, 12)], 'ldabsh 12'],
      [[insn(0x40, 0, 2, 0, 14)], 'ldindw %r2, 14'],
      [[insn(0xdb, 10, 1, -8, 0x00)], 'lock add [%r10-8], %r1'],
      [[insn(0xc3, 10, 1, -8, 0x41)], 'lock fetch or32 [%r10-8], %r1'],
      [[insn(0xdb, 10, 1, -8, 0xe1)], 'lock xchg [%r10-8], %r1'],
      [[insn(0xc3, 10, 1, -8, 0xf1)], 'lock cmpxchg32 [%r10-8], %r1'],
      [[insn(0xff)], '.unknown']
    ]
    for (const [slots, want] of cases) expect(texts(slots)).toEqual([want])
  })

  it('uses only mnemonics that the conformance corpus itself uses (besides the documented extensions)', () => {
    const dir = new URL('../data/conformance/tests/', import.meta.url)
    const vocabulary = new Set<string>()
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.data'))) {
      const text = readFileSync(new URL(f, dir), 'utf8')
      const asm = /-- asm\n([\s\S]*?)(\n--|$)/.exec(text)?.[1] ?? ''
      for (const line of asm.split('\n')) {
        const words = line.replace(/#.*/, '').trim().split(/\s+/)
        if (words[0] === undefined || words[0] === '' || words[0].endsWith(':')) continue
        // `lock` and `call` take a sub-mnemonic: keep it, as in `lock fetch add32`.
        const head =
          words[0] === 'lock' ? words.slice(0, words[1] === 'fetch' ? 3 : 2).join(' ') : words[0]
        vocabulary.add(head === 'call' && words[1] === 'local' ? 'call local' : head)
      }
    }
    const extensions = new Set([
      'call kfunc',
      'ldabsb',
      'ldabsh',
      'ldabsw',
      'ldindb',
      'ldindh',
      'ldindw'
    ])
    const missing = new Set<string>()
    let seen = 0
    for (const row of OPS) {
      const f = {
        dst: 1,
        src: 2,
        off: row.kind === 'alu' ? 0 : 4,
        imm: row.kind === 'end' ? 16 : 3
      }
      if (row.match) f[row.match.field] = row.match.value
      for (const z of row.zero) f[z] = 0
      const slots = [insn(row.code, f.dst, f.src, f.off, f.imm)]
      if (row.kind === 'lddw') slots.push(insn(0))
      const r = disasmSlots(slots, 'ubpf')
      if (!r.ok) throw new Error(r.error.message)
      const text = r.value[0] ?? ''
      const words = text.split(/[ ,]+/)
      let head = words[0] ?? ''
      if (head === 'lock') head = words.slice(0, words[1] === 'fetch' ? 3 : 2).join(' ')
      if (head === 'call' && (words[1] === 'local' || words[1] === 'kfunc'))
        head = `call ${words[1]}`
      if (row.kind === 'lddw' && row.pseudo !== 'imm64') continue // documented pseudo-source extension
      seen++
      if (!vocabulary.has(head) && !extensions.has(head)) missing.add(`${row.name}: ${text}`)
    }
    expect([...missing]).toEqual([])
    expect(seen).toBeGreaterThan(150)
  })
})
