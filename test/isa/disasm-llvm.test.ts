/** @fileoverview The llvm syntax against Debian LLVM 14's llvm-objdump on real objects and on every opcode row. */
import { describe, expect, it } from 'vitest'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { bytesFromSlots, insn, slotsFromBytes, type Insn } from '../../src-daemon/core/isa/insn'
import { OPS, type OpSpec } from '../../src-daemon/core/isa/opcodes'
import { decodeLenient } from '../../src-daemon/core/isa/decode'
import { validateInsn } from '../../src-daemon/core/isa/validate'
import { llvmText } from '../../src-daemon/core/isa/disasm-llvm'
import { formatObjdumpFile } from '../../src-daemon/core/isa/objdump-layout'
import { readExecSections, wrapInElf } from './support/mini-elf'
import { hasTool, objdumpRaw, parseObjdump } from './support/objdump'

const HAVE_OBJDUMP = hasTool('llvm-objdump')
const HAVE_CLANG = hasTool('clang')

const repo = new URL('../../', import.meta.url).pathname
const FIXTURE_DIRS = ['test/fixtures/obj', 'test/formats/fixtures'].map((d) => join(repo, d))

function objectFiles(): string[] {
  const files: string[] = []
  for (const d of FIXTURE_DIRS) {
    let names: string[] = []
    try {
      names = readdirSync(d)
    } catch {
      continue
    }
    for (const n of names) if (n.endsWith('.o')) files.push(join(d, n))
  }
  return files.sort()
}

/** Our text for every instruction of every executable section of an object, keyed section/index. */
function ourTexts(file: Uint8Array): Map<string, string> {
  const out = new Map<string, string>()
  for (const s of readExecSections(file)) {
    for (const d of decodeLenient(slotsFromBytes(s.bytes)))
      out.set(`${s.name}/${d.index}`, llvmText(d))
  }
  return out
}

interface Tally {
  programs: number
  compared: number
  unknownToLlvm14: number
  mismatches: string[]
}

/**
 * Compares our text with llvm-objdump's for one object: where plain LLVM 14 prints
 * `<unknown>`, the alu32 decoding (`--mattr=+alu32`) is the reference; where both say
 * `<unknown>`, the instruction is counted as unknown to LLVM 14 and not compared.
 */
function compareObject(
  path: string,
  tally: Tally,
  deviation: (key: string) => ((ours: string) => string) | undefined = () => undefined
): void {
  const ours = ourTexts(readFileSync(path))
  const plain = parseObjdump(objdumpRaw(path))
  const alu32 = new Map(
    parseObjdump(objdumpRaw(path, ['--mattr=+alu32'])).map((l) => [
      `${l.section}/${l.index}`,
      l.text
    ])
  )
  tally.programs += new Set(plain.map((l) => l.section)).size
  for (const l of plain) {
    const key = `${l.section}/${l.index}`
    let ref = l.text
    if (ref === '<unknown>') ref = alu32.get(key) ?? ref
    // LLVM 14 also decodes some ld_imm64 map-value encodings as its internal frame-index
    // pseudo `lea` (FI_ri shares the encoding): not an instruction text to match.
    if (ref === '<unknown>' || ref.startsWith('lea\t')) {
      tally.unknownToLlvm14++
      continue
    }
    tally.compared++
    const raw = ours.get(key)
    const dev = deviation(key)
    const mine = raw !== undefined && dev !== undefined ? dev(raw) : raw
    if (mine !== ref)
      tally.mismatches.push(
        `${basename(path)} ${key}: ours ${JSON.stringify(mine)} llvm ${JSON.stringify(ref)}`
      )
  }
}

