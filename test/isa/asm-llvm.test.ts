/**
 * @fileoverview The LLVM-syntax assembler against LLVM 14 itself: llvm-mc encodings, every
 * instruction line of llvm-objdump listings of real objects, and clang -S output compared with
 * the object clang builds from the same source; plus the newer (LLVM 17+) spellings and errors.
 */
import { describe, expect, it } from 'vitest'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { assemble, detectSyntax } from '../../src-daemon/core/isa/asm'
import { bytesFromSlots, type Insn } from '../../src-daemon/core/isa/insn'
import { readExecSections } from './support/mini-elf'
import { printSkip } from '../support/environment'

const repo = new URL('../../', import.meta.url).pathname

/** The first of `names` that runs, or undefined. */
function tool(...names: string[]): string | undefined {
  for (const n of names) {
    try {
      execFileSync(n, ['--version'], { stdio: 'ignore' })
      return n
    } catch {
      // try the next name
    }
  }
  return undefined
}

const MC = tool('llvm-mc-14', 'llvm-mc')
const OBJDUMP = tool('llvm-objdump-14', 'llvm-objdump')
const CLANG = tool('clang-14', 'clang')
if (!MC) printSkip('asm-llvm llvm-mc comparison', 'llvm-mc is not installed (Debian package llvm)')
if (!OBJDUMP)
  printSkip('asm-llvm listing comparison', 'llvm-objdump is not installed (Debian package llvm)')
if (!CLANG)
  printSkip('asm-llvm clang -S comparison', 'clang is not installed (Debian package clang)')

const hex = (slots: readonly Insn[]): string => Buffer.from(bytesFromSlots(slots)).toString('hex')

