/** @fileoverview How counterexamples are printed: long zero runs counted, new input parts named. */
import { describe, expect, it } from 'vitest'
import { describeInput, describeResult, hexBrief } from '../../src-daemon/cli/format-result'
import { runOnce } from '../../src-daemon/core/interp/api'
import { assemble } from '../../src-daemon/core/isa/asm'

describe('hexBrief', () => {
  it('prints short arrays whole and counts long runs of leading or trailing zeros', () => {
    expect(hexBrief(Uint8Array.from([0, 1, 0]))).toBe('000100')
    expect(hexBrief(new Uint8Array(40))).toBe('(40 zero bytes)')
    const tail = new Uint8Array(40)
    tail[0] = 0xab
    expect(hexBrief(tail)).toBe('ab… (then 39 zero bytes)')
    const head = new Uint8Array(40)
    head[39] = 0xcd
    expect(hexBrief(head)).toBe('(39 zero bytes) …cd')
  })
})

describe('describeInput and describeResult', () => {
  it('name the environment and the moved packet', () => {
    const text = describeInput({
      packet: Uint8Array.from([1, 2]),
      headroom: Uint8Array.from([0, 7]),
      xdpNoMeta: true,
      cpu: 3,
      pidTgid: 0x10000002an,
      ringUsed: [0, 64]
    })
    expect(text).toContain('packet (2 bytes): 0102')
    expect(text).toContain('headroom (last 2 bytes before the packet): 0007')
    expect(text).toContain('driver without XDP metadata support')
    expect(text).toContain('cpu: 3')
    expect(text).toContain('pid_tgid: 0x10000002a')
    expect(text).toContain('ring buffer bytes in use at start: 0 64')
    const prog = assemble('r6 = r1\nr2 = -4\ncall 44\nr0 = 2\nexit', 'llvm')
    if (!prog.ok) throw new Error(prog.error.message)
    const r = runOnce(prog.value, [], 'xdp', { packet: new Uint8Array(20) })
    expect(describeResult(r)).toContain('packet start moved by -4 bytes')
  })
})