describe.skipIf(!HAVE_OBJDUMP)('llvm syntax vs llvm-objdump (LLVM 14)', () => {
  it('reproduces the whole llvm-objdump -d output of every committed fixture object', () => {
    const files = objectFiles()
    expect(files.length).toBeGreaterThan(0)
    let lines = 0
    for (const f of files) {
      const secs = readExecSections(readFileSync(f))
      const sections = secs.map((s) => ({
        name: s.name,
        slots: slotsFromBytes(s.bytes),
        symbols: s.symbols
      }))
      const theirs = objdumpRaw(basename(f), [], f.slice(0, f.length - basename(f).length))
      expect(formatObjdumpFile(basename(f), sections), f).toBe(theirs)
      lines += parseObjdump(theirs).length
    }
    console.log(
      `disasm-llvm: ${files.length} fixture objects, ${lines} instruction lines identical to llvm-objdump -d`
    )
  })

  it('matches llvm-objdump instruction text on every fixture instruction', () => {
    const tally: Tally = { programs: 0, compared: 0, unknownToLlvm14: 0, mismatches: [] }
    for (const f of objectFiles()) compareObject(f, tally)
    console.log(
      `disasm-llvm: fixtures: ${tally.programs} programs, ${tally.compared} instructions compared, ${tally.unknownToLlvm14} unknown to LLVM 14`
    )
    expect(tally.mismatches).toEqual([])
    expect(tally.compared).toBeGreaterThan(100)
  })

  it.skipIf(!HAVE_CLANG)(
    'matches llvm-objdump on C compiled with clang now (cpu v1, v2, v3)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'summit-isa-'))
      try {
        const tally: Tally = { programs: 0, compared: 0, unknownToLlvm14: 0, mismatches: [] }
        let objects = 0
        for (const [name, src] of Object.entries(C_PROGRAMS)) {
          writeFileSync(join(dir, `${name}.c`), src)
          for (const cpu of ['v1', 'v2', 'v3']) {
            const obj = join(dir, `${name}-${cpu}.o`)
            try {
              execFileSync(
                'clang',
                ['-O2', '-target', 'bpf', `-mcpu=${cpu}`, '-c', join(dir, `${name}.c`), '-o', obj],
                { stdio: 'pipe' }
              )
            } catch {
              continue // e.g. 32-bit atomics need v3; other cpus legitimately refuse
            }
            objects++
            compareObject(obj, tally)
          }
        }
        console.log(
          `disasm-llvm: clang: ${objects} objects, ${tally.programs} programs, ${tally.compared} instructions compared, ${tally.unknownToLlvm14} unknown to LLVM 14`
        )
        expect(tally.mismatches).toEqual([])
        expect(objects).toBeGreaterThanOrEqual(C_PROGRAMS_MIN_OBJECTS)
        expect(tally.compared).toBeGreaterThan(200)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
  )

  it('matches llvm-objdump on a raw program holding every opcode row, except documented deviations', () => {
    const { slots, rows } = everyRowProgram()
    const dir = mkdtempSync(join(tmpdir(), 'summit-isa-'))
    try {
      const obj = join(dir, 'rows.o')
      writeFileSync(obj, wrapInElf(bytesFromSlots(slots)))
      const plain = parseObjdump(objdumpRaw(obj))
      const alu32 = new Map(
        parseObjdump(objdumpRaw(obj, ['--mattr=+alu32'])).map((l) => [l.index, l.text])
      )
      const ours = new Map(decodeLenient(slots).map((d) => [d.index, d]))
      let compared = 0
      let deviations = 0
      const unknown = new Set<string>()
      const bad: string[] = []
      for (const l of plain) {
        const d = ours.get(l.index)
        const row = rows.get(l.index)
        if (d === undefined || row === undefined) throw new Error(`no row at ${l.index}`)
        const mine = llvmText(d)
        let ref = l.text
        if (ref === '<unknown>') ref = alu32.get(l.index) ?? ref
        if (ref === '<unknown>') {
          unknown.add(row.name)
          continue
        }
        const dev = DEVIATIONS(row)
        if (dev !== undefined) {
          deviations++
          if (dev(mine) !== ref)
            bad.push(
              `${row.name}@${l.index}: deviation ${JSON.stringify(mine)} vs ${JSON.stringify(ref)}`
            )
          continue
        }
        compared++
        if (mine !== ref)
          bad.push(
            `${row.name}@${l.index}: ours ${JSON.stringify(mine)} llvm ${JSON.stringify(ref)}`
          )
      }
      console.log(
        `disasm-llvm: every-row program: ${OPS.length} rows, ${plain.length} instructions, ${compared} compared exactly, ` +
          `${deviations} documented deviations, unknown to LLVM 14: ${[...unknown].join(' ')}`
      )
      expect(bad).toEqual([])
      expect([...unknown].sort()).toEqual(EXPECTED_UNKNOWN_TO_LLVM14)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
  it('matches llvm-objdump on 3000 random valid instructions (seeded)', () => {
    const rng = seededRandom(0x5eed)
    const slots: Insn[] = []
    while (slots.length < 3000) {
      const r32 = (): number => (rng() * 0x100000000) | 0
      const row = OPS[Math.floor(rng() * OPS.length)]
      if (row === undefined) continue
      const f = { dst: (r32() >>> 0) % 11, src: (r32() >>> 0) % 11, off: r32() >> 16, imm: r32() }
      if (rng() < 0.5) f.imm = f.imm >> 24 // small immediates too
      if (row.kind === 'end') f.imm = [16, 32, 64][(r32() >>> 0) % 3] ?? 16
      if (row.match) f[row.match.field] = row.match.value
      for (const z of row.zero) f[z] = 0
      const first = insn(row.code, f.dst, f.src, f.off, f.imm)
      const pair = row.kind === 'lddw' ? [first, insn(0, 0, 0, 0, r32())] : [first]
      if (validateInsn(pair, 0, { profile: 'rfc' }) !== undefined) continue
      slots.push(...pair)
    }
    const dir = mkdtempSync(join(tmpdir(), 'summit-isa-'))
    try {
      const obj = join(dir, 'random.o')
      writeFileSync(obj, wrapInElf(bytesFromSlots(slots)))
      const tally: Tally = { programs: 0, compared: 0, unknownToLlvm14: 0, mismatches: [] }
      const specs = new Map(decodeLenient(slots).map((e) => [`.text/${e.index}`, e.spec]))
      compareObject(obj, tally, (key) => {
        const spec = specs.get(key)
        return spec === undefined ? undefined : DEVIATIONS(spec)
      })
      console.log(
        `disasm-llvm: random: ${tally.compared} valid instructions compared, ${tally.unknownToLlvm14} unknown to LLVM 14`
      )
      expect(tally.mismatches).toEqual([])
      expect(tally.compared).toBeGreaterThan(2000)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

/**
 * Rows LLVM 14 decodes as a different operation because it ignores the `off` field that
 * selects them (or, for callx, reads the register from another field): our text maps back to
 * LLVM 14's by dropping the newer syntax.
 */
function DEVIATIONS(row: OpSpec): ((ours: string) => string) | undefined {
  if (row.kind === 'alu' && row.op === 'sdiv') return (t) => t.replace(' s/= ', ' /= ')
  if (row.kind === 'alu' && row.op === 'movsx') return (t) => t.replace(/\(s\d+\)/, '')
  // LLVM 14 reads callx's register from imm (a reserved zero field); the kernel uses dst.
  if (row.kind === 'call' && row.target === 'reg')
    return (t) => t.replace(/^callx r\d+$/, 'callx r0')
  return undefined
}

/** Rows whose every encoding LLVM 14 prints as `<unknown>` (even with alu32). */
const EXPECTED_UNKNOWN_TO_LLVM14 = [
  'bswap',
  'gotol',
  ...['32', '64'].flatMap((w) => [`mod${w}_imm`, `mod${w}_reg`, `smod${w}_imm`, `smod${w}_reg`]),
  ...['', '32'].flatMap((w) => [`jset${w}_imm`, `jset${w}_reg`]),
  'ldxsb',
  'ldxsh',
  'ldxsw',
  'stb',
  'stdw',
  'sth',
  'stw'
].sort()

/** Representative operand sets; the row's reserved fields and selector are forced afterwards. */
const OPERANDS: readonly { dst: number; src: number; off: number; imm: number }[] = [
  { dst: 3, src: 4, off: 2, imm: 5 },
  { dst: 0, src: 10, off: -8, imm: -7 },
  { dst: 9, src: 1, off: 0, imm: 0x7fffffff },
  { dst: 1, src: 2, off: -32768, imm: -0x80000000 }
]

/** A raw program with every opcode row under each operand set (jump/end/lddw operands kept meaningful). */
function everyRowProgram(): { slots: Insn[]; rows: Map<number, OpSpec> } {
  const slots: Insn[] = []
  const rows = new Map<number, OpSpec>()
  for (const row of OPS) {
    for (const [k, base] of OPERANDS.entries()) {
      const f: Record<'dst' | 'src' | 'off' | 'imm', number> = { ...base }
      if (row.kind === 'end') f.imm = [16, 32, 64, 16][k] ?? 16
      if (row.kind === 'ja' && row.long) f.imm = base.off
      if (row.match) f[row.match.field] = row.match.value
      for (const z of row.zero) f[z] = 0
      rows.set(slots.length, row)
      slots.push(insn(row.code, f.dst, f.src, f.off, f.imm))
      if (row.kind === 'lddw') slots.push(insn(0, 0, 0, 0, k === 1 ? -1 : k * 0x1234))
    }
  }
  return { slots, rows }
}

const C_PROGRAMS_MIN_OBJECTS = 10

/** Small C programs covering what clang emits: ALU of both widths, loads/stores, atomics, calls, maps, byte swaps. */
const C_PROGRAMS: Record<string, string> = {
  arith: `typedef unsigned long long u64; typedef unsigned int u32; typedef long long s64;
__attribute__((section("prog"))) u64 arith(u64 *p) {
  u64 a = p[0], b = p[1] | 1; u32 c = (u32)p[2], d = (u32)p[3] | 1; s64 e = (s64)p[4];
  u64 r = a / b + a % b + (a << 7) + (a >> 9) + (u64)(e >> 3) + (a ^ 0x5a5a) + (b & ~a);
  u32 q = c / d + c % d + (c << 3) + (c >> 2) + (c ^ 77) + (c & 0xff00) - d * 13;
  r += -a + (u64)(-(int)c) + (a * 1000003) + (e < -5 ? 1 : 2) + (c > 9 ? 3 : 4);
  return r + q + 0x123456789abcULL + (a == 0xfffffffffffULL);
}`,
  memory: `typedef unsigned long long u64; typedef unsigned int u32; typedef unsigned short u16; typedef unsigned char u8;
__attribute__((section("prog"))) int memory(u8 *p) {
  u8 buf[32]; for (int i = 0; i < 32; i++) buf[i] = p[i] ^ (u8)i;
  *(u16 *)(p + 2) = *(u16 *)(buf + 4); *(u32 *)(p + 8) = *(u32 *)(buf + 12) + 1;
  *(u64 *)(p + 16) = *(u64 *)(buf + 16) - 7; p[1] = 0; *(u32 *)(p + 24) = 0xdeadbeef;
  *(short *)(p + 30) = -3; return buf[31] + (signed char)p[5] + (short)*(u16 *)(p + 6);
}`,
  atomics: `typedef unsigned long long u64; typedef unsigned int u32;
__attribute__((section("prog"))) u64 atomics(u64 *p, u32 *q) {
  __sync_fetch_and_add(p, 3); __sync_fetch_and_add(q, 4);
  u64 a = __sync_fetch_and_add(p + 1, 5); u64 b = __sync_fetch_and_or(p + 2, 6);
  u64 c = __sync_fetch_and_and(p + 3, 7); u64 d = __sync_fetch_and_xor(p + 4, 8);
  u64 e = __sync_lock_test_and_set(p + 5, 9); u64 f = __sync_val_compare_and_swap(p + 6, a, b);
  __sync_fetch_and_or(p + 7, a); __sync_fetch_and_and(p + 8, b); __sync_fetch_and_xor(p + 9, c);
  return a + b + c + d + e + f;
}`,
  atomics32: `typedef unsigned int u32;
__attribute__((section("prog"))) u32 atomics32(u32 *q) {
  u32 a = __sync_fetch_and_add(q, 5); u32 b = __sync_fetch_and_or(q + 1, 6);
  u32 c = __sync_fetch_and_and(q + 2, 7); u32 d = __sync_fetch_and_xor(q + 3, 8);
  u32 e = __sync_lock_test_and_set(q + 4, 9); u32 f = __sync_val_compare_and_swap(q + 5, a, b);
  __sync_fetch_and_or(q + 6, 1); __sync_fetch_and_and(q + 7, 2); __sync_fetch_and_xor(q + 8, 3);
  return a + b + c + d + e + f;
}`,
  calls: `typedef unsigned long long u64;
static void *(*lookup)(void *map, const void *key) = (void *) 1;
static long (*update)(void *map, const void *key, const void *value, u64 flags) = (void *) 2;
static long (*tail)(void *ctx, void *map, unsigned int idx) = (void *) 12;
struct { int type; int max; } m __attribute__((section(".maps")));
static __attribute__((noinline)) u64 helper(u64 x) { return x * 3 + 1; }
__attribute__((section("prog"))) int calls(void *ctx) {
  int k = 0; u64 v = 7; u64 *p = lookup(&m, &k); if (!p) { update(&m, &k, &v, 0); return 1; }
  tail(ctx, &m, 3); return (int)helper(*p) + (int)__builtin_bswap64(*p) + (int)__builtin_bswap32((unsigned)*p) + __builtin_bswap16((unsigned short)*p);
}`,
  branches: `typedef unsigned long long u64; typedef long long s64; typedef unsigned int u32; typedef int s32;
__attribute__((section("prog"))) int branches(u64 *p) {
  u64 a = p[0], b = p[1]; s64 c = (s64)p[2]; u32 d = (u32)p[3]; s32 e = (s32)p[4]; int r = 0;
  if (a == b) r += 1; if (a != 5) r += 2; if (a > b) r += 3; if (a >= 17) r += 4; if (a < b) r += 5;
  if (a <= 99) r += 6; if (c > -4) r += 7; if (c >= (s64)b) r += 8; if (c < 0) r += 9; if (c <= -100) r += 10;
  if (d == 3) r += 11; if (d > 1000) r += 12; if (e < -1) r += 13; if (e >= 8) r += 14; if (a & 4) r += 15;
  for (int i = 0; i < 4; i++) if (p[i + 5] == 0) r ^= i; return r;
}`,
  legacy: `typedef unsigned long long u64;
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");
__attribute__((section("socket"))) int legacy(void *skb) {
  u64 x = load_half(skb, 12); u64 o = load_byte(skb, 14) & 0xf;
  return (int)(x + load_word(skb, 26) + load_byte(skb, o * 4));
}`
}

/** A small deterministic PRNG (mulberry32) for reproducible random programs. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
