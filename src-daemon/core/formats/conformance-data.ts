/** @fileoverview Parses bpf_conformance `.data` test files (`-- asm`, `-- raw`, `-- mem`, `-- result`, ...). */

import type { Insn } from '../isa/insn'
import { readInsn } from '../isa/insn'
import type { Result } from '../util/result'
import { fail, ok } from '../util/result'

/** One `-- name` section as written, for tools that want the raw text. */
export interface ConformanceSection {
  /** Directive name after `-- ` (e.g. `asm`, `no register offset`). */
  readonly name: string
  /** 1-based line number of the directive line. */
  readonly line: number
  /** Body lines (comment lines included), joined with `\n`. */
  readonly body: string
}

/** A source line of the `-- asm` section. */
export interface ConformanceAsmLine {
  /** 1-based line number in the file. */
  readonly line: number
  /** The instruction or label text, comments and surrounding blanks removed. */
  readonly text: string
}

/** A parsed conformance test. */
export interface ConformanceTest {
  /** `-- asm` text (uBPF syntax) with `#` comments and blank lines removed, one statement a line. */
  readonly asm?: string
  /** The same statements with their file line numbers. */
  readonly asmLines?: readonly ConformanceAsmLine[]
  /** `-- raw` instruction slots (from 64-bit hex words or 8-byte hex groups). */
  readonly raw?: readonly Insn[]
  /** `-- mem` bytes (empty when absent). */
  readonly mem: Uint8Array
  /** True when a `-- mem` section was present (even if empty). */
  readonly hasMem: boolean
  /** `-- result`: expected r0 as an unsigned 64-bit value. */
  readonly result?: bigint
  /** `-- error`: expected error text ('' when the section is present but empty). */
  readonly error?: string
  /** `-- c`: the C source the test was compiled from. */
  readonly c?: string
  /** `-- no register offset`: present when the runner must not check register offsets (body text). */
  readonly noRegisterOffset?: string
  /** Directive names this parser does not know, in order (their bodies are in `sections`). */
  readonly unknownDirectives: readonly string[]
  /** Every section in file order. */
  readonly sections: readonly ConformanceSection[]
}

const KNOWN = new Set(['asm', 'raw', 'mem', 'result', 'error', 'c', 'no register offset'])

/** Strips a `#` comment (the `-- c` section keeps its `#include`s: it is not passed here). */
function stripComment(line: string): string {
  const hash = line.indexOf('#')
  return (hash >= 0 ? line.slice(0, hash) : line).trim()
}

/** Parses the text of one `.data` file. Never throws on bad input. */
export function parseConformanceData(text: string, file?: string): Result<ConformanceTest> {
  const lines = text.split(/\r?\n/)
  const sections: { name: string; line: number; lines: { n: number; t: string }[] }[] = []
  lines.forEach((t, i) => {
    const m = /^--\s*(.*?)\s*$/.exec(t)
    if (m) sections.push({ name: m[1]!, line: i + 1, lines: [] })
    else sections[sections.length - 1]?.lines.push({ n: i + 1, t })
  })
  const bad = (code: string, message: string, line: number): Result<never> =>
    fail({ code, message, line, ...(file !== undefined ? { file } : {}) })
  const out: { -readonly [K in keyof ConformanceTest]: ConformanceTest[K] } = {
    mem: new Uint8Array(0),
    hasMem: false,
    unknownDirectives: [],
    sections: sections.map((s) => ({
      name: s.name,
      line: s.line,
      body: s.lines.map((l) => l.t).join('\n')
    }))
  }
  const unknown: string[] = []
  for (const s of sections) {
    const code = s.lines.map((l) => ({ n: l.n, t: stripComment(l.t) })).filter((l) => l.t !== '')
    switch (s.name) {
      case 'asm':
        out.asmLines = code.map((l) => ({ line: l.n, text: l.t }))
        out.asm = code.map((l) => l.t).join('\n')
        break
      case 'raw': {
        const raw = parseRaw(code)
        if (!raw.ok) return bad('CONF_BAD_RAW', raw.error.message, raw.error.line)
        out.raw = raw.value
        break
      }
      case 'mem': {
        const bytes: number[] = []
        for (const l of code)
          for (const tok of l.t.split(/\s+/)) {
            if (!/^[0-9a-fA-F]{2}$/.test(tok))
              return bad('CONF_BAD_MEM', `bad mem byte "${tok}"`, l.n)
            bytes.push(parseInt(tok, 16))
          }
        out.mem = Uint8Array.from(bytes)
        out.hasMem = true
        break
      }
      case 'result': {
        const t = code.map((l) => l.t).join(' ')
        const v = parseResult(t)
        if (v === undefined)
          return bad('CONF_BAD_RESULT', `bad result "${t}"`, code[0]?.n ?? s.line)
        out.result = v
        break
      }
      case 'error':
        out.error = s.lines
          .map((l) => l.t)
          .filter((t) => !t.startsWith('#'))
          .join('\n')
          .trim()
        break
      case 'c':
        out.c = s.lines.map((l) => l.t).join('\n')
        break
      case 'no register offset':
        out.noRegisterOffset = code.map((l) => l.t).join('\n')
        break
      default:
        if (!KNOWN.has(s.name)) unknown.push(s.name)
    }
  }
  out.unknownDirectives = unknown
  return ok(out)
}

function parseResult(t: string): bigint | undefined {
  if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(t)) return undefined
  const neg = t.startsWith('-')
  const v = BigInt(neg ? t.slice(1) : t)
  return BigInt.asUintN(64, neg ? -v : v)
}

/** Raw lines are either one 64-bit hex word per slot (`0x...`, low byte = opcode) or 8 hex bytes. */
function parseRaw(
  lines: readonly { n: number; t: string }[]
): Result<Insn[], { message: string; line: number }> {
  const bytes: number[] = []
  for (const l of lines) {
    if (/^0x[0-9a-fA-F]{1,16}$/.test(l.t)) {
      let v = BigInt(l.t)
      for (let i = 0; i < 8; i++) {
        bytes.push(Number(v & 0xffn))
        v >>= 8n
      }
      continue
    }
    const toks = l.t.split(/\s+/)
    if (!toks.every((t) => /^[0-9a-fA-F]{2}$/.test(t)))
      return fail({ message: `bad raw instruction "${l.t}"`, line: l.n })
    for (const t of toks) bytes.push(parseInt(t, 16))
  }
  if (bytes.length % 8 !== 0)
    return fail({
      message: `raw section has ${bytes.length} bytes, not a multiple of 8`,
      line: lines[0]?.n ?? 0
    })
  const buf = Uint8Array.from(bytes)
  const out: Insn[] = []
  for (let i = 0; i < buf.length / 8; i++) out.push(readInsn(buf, i))
  return ok(out)
}
