/** @fileoverview The strict stack mode (allowUninitStack: false) rejects reads of unwritten stack bytes. */
import { describe, expect, it } from 'vitest'
import { analyze } from '../../src-daemon/core/analysis/verifier'
import { assemble } from '../../src-daemon/core/isa/asm'

function check(asm: string, allowUninitStack: boolean): string {
  const a = assemble(asm, 'llvm')
  if (!a.ok) throw new Error(a.error.message)
  const maps = [{ type: 1, keySize: 8, valueSize: 8, maxEntries: 4 }]
  const r = analyze(a.value, { progType: 'xdp', maps, allowUninitStack })
  return r.ok ? 'accept' : `${r.error.code}: ${r.error.message}`
}

describe('uninitialised stack', () => {
  const direct = 'r0 = *(u64 *)(r10 - 8)\nexit'
  const viaKey = 'r2 = r10\nr2 += -8\nld_pseudo r1, 1, 0\ncall 1\nr0 = 0\nexit'
  const variable = `
    r2 = *(u32 *)(r1 + 12)
    r2 &= 8
    r3 = r10
    r3 += -16
    r3 += r2
    r0 = *(u64 *)(r3 + 0)
    exit`

  it('is readable by default, like a privileged kernel load', () => {
    expect(check(direct, true)).toBe('accept')
    expect(check(viaKey, true)).toBe('accept')
    expect(check(variable, true)).toBe('accept')
  })

  it('is rejected in strict mode: direct, helper and variable-offset reads', () => {
    expect(check(direct, false)).toBe(
      'VERIFY_STACK_BOUNDS: invalid read from stack R10 off -8 size 8'
    )
    expect(check(viaKey, false)).toContain('invalid indirect read from stack R2 off -8+0 size 8')
    expect(check(variable, false)).toContain('invalid indirect read from stack R3')
  })

  it('accepts initialised bytes in strict mode', () => {
    expect(check('r1 = 1\n*(u64 *)(r10 - 8) = r1\n' + viaKey, false)).toBe('accept')
  })
})
