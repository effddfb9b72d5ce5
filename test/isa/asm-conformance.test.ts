/**
 * @fileoverview The assembler on the bpf_conformance corpus: every `-- asm` program assembles,
 * bytes match the `-- raw` form where both exist, every negative input is rejected (with the
 * line), and programs survive text → bytes → text → bytes in the uBPF and LLVM syntaxes.
 */
import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { assemble, detectSyntax } from '../../src-daemon/core/isa/asm'
import { bytesFromSlots, slotsFromBytes, type Insn } from '../../src-daemon/core/isa/insn'
import { OPS_BY_NAME } from '../../src-daemon/core/isa/opcodes'
import { lookupSpec } from '../../src-daemon/core/isa/lookup'
import { decodeProgram } from '../../src-daemon/core/isa/decode'
import { disasmSlots } from '../../src-daemon/core/isa/disasm'
import { formatObjdumpFile } from '../../src-daemon/core/isa/objdump-layout'

const CONF = fileURLToPath(new URL('../data/conformance/', import.meta.url))

/** A `.data` file split into its `-- name` sections (lines kept verbatim). */
interface DataFile {
  readonly name: string
  readonly sections: Map<string, string[]>
}

function readData(dir: string, name: string): DataFile {
  const sections = new Map<string, string[]>()
  let current: string[] | undefined
  for (const line of readFileSync(join(CONF, dir, name), 'utf8').split(/\r?\n/)) {
    const head = /^--\s*(.*?)\s*$/.exec(line)
    if (head) {
      current = []
      sections.set(head[1] ?? '', current)
    } else current?.push(line)
  }
  return { name, sections }
}

function readDir(dir: string): DataFile[] {
  return readdirSync(join(CONF, dir))
    .filter((n) => n.endsWith('.data'))
    .sort()
    .map((n) => readData(dir, n))
}

/** Parses a `-- raw` section: 8-byte words as `0x…` u64 values, or plain hex bytes. */
function rawSlots(lines: string[]): Insn[] {
  const tokens = lines.join(' ').split(/\s+/).filter(Boolean)
  if (tokens.every((t) => /^0x[0-9a-f]{1,16}$/i.test(t))) {
    const bytes = new Uint8Array(tokens.length * 8)
    const view = new DataView(bytes.buffer)
    tokens.forEach((t, i) => view.setBigUint64(i * 8, BigInt(t), true))
    return slotsFromBytes(bytes)
  }
  return slotsFromBytes(Uint8Array.from(tokens.map((t) => parseInt(t, 16))))
}

const hex = (slots: readonly Insn[]): string => Buffer.from(bytesFromSlots(slots)).toString('hex')

const TESTS = readDir('tests')
const NEGATIVE = readDir('negative')
const HAS_CALLX = OPS_BY_NAME.has('callx')

/** Programs of the corpus the assembler cannot encode while the opcode table lacks a row. */
const EXPECTED_UNSUPPORTED = HAS_CALLX ? [] : ['callx.data']

/** The corpus assembled once: programs by file name, plus what failed and why. */
interface CorpusRun {
  readonly programs: Map<string, Insn[]>
  readonly failures: string[]
  readonly unsupported: string[]
  readonly slots: number
}

let corpusRun: CorpusRun | undefined

/** Assembles every `-- asm` program of the corpus (memoised across tests). */
function corpus(): CorpusRun {
  if (corpusRun) return corpusRun
  const run: CorpusRun = { programs: new Map(), failures: [], unsupported: [], slots: 0 }
  let slots = 0
  for (const t of TESTS.filter((x) => x.sections.has('asm'))) {
    const r = assemble((t.sections.get('asm') ?? []).join('\n'), 'ubpf', { file: t.name })
    if (r.ok) {
      run.programs.set(t.name, r.value)
      slots += r.value.length
    } else if (r.error.code === 'ASM_UNSUPPORTED') run.unsupported.push(t.name)
    else run.failures.push(`${t.name}: ${r.error.code} line ${r.error.line}: ${r.error.message}`)
  }
  corpusRun = { ...run, slots }
  return corpusRun
}

