/**
 * @fileoverview Seeded fuzzing of the assembler: thousands of mutated assembly programs (from
 * corpus and hand-picked lines of both syntaxes) never throw, always give a Result whose error
 * has a known code and a line inside the text, and whose success re-assembles from its own
 * disassembly to the same bytes.
 */
import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ASM_ERROR_CODES, assemble, detectSyntax } from '../../src-daemon/core/isa/asm'
import { bytesFromSlots, type Insn } from '../../src-daemon/core/isa/insn'
import { decodeLenient } from '../../src-daemon/core/isa/decode'
import { disasmSlots } from '../../src-daemon/core/isa/disasm'

const TESTS = fileURLToPath(new URL('../data/conformance/tests/', import.meta.url))

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const LLVM_SEEDS = [
  'r0 = 0',
  'w1 += w2',
  'r1 = *(u32 *)(r2 + 8)',
  '*(u64 *)(r10 - 8) = r1',
  '*(u32 *)(r10 - 4) = 5',
  'if r1 > 5 goto +3',
  'if w1 s< w2 goto -2',
  'goto LBB0_2',
  'LBB0_2:',
  'r0 = 0x1234 ll',
  'r1 = be16 r1',
  'r1 = -r1',
  'call 1',
  'lock *(u64 *)(r1 + 0) += r2',
  'r0 = atomic_fetch_add((u64 *)(r1 + 0), r0)',
  'r0 = xchg_64(r1 + 0, r0)',
  'r0 = cmpxchg_64(r1 + 0, r0, r2)',
  'w2 = xchg32_32(r1 + 8, w2)',
  'r1 = (s8)r2',
  'r1 = *(s16 *)(r2 - 4)',
  'gotol +7',
  'ld_pseudo\tr1, 1, 7',
  'r0 = *(u16 *)skb[r1]',
  '      12:\t61 12 08 00 00 00 00 00\tr2 = *(u32 *)(r1 + 8)',
  '       5:\t2d 21 08 00 00 00 00 00\tif r1 > r2 goto +8 <LBB0_2>',
  '0000000000000058 <LBB1_2>:',
  '\t.section\txdp,"ax",@progbits',
  '\t.section\t.maps,"aw",@progbits',
  '\t.zero\t32',
  'exit'
]

const NOISE = [
  ...'%r[]+-,:#*()=<>&|^ 0123456789xabcdefwls;.\t\'"',
  '%r11',
  'r10',
  'w3',
  '0x',
  '0xffffffffffffffff',
  '99999999999999999999',
  '-2147483649',
  'goto',
  ' ll',
  'lock ',
  'fetch ',
  'exit',
  '<LBB0_1>',
  '\u0000',
  'é',
  '  12:\t',
  '.text',
  '--',
  'call ',
  'local ',
  's>>=',
  '(u64 *)',
  'skb['
]

function corpusLines(): string[] {
  const lines: string[] = []
  for (const name of readdirSync(TESTS).sort()) {
    let inAsm = false
    for (const line of readFileSync(join(TESTS, name), 'utf8').split('\n')) {
      if (line.startsWith('--')) inAsm = line.includes('asm')
      else if (inAsm && line.trim() !== '') lines.push(line)
    }
  }
  return [...new Set(lines)]
}

/** LLVM-syntax lines: the corpus programs (those that assemble alone) disassembled. */
function llvmLines(ubpfLines: readonly string[]): string[] {
  const out = new Set<string>()
  for (const line of ubpfLines) {
    const r = assemble(line, 'ubpf')
    if (!r.ok) continue
    const text = disasmSlots(r.value, 'llvm')
    if (text.ok) for (const t of text.value) out.add(t)
  }
  return [...out]
}

