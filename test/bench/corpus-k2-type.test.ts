/**
 * @fileoverview The corpus benchmark proves a K2 file whose description gives a flat packet, but
 * whose code reads skb->data as a pointer (Cilium's tc programs in K2's repository), as the
 * type the analysis accepted, as a user would with --type.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { assemble } from '../../src-daemon/core/isa/asm'
import { writeK2Desc, writeK2Insns, writeK2Maps } from '../../src-daemon/core/formats'
import { runProgramTask } from '../../bench/corpus/program-task'
import { useZ3 } from '../smt/prover-support'

const z3 = useZ3()
const dir = mkdtempSync(join(tmpdir(), 'summit-corpus-k2-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A tc program: checks 14 bytes of packet through skb->data/data_end, returns a byte of it. */
const TC = `
  r2 = *(u32 *)(r1 + 76)
  r3 = *(u32 *)(r1 + 80)
  r4 = r2
  r4 += 14
  if r4 > r3 goto +2
  r0 = *(u8 *)(r2 + 12)
  exit
  r0 = 0
  exit`

/** Writes `text` as the K2 triple `name` (.insns, .maps, .desc with `inputType`); its path. */
function k2File(name: string, text: string, inputType: number): string {
  const slots = assemble(text, 'llvm')
  if (!slots.ok) throw new Error(slots.error.message)
  const file = join(dir, `${name}.insns`)
  writeFileSync(file, writeK2Insns(slots.value))
  writeFileSync(join(dir, `${name}.maps`), writeK2Maps([]))
  writeFileSync(join(dir, `${name}.desc`), writeK2Desc({ pgmInputType: inputType, maxPktSz: 64 }))
  return file
}

describe('corpus benchmark: K2 files', () => {
  it('proves the program as the type the analysis took, not as the flat packet its description gives', async () => {
    const file = k2File('tc_flat', TC, 1)
    const r = await runProgramTask(
      {
        file,
        name: 'tc_flat.insns',
        section: 'tc_flat.insns',
        timeSeconds: 0,
        proofTimeoutMs: 20_000,
        exportDir: dir
      },
      z3(),
      () => undefined
    )
    expect(r.analysis).toEqual({ kind: 'accept', profile: 'sched_cls' })
    expect(r.selfCheck.kind).toBe('equal')
  })

  it('writes an improved K2 program under its new name and reads it back', async () => {
    // XDP (K2's input type 2): r0 is computed in two steps where one would do.
    const file = k2File('xdp_pass', 'r0 = 1\nr0 += 1\nr1 = 5\nexit', 2)
    const r = await runProgramTask(
      {
        file,
        name: 'xdp_pass.insns',
        section: 'xdp_pass.insns',
        timeSeconds: 2,
        proofTimeoutMs: 20_000,
        exportDir: join(dir, 'out')
      },
      z3(),
      () => undefined
    )
    expect(r.search.kind === 'ran' && r.search.bestSlots).toBeLessThan(4)
    expect(r.exportWrite).toEqual({ kind: 'ok' })
    expect(r.exportFile).toMatch(/xdp_pass\.xdp_pass\.insns\.summit\.insns$/)
  }, 60_000)
})
