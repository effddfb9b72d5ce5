import { describe, expect, it } from 'vitest'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { main } from '../../src-daemon/cli/main'
import { k2BenchDir } from '../support/environment'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const FIXTURES = join(ROOT, 'test/fixtures/obj')
const K2 = k2BenchDir()

/** Runs `summit` in-process and captures its streams. */
async function summit(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t) })
  return { code, out, err }
}

describe('summit info', () => {
  it('lists programs, subprograms and BTF maps of an object', async () => {
    const r = await summit('info', join(FIXTURES, 'subprog_calls.o'), '--json')
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.out) as {
      programs: { section: string; subprogram: boolean; instructions: number }[]
      maps: { name: string; type: string; keySize: number }[]
    }
    expect(doc.programs.some((p) => p.section === 'xdp' && !p.subprogram)).toBe(true)
    expect(doc.programs.some((p) => p.section === '.text' && p.subprogram)).toBe(true)
    expect(doc.maps).toContainEqual(
      expect.objectContaining({ name: 'weights', type: 'hash', keySize: 4 })
    )
  })
  it.skipIf(K2 === undefined)('reads a K2 triple with its maps and input type', async () => {
    const r = await summit('info', join(K2 ?? '', 'xdp1.insns'))
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/type xdp/)
    expect(r.out).toMatch(/maps \(1\)/)
  })
})

describe('summit disasm', () => {
  it('prints exactly what llvm-objdump -d prints for every fixture', async () => {
    const objects = readdirSync(FIXTURES).filter((f) => f.endsWith('.o'))
    expect(objects.length).toBeGreaterThan(5)
    let lines = 0
    for (const f of objects) {
      const path = join(FIXTURES, f)
      const r = await summit('disasm', path, '--syntax', 'llvm')
      expect(r.code).toBe(0)
      const theirs = execFileSync('llvm-objdump', ['-d', path], { encoding: 'utf8' })
      expect(r.out).toBe(theirs)
      lines += theirs.split('\n').length
    }
    console.log(`summit disasm matched llvm-objdump on ${objects.length} objects (${lines} lines)`)
  })
  it.skipIf(K2 === undefined)(
    'restricts output to one section and prints ubpf and k2 syntaxes',
    async () => {
      const r = await summit('disasm', join(K2 ?? '', 'xdp_exception.insns'), '--syntax', 'k2')
      expect(r.code).toBe(0)
      expect(r.out).toMatch(/^Disassembly of section xdp_exception.insns:\n/)
      expect(r.out).toMatch(/EXIT/)
      const u = await summit('disasm', join(K2 ?? '', 'xdp_exception.insns'), '--syntax', 'ubpf')
      expect(u.out).toMatch(/exit/)
    }
  )
})

describe('bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'summit-cli-'))
  it('names the file and gives exit code 2 for a truncated object', async () => {
    const bytes = readFileSync(join(FIXTURES, 'xdp_rewrite.o'))
    const cut = join(dir, 'cut.o')
    writeFileSync(cut, bytes.subarray(0, 100))
    const r = await summit('info', cut)
    expect(r.code).toBe(2)
    expect(r.err).toContain(cut)
    expect(r.err).toMatch(/error ELF_/)
  })
  it('rejects a missing file, an unknown section and an unknown command', async () => {
    expect((await summit('info', join(dir, 'nope.o'))).err).toMatch(/INPUT_NOT_FOUND/)
    const s = await summit('disasm', join(FIXTURES, 'xdp_rewrite.o'), '--section', 'nosuch')
    expect(s.code).toBe(2)
    expect(s.err).toMatch(/SECTION_NOT_FOUND/)
    expect((await summit('frobnicate')).code).toBe(2)
  })
  it('reports the line of an assembly error', async () => {
    const src = join(dir, 'bad.s')
    writeFileSync(src, 'r0 = 1\nr0 = frob r1\nexit\n')
    const r = await summit('asm', src, '-o', join(dir, 'bad.bin'))
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/line 2/)
  })
  it('exits with code 2 as a process, with a one-line message', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src-daemon/cli/main.ts'), 'info', join(dir, 'none.o')],
      { encoding: 'utf8', cwd: ROOT }
    )
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
  })
})

describe('summit asm', () => {
  it('assembles llvm syntax with labels into bytes that disassemble back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'summit-asm-'))
    const src = join(dir, 'p.s')
    writeFileSync(src, 'r0 = 0\nif r1 > 5 goto out\nr0 = 1\nout:\nexit\n')
    const r = await summit('asm', src, '-o', join(dir, 'p.bin'))
    expect(r.code).toBe(0)
    const bin = readFileSync(join(dir, 'p.bin'))
    expect(bin.length).toBe(32)
    const d = await summit('disasm', join(dir, 'p.bin'), '--syntax', 'llvm')
    expect(d.out).toMatch(/if r1 > 0x5 goto \+1|if r1 > 5 goto \+1/)
  })
})
