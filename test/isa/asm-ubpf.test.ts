/**
 * @fileoverview The uBPF-syntax assembler: every form and alias, label rules (including the
 * bpf_conformance implicit `exit` label), error codes with lines, syntax detection, and every
 * opcode-table row round-tripping through the uBPF and LLVM disassemblers.
 */
import { describe, expect, it } from 'vitest'
import { assemble, detectSyntax } from '../../src-daemon/core/isa/asm'
import { bytesFromSlots, insn, type Insn } from '../../src-daemon/core/isa/insn'
import { OPS, type OpSpec } from '../../src-daemon/core/isa/opcodes'
import { disasmSlots } from '../../src-daemon/core/isa/disasm'

const hex = (slots: readonly Insn[]): string => Buffer.from(bytesFromSlots(slots)).toString('hex')

function ubpf(text: string): string {
  const r = assemble(text, 'ubpf')
  return r.ok ? hex(r.value) : `${r.error.code}@${r.error.line}`
}

/** uBPF lines and their encodings (checked against bpf_conformance's own assembler). */
const FORMS: [string, string][] = [
  ['mov32 %r0, 0', 'b400000000000000'],
  ['mov %r1, -1', 'b7010000ffffffff'],
  ['add64 %r1, %r2', '0f21000000000000'],
  ['sub32 %r1, 0xffffffff', '14010000ffffffff'],
  ['sdiv32 %r1, -3', '34010100fdffffff'],
  ['smod %r1, %r2', '9f21010000000000'],
  ['neg %r3', '8703000000000000'],
  ['neg32 %r3', '8403000000000000'],
  ['arsh32 %r1, 3', 'c401000003000000'],
  ['movsx832 %r0, %r1', 'bc10080000000000'],
  ['movsx1664 %r0, %r1', 'bf10100000000000'],
  ['movsx3264 %r0, %r9', 'bf90200000000000'],
  ['be16 %r0', 'dc00000010000000'],
  ['le64 %r2', 'd402000040000000'],
  ['bswap32 %r1', 'd701000020000000'],
  ['swap16 %r1', 'd701000010000000'],
  ['ldxdw %r0, [%r1+8]', '7910080000000000'],
  ['ldxb %r0, [%r1]', '7110000000000000'],
  ['ldxh %r0, [%r1 + 0x10]', '6910100000000000'],
  ['ldxsw %r0, [%r10-4]', '81a0fcff00000000'],
  ['ldxsb %r0, [%r1+0xffff]', '9110ffff00000000'],
  ['stxw [%r10-4], %r1', '631afcff00000000'],
  ['stdw [%r10-8], -5', '7a0af8fffbffffff'],
  ['stb [%r1+2], 0x7f', '720102007f000000'],
  ['jeq %r1, 0x5, +2', '1501020005000000'],
  ['jsgt32 %r1, %r2, -1', '6e21ffff00000000'],
  ['jset %r1, 1, 3', '4501030001000000'],
  ['ja +1', '0500010000000000'],
  ['ja32 -2', '06000000feffffff'],
  ['lddw %r0, 0x1122334455667788', '18000000887766550000000044332211'],
  ['lddw %r1, -2', '18010000feffffff00000000ffffffff'],
  ['lddw %r1, 18446744073709551615', '18010000ffffffff00000000ffffffff'],
  ['lddw %r1, map_fd 3', '1811000003000000' + '0000000000000000'],
  ['lddw %r1, map_value 3, 16', '1821000003000000' + '0000000010000000'],
  ['ldabsw 0x10', '2000000010000000'],
  ['ldindh %r3, 4', '4830000004000000'],
  ['call 5', '8500000005000000'],
  ['call helper 5', '8500000005000000'],
  ['call runtime 7', '8520000007000000'],
  ['call kfunc 7', '8520000007000000'],
  ['call local +2', '8510000002000000'],
  ['lock add [%r10-8], %r1', 'db1af8ff00000000'],
  ['lock add32 [%r10-4], %r1', 'c31afcff00000000'],
  ['lock fetch or [%r10-8], %r3', 'db3af8ff41000000'],
  ['lock xchg32 [%r10-8], %r1', 'c31af8ffe1000000'],
  ['lock cmpxchg [%r10-8], %r1', 'db1af8fff1000000'],
  ['exit', '9500000000000000'],
  ['EXIT', '9500000000000000']
]