describe('assembler on the bpf_conformance corpus', () => {
  it('assembles every -- asm program (uBPF syntax), and auto-detects the syntax', () => {
    const withAsm = TESTS.filter((t) => t.sections.has('asm'))
    const run = corpus()
    for (const t of withAsm) {
      const text = (t.sections.get('asm') ?? []).join('\n')
      expect(detectSyntax(text), t.name).toBe('ubpf')
      const auto = assemble(text, 'auto')
      const program = run.programs.get(t.name)
      if (program) expect(auto.ok && hex(auto.value), t.name).toBe(hex(program))
    }
    console.log(
      `conformance: ${TESTS.length} files, ${withAsm.length} with -- asm, ` +
        `${run.programs.size} assembled (${run.slots} slots), ` +
        `unsupported: ${run.unsupported.join(', ') || 'none'}`
    )
    expect(TESTS.length).toBe(313)
    expect(withAsm.length).toBe(313)
    expect(run.failures).toEqual([])
    expect(run.unsupported).toEqual(EXPECTED_UNSUPPORTED)
    expect(run.programs.size).toBe(313 - EXPECTED_UNSUPPORTED.length)
  })

  it('matches the -- raw bytes where a test has both forms', () => {
    const both = TESTS.filter((t) => t.sections.has('asm') && t.sections.has('raw'))
    expect(both.map((t) => t.name)).toEqual(['lddw.data'])
    for (const t of both) {
      const r = assemble((t.sections.get('asm') ?? []).join('\n'), 'ubpf')
      expect(r.ok && hex(r.value)).toBe(hex(rawSlots(t.sections.get('raw') ?? [])))
    }
  })

  it('produces programs the decoder/validator accepts (rfc profile)', () => {
    const assembled = corpus().programs
    const rejected: string[] = []
    for (const [name, slots] of assembled) {
      const d = decodeProgram(slots, { file: name }, { profile: 'rfc' })
      if (!d.ok) rejected.push(`${name}: ${d.error.code} insn ${d.error.index}: ${d.error.message}`)
    }
    expect(rejected).toEqual([])
  })

  it('round-trips uBPF text → bytes → text → bytes for every program', () => {
    const assembled = corpus().programs
    let n = 0
    for (const [name, slots] of assembled) {
      const text = disasmSlots(slots, 'ubpf')
      expect(text.ok, name).toBe(true)
      if (!text.ok) continue
      const again = assemble(text.value.join('\n'), 'ubpf', { file: name })
      expect(again.ok ? hex(again.value) : again.error, name).toBe(hex(slots))
      n++
    }
    console.log(`conformance: ${n} programs round-tripped through uBPF text`)
    expect(n).toBe(assembled.size)
  })

  it('round-trips LLVM text, exact except what LLVM 14 text cannot express', () => {
    const assembled = corpus().programs
    let exact = 0
    const lossy = new Map<string, number>()
    for (const [name, slots] of assembled) {
      const text = disasmSlots(slots, 'llvm')
      if (!text.ok) throw new Error(`${name}: ${text.error.message}`)
      const again = assemble(text.value.join('\n'), 'llvm', { file: name })
      if (!again.ok) throw new Error(`${name}: ${again.error.code}: ${again.error.message}`)
      expect(again.value.length, name).toBe(slots.length)
      // Text is a fixed point after one trip: bytes → text → bytes → text gives the same text.
      const text2 = disasmSlots(again.value, 'llvm')
      expect(text2.ok && text2.value, name).toEqual(text.value)
      if (hex(again.value) === hex(slots)) {
        exact++
        continue
      }
      slots.forEach((s, i) => {
        const b = again.value[i]
        if (b === undefined || hex([s]) === hex([b])) return
        const row = lookupSpec(s)
        // LLVM 14 prints every call as `call IMM` (the src kind is lost) and a 32-bit
        // fetch-add as a plain add; nothing else may differ.
        const why =
          row?.kind === 'call' && b.src === 0 && { ...s, src: 0 }.imm === b.imm
            ? 'call kind'
            : row?.name === 'atomic32_fetch_add' && b.imm === 0
              ? 'atomic32 fetch_add'
              : `${name} slot ${i}: ${hex([s])} became ${hex([b])}`
        lossy.set(why, (lossy.get(why) ?? 0) + 1)
      })
    }
    console.log(`conformance: llvm round trip exact for ${exact}/${assembled.size}; lossy:`, lossy)
    expect(
      [...lossy.keys()].filter((k) => k !== 'call kind' && k !== 'atomic32 fetch_add')
    ).toEqual([])
    expect(exact).toBeGreaterThan(assembled.size - 10)
  })
})

describe('assembler on llvm-objdump layout', () => {
  it('reads the full listing layout of every corpus program back to the exact bytes', () => {
    const assembled = corpus().programs
    for (const [name, slots] of assembled) {
      const listing = formatObjdumpFile(name, [{ name: '.text', slots }])
      const r = assemble(listing, 'auto', { file: name })
      expect(r.ok ? hex(r.value) : r.error, name).toBe(hex(slots))
    }
  })
})

