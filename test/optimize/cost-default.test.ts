/**
 * @fileoverview The default cost never trades speed for size: on a per-CPU counter whose only
 * size win is turning load/add/store into a `lock` atomic add, `optimize` keeps the plain form by
 * default and takes the atomic with `--cost size`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { optimizeCommand } from '../../src-daemon/cli/cmd-optimize'
import { loadInput, selectPrograms } from '../../src-daemon/engine/program/load'
import { Candidate } from '../../src-daemon/core/search/candidate'
import { latencyOf } from '../../src-daemon/core/search/latency'
import { decodeLenient } from '../../src-daemon/core/isa/decode'
import { llvmText } from '../../src-daemon/core/isa/disasm-llvm'

/** One 8-byte instruction. */
function insn(code: number, dst: number, src: number, off = 0, imm = 0): Buffer {
  const b = Buffer.alloc(8)
  b[0] = code
  b[1] = (src << 4) | dst
  b.writeInt16LE(off, 2)
  b.writeInt32LE(imm, 4)
  return b
}

/** A K2 triple: look up key 0 of a per-CPU hash, add 1 to its first counter, return 0. */
function counterProgram(dir: string): string {
  const prog = Buffer.concat([
    insn(0x62, 10, 0, -4, 0), // *(u32 *)(r10 - 4) = 0
    insn(0xbf, 2, 10), // r2 = r10
    insn(0x07, 2, 0, 0, -4), // r2 += -4
    insn(0x18, 1, 1, 0, 0), // r1 = map fd 0
    insn(0, 0, 0, 0, 0),
    insn(0x85, 0, 0, 0, 1), // call map_lookup_elem
    insn(0x15, 0, 0, 3, 0), // if r0 == 0 goto +3
    insn(0x79, 1, 0, 0), // r1 = *(u64 *)(r0 + 0)
    insn(0x07, 1, 0, 0, 1), // r1 += 1
    insn(0x7b, 0, 1, 0), // *(u64 *)(r0 + 0) = r1
    insn(0xb7, 0, 0, 0, 0), // r0 = 0
    insn(0x95, 0, 0) // exit
  ])
  writeFileSync(join(dir, 'counter.insns'), prog)
  writeFileSync(
    join(dir, 'counter.maps'),
    'counters { type = 5, key_size = 4, value_size = 16, max_entries = 4, fd = 0\n'
  )
  writeFileSync(join(dir, 'counter.desc'), '{ pgm_input_type = 1, }\n{ max_pkt_sz = 68, }\n')
  return join(dir, 'counter.insns')
}

async function optimizeWith(file: string, out: string, cost: string[]): Promise<string[]> {
  let text = ''
  const code = await optimizeCommand.run(
    [
      file,
      ...cost,
      '--iterations',
      '20000',
      '--chains',
      '1',
      '--seed',
      '1',
      '--out',
      out,
      '--data-dir',
      dirname(out)
    ],
    { out: (t) => void (text += t), err: () => undefined }
  )
  expect(code, text).toBe(0)
  const p = selectPrograms(loadInput(out), undefined)[0]!
  return decodeLenient(p.slots).map((d) => llvmText(d))
}

describe('the default cost keeps a plain counter where size alone takes an atomic add', () => {
  it('--cost size folds into a lock add; the default keeps load/add/store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'summit-cost-'))
    const file = counterProgram(dir)
    const original = selectPrograms(loadInput(file), undefined)[0]!
    const size = await optimizeWith(file, join(dir, 'size.insns'), ['--cost', 'size'])
    expect(size.some((l) => l.startsWith('lock '))).toBe(true)
    const dflt = await optimizeWith(file, join(dir, 'default.insns'), [])
    expect(dflt.some((l) => l.startsWith('lock '))).toBe(false)
    expect(dflt).toContain('r1 += 1')
    // What the default wrote is never estimated slower than the original.
    const written = selectPrograms(loadInput(join(dir, 'default.insns')), undefined)[0]!
    expect(latencyOf(Candidate.fromSlots(written.slots))).toBeLessThanOrEqual(
      latencyOf(Candidate.fromSlots(original.slots))
    )
  }, 120_000)
})
