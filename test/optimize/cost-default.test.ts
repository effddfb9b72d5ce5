/**
 * @fileoverview The default cost never trades speed for size: on a per-CPU counter whose only
 * size win is turning load/add/store into a `lock` atomic add, `optimize` keeps the plain form by
 * default and takes the atomic with `--cost size`; with the kernel verifier in the loop, a kernel
 * that refuses atomics (simulated) makes the search keep the plain form even under `--cost size`.
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
import { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import { kernelVerify } from '../../src-daemon/cli/optimize-kernel'
import { printSkip } from '../support/environment'

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

/** Runs `optimize` on `file` into `out` (20,000 iterations, one chain); what it wrote and said. */
async function optimizeWith(
  file: string,
  out: string,
  extra: string[]
): Promise<{ lines: string[]; text: string; err: string }> {
  let text = ''
  let err = ''
  const argv = [file, ...extra, '--iterations', '20000', '--chains', '1', '--seed', '1']
  const code = await optimizeCommand.run([...argv, '--out', out, '--data-dir', dirname(out)], {
    out: (t) => void (text += t),
    err: (t) => void (err += t)
  })
  expect(code, err).toBe(0)
  const p = selectPrograms(loadInput(out), undefined)[0]!
  return { lines: decodeLenient(p.slots).map((d) => llvmText(d)), text, err }
}

describe('the default cost keeps a plain counter where size alone takes an atomic add', () => {
  it('--cost size folds into a lock add; the default keeps load/add/store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'summit-cost-'))
    const file = counterProgram(dir)
    const original = selectPrograms(loadInput(file), undefined)[0]!
    const size = await optimizeWith(file, join(dir, 'size.insns'), ['--cost', 'size'])
    expect(size.lines.some((l) => l.startsWith('lock '))).toBe(true)
    const dflt = await optimizeWith(file, join(dir, 'default.insns'), [])
    expect(dflt.lines.some((l) => l.startsWith('lock '))).toBe(false)
    expect(dflt.lines).toContain('r1 += 1')
    // What the default wrote is never estimated slower than the original.
    const written = selectPrograms(loadInput(join(dir, 'default.insns')), undefined)[0]!
    expect(latencyOf(Candidate.fromSlots(written.slots))).toBeLessThanOrEqual(
      latencyOf(Candidate.fromSlots(original.slots))
    )
  }, 120_000)
})

describe('the kernel verifier in the search loop', () => {
  it('counts a refused new best as unsafe and reports only what the kernel accepts', async () => {
    const oracle = new KernelOracle()
    const a = await oracle.availability()
    await oracle.dispose()
    if (!a.available) {
      printSkip('verifier in the loop', a.reason)
      return
    }
    const dir = mkdtempSync(join(tmpdir(), 'summit-kverify-'))
    const file = counterProgram(dir)
    const before = process.env.SUMMIT_KERNEL_FEATURES_OFF
    // A kernel without atomic read-modify-writes: the search's one size win (a lock add) is refused.
    process.env.SUMMIT_KERNEL_FEATURES_OFF = 'insn:atomic'
    try {
      const out = join(dir, 'refused.insns')
      const refused = await optimizeWith(file, out, ['--cost', 'size', '--json'])
      const doc = JSON.parse(refused.text) as {
        stats: { kernelVerifier: { accepted: number; rejected: number; lastRejection: string } }
      }
      expect(doc.stats.kernelVerifier.rejected).toBeGreaterThan(0)
      expect(doc.stats.kernelVerifier.lastRejection).toMatch(/atomic read-modify-write/)
      expect(refused.err).toMatch(
        /kernel verifier in the loop: \d+ new best\(s\) checked, [1-9]\d* rejected/
      )
      expect(refused.lines.some((l) => l.startsWith('lock '))).toBe(false)
      // The written program is one this (simulated) kernel accepts, loaded as the original is.
      const input = loadInput(file)
      const written = selectPrograms(loadInput(out), undefined)[0]!
      expect(
        await kernelVerify(input, selectPrograms(input, undefined)[0]!, written.slots)
      ).toMatch(/^accepted by the kernel verifier/)
      // Without the loop, the same search reports the refused atomic form.
      const unchecked = await optimizeWith(file, join(dir, 'unchecked.insns'), [
        '--cost',
        'size',
        '--no-kernel-verify'
      ])
      expect(unchecked.lines.some((l) => l.startsWith('lock '))).toBe(true)
    } finally {
      if (before === undefined) delete process.env.SUMMIT_KERNEL_FEATURES_OFF
      else process.env.SUMMIT_KERNEL_FEATURES_OFF = before
    }
  }, 180_000)
})