/** What each negative input must produce from the assembler (code and line in the asm section). */
const NEGATIVE_ASM: Record<string, { code: string; line: number }> = {
  'invalid_imm32_dec_range.data': { code: 'ASM_IMM_OUT_OF_RANGE', line: 2 },
  'invalid_imm32_hex_range.data': { code: 'ASM_IMM_OUT_OF_RANGE', line: 2 },
  'invalid_label.data': { code: 'ASM_UNKNOWN_LABEL', line: 1 },
  'invalid_lock.data': { code: 'ASM_BAD_OPERAND_COUNT', line: 1 },
  'invalid_lock2.data': { code: 'ASM_BAD_OPERAND_COUNT', line: 1 },
  'invalid_mnemonic.data': { code: 'ASM_UNKNOWN_MNEMONIC', line: 2 },
  'invalid_offset.data': { code: 'ASM_BAD_OPERAND', line: 1 },
  'invalid_offset_range.data': { code: 'ASM_OFFSET_OUT_OF_RANGE', line: 2 },
  'invalid_operand_count.data': { code: 'ASM_BAD_OPERAND_COUNT', line: 1 },
  'invalid_register.data': { code: 'ASM_BAD_REGISTER', line: 1 },
  // Its `-- asm` section is empty and is followed by an unknown `--` section.
  'invalid_unknown_directive.data': { code: 'ASM_EMPTY', line: 1 }
}

/** Negative inputs whose program is valid: they test a runner's result/error checking. */
const RUNTIME_NEGATIVE = ['error.data', 'incorrect_return_value_high_bits.data']

/** Negative inputs with no program at all (no `-- asm` and no `-- raw`). */
const NO_PROGRAM = ['empty.data', 'empty_instructions.data']

describe('assembler and decoder on the negative corpus', () => {
  it('classifies every negative file', () => {
    const unused = NEGATIVE.filter((f) => f.name.startsWith('unused-')).map((f) => f.name)
    const known = [...Object.keys(NEGATIVE_ASM), ...RUNTIME_NEGATIVE, ...NO_PROGRAM, ...unused]
    expect(NEGATIVE.map((f) => f.name).sort()).toEqual(known.sort())
    expect(unused.length).toBe(45)
    console.log(
      `negative: ${NEGATIVE.length} files: ${Object.keys(NEGATIVE_ASM).length} assembler errors, ` +
        `${unused.length} decoder errors, ${RUNTIME_NEGATIVE.length} runtime, ${NO_PROGRAM.length} empty`
    )
  })

  for (const [name, want] of Object.entries(NEGATIVE_ASM)) {
    it(`rejects ${name} with ${want.code} at line ${want.line}`, () => {
      const f = readData('negative', name)
      const r = assemble((f.sections.get('asm') ?? []).join('\n'), 'ubpf', { file: name })
      expect(r.ok).toBe(false)
      if (r.ok) return
      expect({ code: r.error.code, line: r.error.line, file: r.error.file }).toEqual({
        ...want,
        file: name
      })
    })
  }

  it('rejects the unknown `--` directive itself when it reaches the assembler', () => {
    const r = assemble('-- Unknown directive\n', 'ubpf')
    expect(!r.ok && [r.error.code, r.error.line]).toEqual(['ASM_UNKNOWN_DIRECTIVE', 1])
  })

  it('accepts the runtime-only negatives (their failure is in the expected result)', () => {
    for (const name of RUNTIME_NEGATIVE) {
      const f = readData('negative', name)
      const r = assemble((f.sections.get('asm') ?? []).join('\n'), 'ubpf')
      expect(r.ok, name).toBe(true)
      expect(f.sections.has('error') || f.sections.has('result'), name).toBe(true)
    }
  })

  it('finds no program in the empty negatives, and the assembler rejects empty text', () => {
    for (const name of NO_PROGRAM) {
      const f = readData('negative', name)
      expect(f.sections.has('asm') || f.sections.has('raw'), name).toBe(false)
    }
    const r = assemble('# nothing here\n\n', 'ubpf')
    expect(!r.ok && r.error.code).toBe('ASM_EMPTY')
  })

  it('rejects every unused-* raw program in the decoder, naming slot 0', () => {
    const unused = NEGATIVE.filter((f) => f.name.startsWith('unused-'))
    for (const f of unused) {
      const slots = rawSlots(f.sections.get('raw') ?? [])
      expect(slots.length, f.name).toBe(2)
      const d = decodeProgram(slots, { file: f.name })
      expect(d.ok, f.name).toBe(false)
      if (!d.ok) expect([d.error.index, d.error.file], f.name).toEqual([0, f.name])
      // The first slot's row exists and lists the offending field as reserved.
      const row = lookupSpec(slots[0] as Insn)
      const field = /-(src|dst|imm|offset)\.data$/.exec(f.name)?.[1]?.replace('offset', 'off')
      if (row !== undefined) expect(row.zero, f.name).toContain(field)
    }
  })
})
