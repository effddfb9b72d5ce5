/** @fileoverview The proof-cache key: dead code removal and register renaming keep behaviour. */
import { insn as I } from '../../src-daemon/core/isa/insn'
import { describe, expect, it } from 'vitest'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { runConformanceProgram } from '../../src-daemon/core/interp/conformance'
import { canonicalProofKey, withoutDeadCode } from '../../src-daemon/core/search/proof-key'
import { Rng } from '../../src-daemon/core/search/rng'

function run(slots: readonly Insn[], seed: number): string {
  const mem = new Uint8Array(64)
  for (let i = 0; i < mem.length; i++) mem[i] = (seed * 59 + i * 13 + (seed >> 3)) & 0xff
  const r = runConformanceProgram(slots, mem)
  return r.kind === 'exit' ? `${r.r0} ${[...mem].join(',')}` : `fault ${r.reason}`
}

const ALU_IMM = [0x07, 0x17, 0x27, 0x47, 0x57, 0x67, 0x77, 0xa7, 0xb7, 0x04, 0xb4, 0x37, 0x97]
const ALU_REG = [0x0f, 0x1f, 0x2f, 0x4f, 0x5f, 0xaf, 0xbf, 0x0c, 0xbc, 0x3f, 0x9f]
const JMP_IMM = [0x15, 0x55, 0x25, 0xa5, 0x45, 0x65]

/** A random program over r0, r2..r9 (r1 stays the memory pointer), with forward jumps. */
function randomProgram(rng: Rng): Insn[] {
  const out: Insn[] = [0, 2, 3, 4, 5, 6, 7, 8, 9].map((r) => I(0xb7, r, 0, 0, rng.int(9)))
  const reg = (): number => [0, 2, 3, 4, 5, 6, 7, 8, 9][rng.int(9)]!
  const n = 6 + rng.int(14)
  for (let k = 0; k < n; k++) {
    const left = n - k
    const pick = rng.int(10)
    if (pick < 4) {
      const code = ALU_IMM[rng.int(ALU_IMM.length)]!
      const shift = code === 0x67 || code === 0x77
      const divides = code === 0x37 || code === 0x97
      out.push(
        I(code, reg(), 0, 0, shift ? rng.int(32) : divides ? 1 + rng.int(9) : rng.int(50) - 10)
      )
    } else if (pick < 6) out.push(I(ALU_REG[rng.int(ALU_REG.length)]!, reg(), reg()))
    else if (pick === 6) out.push(I(0x61, reg(), 1, 4 * rng.int(16)))
    else if (pick === 7) out.push(I(0x63, 1, reg(), 4 * rng.int(16)))
    else if (pick === 8)
      out.push(I(JMP_IMM[rng.int(JMP_IMM.length)]!, reg(), 0, rng.int(left), rng.int(6)))
    else out.push(rng.int(2) === 0 ? I(0x05, 0, 0, 0) : I(0x05, 0, 0, rng.int(left)))
  }
  out.push(I(0x95, 0, 0))
  return out
}

describe('canonical proof key', () => {
  it('ignores dead writes, goto +0 and unreachable code, and re-targets jumps', () => {
    const a = [
      I(0xb7, 0, 0, 0, 1), // r0 = 1
      I(0x15, 2, 0, 2, 0), // if r2 == 0 goto +2
      I(0xb7, 0, 0, 0, 2), // r0 = 2
      I(0x05, 0, 0, 1), // goto +1
      I(0x07, 0, 0, 0, 5), // r0 += 5
      I(0x95, 0, 0)
    ]
    const b = [
      I(0xb7, 3, 0, 0, 9), // dead
      I(0xb7, 0, 0, 0, 1),
      I(0x05, 0, 0, 0), // goto +0
      I(0x15, 2, 0, 3, 0),
      I(0xb7, 0, 0, 0, 2),
      I(0x61, 4, 1, 0), // dead load
      I(0x05, 0, 0, 1),
      I(0x07, 0, 0, 0, 5),
      I(0x95, 0, 0),
      I(0xb7, 0, 0, 0, 77), // unreachable
      I(0x95, 0, 0)
    ]
    expect(canonicalProofKey(b)).toBe(canonicalProofKey(a))
    // The same write is kept when a path reads it.
    const c = b.map((s, i) => (i === 7 ? I(0x0f, 0, 3) : s))
    expect(withoutDeadCode(c)!.some((s) => s.code === 0xb7 && s.dst === 3)).toBe(true)
    expect(withoutDeadCode(b)!.some((s) => s.code === 0xb7 && s.dst === 3)).toBe(false)
  })

  it('keeps behaviour on 400 random programs and shortens most of them', () => {
    const rng = new Rng(12345)
    let shortened = 0
    for (let t = 0; t < 400; t++) {
      const p = randomProgram(rng)
      const q = withoutDeadCode(p)
      expect(q).toBeDefined()
      expect(q!.length).toBeLessThanOrEqual(p.length)
      if (q!.length < p.length) shortened++
      for (let seed = 0; seed < 6; seed++) expect(run(q!, seed), `program ${t}`).toBe(run(p, seed))
    }
    expect(shortened).toBeGreaterThan(200)
  })
})