function asmHex(text: string): string {
  const r = assemble(text, 'llvm')
  return r.ok ? hex(r.value) : `${r.error.code}@${r.error.line}: ${r.error.message}`
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
function withTmp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'summit-asm-'))
  try {
    return fn(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Hex of slots with the call kind (src nibble of call slots) cleared, as LLVM 14 text loses it. */
function withoutCallKind(hexSlots: string): string {
  return hexSlots.replace(/.{16}/g, (slot) =>
    slot.startsWith('85') ? `8500${slot.slice(4)}` : slot
  )
}

/** Concatenated bytes of every executable section of an object. */
function execBytes(file: Uint8Array): string {
  return readExecSections(file)
    .map((s) => Buffer.from(s.bytes).toString('hex'))
    .join('')
}

/** LLVM 14's assembler accepts all of these; they cover every form it can parse. */
const MC_SOURCE = `
start:
  r0 = 0
  w1 = 5
  r2 = -7
  w1 += w2
  r1 -= 3
  r1 *= r2
  w3 /= 4
  r1 |= r2
  r1 &= 7
  r1 <<= 3
  w1 >>= w2
  r1 s>>= 2
  w1 s>>= w2
  r1 ^= -1
  r1 = r2
  w1 = w2
  r1 = -r1
  w1 = -w1
  r1 = be16 r1
  r1 = be32 r1
  r1 = be64 r1
  r1 = le16 r1
  r1 = le32 r1
  r1 = le64 r1
  r0 = 0x123456789 ll
  r0 = -1 ll
  r9 = 18446744073709551615 ll
  r1 = *(u8 *)(r2 + 8)
  r1 = *(u16 *)(r2 - 8)
  r1 = *(u32 *)(r2 + 0)
  r1 = *(u64 *)(r10 - 8)
  *(u8 *)(r10 - 1) = r1
  *(u16 *)(r10 - 2) = r1
  *(u32 *)(r10 - 4) = r1
  *(u64 *)(r10 - 32768) = r1
  if r1 > 5 goto +3
  if r1 > r2 goto -2
  if w1 s< w2 goto -2
  if w1 s<= 7 goto +0
  if r1 == 0 goto mid
  if r1 != r2 goto start
  if r1 s>= r2 goto mid
  if r1 s> r2 goto +1
  if r1 < r2 goto +1
  if r1 <= r2 goto +1
  if r1 >= r2 goto +1
  if w3 != 0x7fffffff goto +1
mid:
  goto +1
  goto start
  call 1
  lock *(u64 *)(r1 + 0) += r2
  lock *(u32 *)(r1 + 0) += r2
  r0 = *(u8 *)skb[4]
  r0 = *(u16 *)skb[4]
  r0 = *(u32 *)skb[4]
  r0 = *(u8 *)skb[r1]
  r0 = *(u32 *)skb[r1]
  exit
`

/** Forms LLVM 14 cannot parse, with bytes checked by llvm-objdump (+alu32) or newer LLVM. */
const NEWER_FORMS: [string, string][] = [
  ['*(u32 *)(r10 - 4) = 5', '620afcff05000000'],
  ['*(u64 *)(r10 - 8) = -5', '7a0af8fffbffffff'],
  ['*(u8 *)(r10 - 1) = 255', '720affffff000000'],
  ['*(u16 *)(r10 - 2) = 7', '6a0afeff07000000'],
  ['if r1 & r2 goto +1', '4d21010000000000'],
  ['if w1 & 3 goto +1', '4601010003000000'],
  ['w1 %= w3', '9c31000000000000'],
  ['r1 %= 3', '9701000003000000'],
  ['r1 s/= r2', '3f21010000000000'],
  ['w1 s%= 3', '9401010003000000'],
  ['r1 = (s8)r2', 'bf21080000000000'],
  ['r1 = (s32)r2', 'bf21200000000000'],
  ['w1 = (s16)w2', 'bc21100000000000'],
  ['r1 = *(s8 *)(r2 + 4)', '9121040000000000'],
  ['r1 = *(s16 *)(r2 - 4)', '8921fcff00000000'],
  ['r1 = *(s32 *)(r2 + 4)', '8121040000000000'],
  ['r1 = bswap16 r1', 'd701000010000000'],
  ['r1 = bswap64 r1', 'd701000040000000'],
  ['gotol +7', '0600000007000000'],
  ['gotol -1', '06000000ffffffff'],
  ['r2 = atomic_fetch_add((u64 *)(r1 + 8), r2)', 'db21080001000000'],
  ['w2 = atomic_fetch_or((u32 *)(r1 + 8), w2)', 'c321080041000000'],
  ['w2 = atomic_fetch_and((u32 *)(r1 + 8), w2)', 'c321080051000000'],
  ['r2 = atomic_fetch_xor((u64 *)(r1 + 8), r2)', 'db210800a1000000'],
  ['r2 = xchg_64(r1 + 8, r2)', 'db210800e1000000'],
  ['w2 = xchg32_32(r1 + 8, w2)', 'c3210800e1000000'],
  ['r0 = cmpxchg_64(r1 + 8, r0, r2)', 'db210800f1000000'],
  ['w0 = cmpxchg32_32(r1 - 8, w0, w2)', 'c321f8fff1000000'],
  ['lock *(u32 *)(r1 + 0) |= w2', 'c321000040000000'],
  ['lock *(u64 *)(r1 + 0) ^= r2', 'db210000a0000000'],
  ['ld_pseudo\tr1, 1, 7', '1811000007000000' + '0000000000000000'],
  ['ld_pseudo r1, 2, 7, 16', '1821000007000000' + '0000000010000000'],
  ['w1 = *(u32 *)(r2 + 0)', '6121000000000000'],
  ['*(u32 *)(r10 - 4) = w1', '631afcff00000000'],
  ['r0 = *(u16 *)skb[r1 + 4]', '4810000004000000'],
  ['call 2', '8500000002000000']
]

describe('LLVM syntax', () => {
  it.skipIf(!MC)('encodes like llvm-mc 14 (every form it parses, labels included)', () => {
    withTmp((dir) => {
      const s = join(dir, 't.s')
      const o = join(dir, 't.o')
      writeFileSync(s, MC_SOURCE)
      execFileSync(MC ?? 'llvm-mc', ['-triple', 'bpf', '-filetype=obj', s, '-o', o])
      const theirs = execBytes(readFileSync(o))
      expect(theirs.length / 16).toBeGreaterThan(55)
      expect(asmHex(MC_SOURCE)).toBe(theirs)
    })
  })

  it('encodes the newer spellings (store-imm, jset, mod, sdiv, movsx, ldsx, bswap, gotol, atomics)', () => {
    for (const [text, want] of NEWER_FORMS) expect(asmHex(text), text).toBe(want)
  })

  it.skipIf(!OBJDUMP)(
    'reassembles every llvm-objdump line of the fixture objects to its bytes',
    () => {
      const dirs = ['test/fixtures/obj', 'test/formats/fixtures'].map((d) => join(repo, d))
      const objects = dirs.flatMap((d) =>
        readdirSync(d)
          .filter((n) => n.endsWith('.o'))
          .map((n) => join(d, n))
      )
      let lines = 0
      let callKind = 0
      const wrong: string[] = []
      for (const flags of [[], ['--mattr=+alu32']]) {
        const all = execFileSync(OBJDUMP ?? 'llvm-objdump', ['-d', ...flags, ...objects]).toString()
        const listings = all.split(/\n(?=\S+:\s+file format )/).filter((l) => /file format/.test(l))
        expect(listings.length).toBe(objects.length)
        listings.forEach((listing, k) => {
          const path = objects[k] ?? ''
          for (const line of listing.split('\n')) {
            const m = /^\s*\d+:\t([0-9a-f ]+)\t(.*)$/.exec(line)
            if (!m) continue
            lines++
            const want = (m[1] ?? '').replace(/ /g, '')
            const got = asmHex(m[2] ?? '')
            // LLVM 14 prints `call IMM` whatever the call kind (src), so only src may differ.
            if (got === want) continue
            if (got === withoutCallKind(want)) callKind++
            else wrong.push(`${path}: ${m[2] ?? ''}: want ${want}, got ${got}`)
          }
          // The whole listing (banner, headers, symbols, annotations) assembles to the sections'
          // exact bytes: where the text is what the bytes print as, the byte column is used.
          const whole = assemble(listing, 'auto', { file: path })
          const bytes = execBytes(readFileSync(path))
          // An object without code (a stand-in kernel BTF) lists no instructions: no program.
          if (bytes === '') {
            expect(whole.ok, path).toBe(false)
            return
          }
          expect(whole.ok && hex(whole.value), path).toBe(bytes)
          const textOnly = listing.replace(/^(\s*\d+:\t)[0-9a-f ]+\t/gm, '')
          const fromText = assemble(textOnly, 'llvm', { file: path })
          expect(fromText.ok && hex(fromText.value), path).toBe(
            withoutCallKind(execBytes(readFileSync(path)))
          )
        })
      }
      console.log(
        `asm-llvm: ${objects.length} objects, ${lines} objdump lines, ${callKind} differ only in call kind`
      )
      expect(wrong).toEqual([])
      expect(lines).toBeGreaterThan(1000)
    }
  )

  it.skipIf(!OBJDUMP)(
    'reads the -S, --no-show-raw-insn and --no-leading-addr listing variants',
    () => {
      const path = join(repo, 'test/fixtures/obj/subprog_calls.o')
      const want = execBytes(readFileSync(path))
      const variants: [string[], string][] = [
        [['-S'], want],
        [['--no-leading-addr'], want],
        [['--no-show-raw-insn'], withoutCallKind(want)]
      ]
      for (const [flags, bytes] of variants) {
        const listing = execFileSync(OBJDUMP ?? 'llvm-objdump', ['-d', ...flags, path]).toString()
        expect(asmHex(listing), flags.join(' ')).toBe(bytes)
      }
    }
  )

  it.skipIf(!CLANG)('assembles clang -S output to the bytes clang -c produces', () => {
    const src = join(repo, 'test/fixtures/c/bounded_loop.c')
    const inc = join(repo, 'test/fixtures/c')
    // The machine's own include directory holds asm/types.h (as in scripts/build-fixtures.sh),
    // so no multilib package is needed.
    const archInc = `/usr/include/${execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim()}-linux-gnu`
    withTmp((dir) => {
      for (const cpu of ['v1', 'v3']) {
        for (const g of [[], ['-g']]) {
          const flags = [
            '-O2',
            '-target',
            'bpf',
            `-mcpu=${cpu}`,
            ...g,
            '-I',
            inc,
            '-I',
            archInc,
            src
          ]
          execFileSync(CLANG ?? 'clang', [...flags, '-S', '-o', join(dir, 'p.s')])
          execFileSync(CLANG ?? 'clang', [...flags, '-c', '-o', join(dir, 'p.o')])
          const text = readFileSync(join(dir, 'p.s'), 'utf8')
          expect(detectSyntax(text)).toBe('llvm')
          const want = execBytes(readFileSync(join(dir, 'p.o')))
          expect(asmHex(text), `${cpu} ${g.join('')}`).toBe(want)
        }
      }
    })
  })

  it('reports symbol references (relocations) as unresolved, not as garbage', () => {
    const r = assemble('r1 = my_map ll\nexit', 'llvm')
    expect(!r.ok && [r.error.code, r.error.line]).toEqual(['ASM_UNRESOLVED_SYMBOL', 1])
  })

  it('resolves labels, local calls and objdump symbol headers', () => {
    const text = [
      'Disassembly of section xdp:',
      '',
      '0000000000000000 <main>:',
      '       0:\tb7 00 00 00 00 00 00 00\tr0 = 0',
      '       1:\t85 10 00 00 01 00 00 00\tcall helper_fn',
      '       2:\t05 00 00 00 00 00 00 00\tgoto +0 <LBB0_2>',
      '',
      '0000000000000018 <LBB0_2>:',
      '       3:\t95 00 00 00 00 00 00 00\texit',
      'helper_fn:',
      '  if r1 == 0 goto LBB0_2',
      '  goto helper_fn',
      '  exit'
    ].join('\n')
    expect(asmHex(text)).toBe(
      [
        'b700000000000000',
        '8510000002000000',
        '0500000000000000',
        '9500000000000000',
        '1501feff00000000',
        '0500feff00000000',
        '9500000000000000'
      ].join('')
    )
  })

  it('keeps listed bytes when the text is their own disassembly, else follows edited text', () => {
    const local = '       0:\t85 10 00 00 01 00 00 00\tcall 1'
    const fetch32 = '       1:\tc3 21 00 00 01 00 00 00\tlock *(u32 *)(r1 + 0) += r2'
    expect(asmHex(`${local}\n${fetch32}`)).toBe('8510000001000000c321000001000000')
    expect(asmHex('       0:\t85 10 00 00 01 00 00 00\tcall 2')).toBe('8500000002000000')
    expect(asmHex('       0:\tb7 00 00 00 00 00 00 00\tr0 = 1')).toBe('b700000001000000')
  })

  it('uses the bytes of lines llvm-objdump could not decode', () => {
    expect(asmHex('       0:\t8d 02 00 00 00 00 00 00\t<unknown>\n  exit')).toBe(
      '8d020000000000009500000000000000'
    )
  })

  it('rejects bad input with stable codes and the line', () => {
    const cases: [string, string, number][] = [
      ['r0 = 0\nfoo r1, r2', 'ASM_UNKNOWN_MNEMONIC', 2],
      ['r11 = 1', 'ASM_BAD_REGISTER', 1],
      ['w1 += r2', 'ASM_BAD_REGISTER', 1],
      ['r1 = *(u64 *)(r10 - 8)\nw1 = *(u64 *)(r10 - 8)', 'ASM_BAD_REGISTER', 2],
      ['r0 = 2147483648', 'ASM_IMM_OUT_OF_RANGE', 1],
      ['r0 = 0x100000000', 'ASM_IMM_OUT_OF_RANGE', 1],
      ['r0 = 0x10000000000000000 ll', 'ASM_IMM_OUT_OF_RANGE', 1],
      ['r1 = *(u8 *)(r2 + 32768)', 'ASM_OFFSET_OUT_OF_RANGE', 1],
      ['goto +32768', 'ASM_OFFSET_OUT_OF_RANGE', 1],
      ['\n\ngoto nowhere', 'ASM_UNKNOWN_LABEL', 3],
      ['a:\nexit\na:\nexit', 'ASM_DUPLICATE_LABEL', 3],
      ['r0 = = 1', 'ASM_SYNTAX', 1],
      ['.frobnicate 3\nexit', 'ASM_UNKNOWN_DIRECTIVE', 1],
      ['r0 = xchg_64(r1 + 0, r2)', 'ASM_BAD_REGISTER', 1],
      ['r1 = be16 r2', 'ASM_BAD_REGISTER', 1],
      ['w1 = (s32)w2', 'ASM_BAD_OPERAND', 1],
      ['', 'ASM_EMPTY', 1]
    ]
    for (const [text, code, line] of cases) {
      const r = assemble(text, 'llvm', { file: 'x.s' })
      expect(r.ok ? 'ok' : [r.error.code, r.error.line, r.error.file], text).toEqual([
        code,
        line,
        'x.s'
      ])
    }
  })
})