describe('uBPF syntax', () => {
  it('encodes every form, alias and number style', () => {
    for (const [text, want] of FORMS) expect(ubpf(text), text).toBe(want)
  })

  it('resolves labels before and after use, on their own line or before an instruction', () => {
    const text =
      'start: mov %r0, 1\njne %r0, 1, done\nja start\ndone:\n  lddw %r1, 1\n  call local f\nf: exit'
    expect(ubpf(text)).toBe(
      [
        'b700000001000000',
        '5500010001000000',
        '0500fdff00000000',
        '18010000010000000000000000000000',
        '8510000000000000',
        '9500000000000000'
      ].join('')
    )
  })

  it('lets `exit` name the first exit instruction unless a label `exit` is defined', () => {
    expect(ubpf('ja exit\nmov %r0, 1\nexit\nexit')).toBe(
      '0500010000000000b70000000100000095000000000000009500000000000000'
    )
    expect(ubpf('ja exit\nexit\nexit:\nexit')).toBe(
      '050001000000000095000000000000009500000000000000'
    )
    expect(assemble('ja exit\nexit', 'llvm').ok).toBe(false)
  })

  it('rejects bad input with stable codes and the line', () => {
    const cases: [string, string][] = [
      ['mov %r0, 1\nldxq %r0, %r1', 'ASM_UNKNOWN_MNEMONIC@2'],
      ['or %r0, %r50', 'ASM_BAD_REGISTER@1'],
      ['mov %r11, 1', 'ASM_BAD_REGISTER@1'],
      ['mov r1, 1', 'ASM_BAD_REGISTER@1'],
      ['mov %r1', 'ASM_BAD_OPERAND_COUNT@1'],
      ['exit %r0', 'ASM_BAD_OPERAND_COUNT@1'],
      ['lock', 'ASM_BAD_OPERAND_COUNT@1'],
      ['lock or [%r10-8]', 'ASM_BAD_OPERAND_COUNT@1'],
      ['lock nand [%r10-8], %r1', 'ASM_UNKNOWN_MNEMONIC@1'],
      ['mov32 %r0, 2147483648', 'ASM_IMM_OUT_OF_RANGE@1'],
      ['mov32 %r0, -2147483649', 'ASM_IMM_OUT_OF_RANGE@1'],
      ['mov32 %r0, 0x100000000', 'ASM_IMM_OUT_OF_RANGE@1'],
      ['lddw %r0, 0x10000000000000000', 'ASM_IMM_OUT_OF_RANGE@1'],
      ['ldxb %r0, [%r1+0x10000]', 'ASM_OFFSET_OUT_OF_RANGE@1'],
      ['ldxb %r0, [%r1-32769]', 'ASM_OFFSET_OUT_OF_RANGE@1'],
      ['ldxb %r0, %r1', 'ASM_BAD_OPERAND@1'],
      ['movsx864 %r0, 5', 'ASM_BAD_OPERAND@1'],
      ['lddw %r1, map_thing 3', 'ASM_BAD_OPERAND@1'],
      ['call nowhere mode', 'ASM_SYNTAX@1'],
      ['\nja NOT_A_LABEL\nexit', 'ASM_UNKNOWN_LABEL@2'],
      ['l:\nexit\nl:\nexit', 'ASM_DUPLICATE_LABEL@3'],
      ['.bogus\nexit', 'ASM_UNKNOWN_DIRECTIVE@1'],
      ['-- Unknown directive', 'ASM_UNKNOWN_DIRECTIVE@1'],
      ['# only a comment', 'ASM_EMPTY@1']
    ]
    for (const [text, want] of cases) expect(ubpf(text), text).toBe(want)
  })

  it('reports a label out of 16-bit jump range', () => {
    const body = 'lddw %r0, 0\n'.repeat(16384)
    expect(ubpf(`ja far\n${body}far: exit`)).toBe('ASM_OFFSET_OUT_OF_RANGE@1')
    expect(ubpf(`ja far\n${body.slice(12)}mov %r0, 0\nfar: exit`).startsWith('0500ff7f')).toBe(true)
    expect(ubpf(`ja32 far\n${body}far: exit`).startsWith('0600000000800000')).toBe(true)
  })

  it('detects the syntax from registers and mnemonics', () => {
    expect(detectSyntax('exit\nmov %r0, 1')).toBe('ubpf')
    expect(detectSyntax('ja +1\nexit')).toBe('ubpf')
    expect(detectSyntax('call local f\nf: exit')).toBe('ubpf')
    expect(detectSyntax('lock add [%r1], %r2')).toBe('ubpf')
    expect(detectSyntax('lock *(u64 *)(r1 + 0) += r2')).toBe('llvm')
    expect(detectSyntax('# c\nr0 = 0\nexit')).toBe('llvm')
    expect(detectSyntax('if r1 > 2 goto +1')).toBe('llvm')
    expect(detectSyntax('exit')).toBe('llvm')
  })
})

/** A representative instruction of `row`: operand fields set unless reserved or selecting. */
function sample(row: OpSpec): Insn[] {
  const f = { dst: 1, src: 2, off: -3, imm: 5 }
  if (row.kind === 'end') f.imm = 32
  for (const z of row.zero) f[z] = 0
  if (row.match) f[row.match.field] = row.match.value
  const first = insn(row.code, f.dst, f.src, f.off, f.imm)
  return row.kind === 'lddw' ? [first, insn(0, 0, 0, 0, 9)] : [first]
}

/**
 * Rows whose text drops a field of the sample: in both syntaxes a kfunc call's `off` (BTF
 * object index); in LLVM 14 text also the call kind, a 32-bit fetch-add (printed as add), the
 * ld_ind immediate and a pseudo ld_imm64's second-slot immediate.
 */
const LOSSY: Record<'ubpf' | 'llvm', ReadonlySet<string>> = {
  ubpf: new Set(['call_kfunc']),
  llvm: new Set([
    'call_local',
    'call_kfunc',
    'atomic32_fetch_add',
    'ldindb',
    'ldindh',
    'ldindw',
    ...OPS.filter((r) => r.kind === 'lddw' && r.pseudo !== 'imm64').map((r) => r.name)
  ])
}

describe('every opcode-table row', () => {
  for (const syntax of ['ubpf', 'llvm'] as const) {
    it(`round-trips through ${syntax} text`, () => {
      const mismatched: string[] = []
      let exact = 0
      for (const row of OPS) {
        const slots = sample(row)
        const text = disasmSlots(slots, syntax)
        if (!text.ok) throw new Error(text.error.message)
        const r = assemble(text.value.join('\n'), syntax)
        const got = r.ok ? hex(r.value) : `${r.error.code}: ${r.error.message}`
        if (got === hex(slots)) exact++
        else if (!LOSSY[syntax].has(row.name))
          mismatched.push(`${row.name}: ${text.value.join(' / ')} → ${got}`)
      }
      console.log(`asm-ubpf: ${exact}/${OPS.length} rows exact through ${syntax} text`)
      expect(mismatched).toEqual([])
      expect(exact).toBe(OPS.length - LOSSY[syntax].size)
    })
  }
})