function mutate(line: string, rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T
  let s = line
  const steps = 1 + Math.floor(rand() * 3)
  for (let k = 0; k < steps; k++) {
    const at = Math.floor(rand() * (s.length + 1))
    switch (Math.floor(rand() * 6)) {
      case 0:
        s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rand() * 4))
        break
      case 1:
      case 2:
        s = s.slice(0, at) + pick(NOISE) + s.slice(at)
        break
      case 3:
        s = s.replace(/\d+/, String(Math.floor((rand() - 0.5) * 2 ** (rand() * 70))))
        break
      case 4:
        s = s.slice(at) + s.slice(0, at)
        break
      default:
        break // keep the line intact sometimes
    }
  }
  return s
}

const CODES: ReadonlySet<string> = new Set(ASM_ERROR_CODES)

/** Rows whose text loses fields (see asm-ubpf.test.ts); such programs skip the re-assembly check. */
const LOSSY_KINDS = /^(call_local|call_kfunc|atomic32_fetch_add|ldind|lddw_(?!imm64))/

const hex = (slots: readonly Insn[]): string => Buffer.from(bytesFromSlots(slots)).toString('hex')

function fieldsInRange(s: Insn): boolean {
  return (
    Number.isInteger(s.code) &&
    s.code >= 0 &&
    s.code <= 255 &&
    s.dst >= 0 &&
    s.dst <= 15 &&
    s.src >= 0 &&
    s.src <= 15 &&
    s.off >= -32768 &&
    s.off <= 32767 &&
    s.imm >= -(2 ** 31) &&
    s.imm < 2 ** 31
  )
}

describe('assembler fuzzing', () => {
  it('never throws on mutated programs; errors are coded and placed; successes round-trip', () => {
    const rand = prng(0x5eed1234)
    const ubpfPool = corpusLines()
    const llvmPool = [...LLVM_SEEDS, ...llvmLines(ubpfPool)]
    const problems: string[] = []
    const codes = new Map<string, number>()
    let iterations = 0
    let successes = 0
    let roundTrips = 0
    const started = performance.now()
    for (; iterations < 10000; iterations++) {
      const syntax = (['ubpf', 'llvm', 'auto'] as const)[iterations % 3] ?? 'auto'
      const pool = (syntax === 'auto' ? rand() < 0.5 : syntax === 'ubpf') ? ubpfPool : llvmPool
      const n = 1 + Math.floor(rand() * 5)
      const lines: string[] = []
      for (let i = 0; i < n; i++) {
        const line = pool[Math.floor(rand() * pool.length)] ?? ''
        lines.push(rand() < 0.4 ? mutate(line, rand) : line)
      }
      const text = lines.join(rand() < 0.1 ? '\r\n' : '\n')
      let r: ReturnType<typeof assemble>
      try {
        r = assemble(text, syntax)
      } catch (e) {
        problems.push(`threw ${String(e)} on ${JSON.stringify(text)}`)
        continue
      }
      if (!r.ok) {
        const { code, line, message } = r.error
        codes.set(code, (codes.get(code) ?? 0) + 1)
        if (!CODES.has(code) || !message || line === undefined || line < 1 || line > n)
          problems.push(`bad error ${JSON.stringify(r.error)} on ${JSON.stringify(text)}`)
        continue
      }
      successes++
      if (!r.value.every(fieldsInRange))
        problems.push(`field out of range: ${JSON.stringify(text)}`)
      const used = syntax === 'auto' ? detectSyntax(text) : syntax
      const decoded = decodeLenient(r.value)
      if (decoded.some((d) => d.spec === undefined || LOSSY_KINDS.test(d.spec.name))) continue
      const back = disasmSlots(r.value, used)
      const again = back.ok ? assemble(back.value.join('\n'), used) : back
      if (!again.ok || hex(again.value) !== hex(r.value))
        problems.push(`round trip (${used}) changed ${JSON.stringify(text)}`)
      else roundTrips++
    }
    const ms = performance.now() - started
    console.log(
      `asm-fuzz: ${iterations} programs in ${ms.toFixed(0)} ms: ${successes} assembled ` +
        `(${roundTrips} round-tripped), errors by code:`,
      Object.fromEntries([...codes].sort())
    )
    expect(problems.slice(0, 10)).toEqual([])
    expect(successes).toBeGreaterThan(2000)
    expect(codes.size).toBeGreaterThan(8)
  })
})
