/** @fileoverview Loads, stores, atomics, lddw, jumps, bpf-to-bpf calls, loops, budget and faults. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { insn } from '../../src-daemon/core/isa/insn'
import { opByName } from '../../src-daemon/core/isa/opcodes'
import { compileProgram, createMachine } from '../../src-daemon/core/interp'
import { jumpTaken } from './reference-alu'
import { asm, exited, expectFault, r0, run, u64le } from './support'

const MEM = Uint8Array.from([0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x01, 0x02])

describe('loads and stores', () => {
  it('loads 1/2/4/8 bytes little-endian, zero-extended', () => {
    expect(r0('ldxb %r0, [%r1+1]\nexit', { mem: MEM })).toBe(0x82n)
    expect(r0('ldxh %r0, [%r1+1]\nexit', { mem: MEM })).toBe(0x8382n)
    expect(r0('ldxw %r0, [%r1+2]\nexit', { mem: MEM })).toBe(0x86858483n)
    expect(r0('ldxdw %r0, [%r1+2]\nexit', { mem: MEM })).toBe(0x0201888786858483n)
  })
  it('sign-extending loads', () => {
    expect(r0('ldxsb %r0, [%r1+0]\nexit', { mem: MEM })).toBe(BigInt.asUintN(64, -127n))
    expect(r0('ldxsh %r0, [%r1+0]\nexit', { mem: MEM })).toBe(0xffff_ffff_ffff_8281n)
    expect(r0('ldxsw %r0, [%r1+0]\nexit', { mem: MEM })).toBe(0xffff_ffff_8483_8281n)
    expect(r0('ldxsb %r0, [%r1+8]\nexit', { mem: MEM })).toBe(1n)
  })
  it('stores of registers and immediates, read back through the stack', () => {
    expect(r0('stdw [%r10-8], -1\nstb [%r10-8], 0x12\nldxdw %r0, [%r10-8]\nexit')).toBe(
      0xffff_ffff_ffff_ff12n
    )
    expect(r0('mov %r1, 0x1234\nstxh [%r10-2], %r1\nldxh %r0, [%r10-2]\nexit')).toBe(0x1234n)
    expect(r0('lddw %r1, 0x1122334455667788\nstxw [%r10-4], %r1\nldxw %r0, [%r10-4]\nexit')).toBe(
      0x55667788n
    )
  })
  it('stores into the plain-mode memory block are visible in the result', () => {
    const r = exited(run('stw [%r1+4], 0x01020304\nmov %r0, 0\nexit', { mem: new Uint8Array(8) }))
    expect(Array.from(r.ctx)).toEqual([0, 0, 0, 0, 4, 3, 2, 1])
  })
  it('out-of-bounds and misaligned stack accesses fault (never throw)', () => {
    expectFault(run('ldxw %r0, [%r1+8]\nexit', { mem: MEM }), /invalid load of 4 bytes/)
    expectFault(run('ldxdw %r0, [%r10+0]\nexit'), /invalid load/)
    expectFault(run('stw [%r10-516], 1\nmov %r0, 0\nexit'), /invalid store of 4 bytes/)
    expectFault(run('stw [%r10-6], 1\nmov %r0, 0\nexit'), /invalid store of 4 bytes/)
    expectFault(run('mov %r1, 4096\nldxb %r0, [%r1+0]\nexit'), /invalid load of 1 bytes/)
    const r = run('ldxw %r0, [%r1+8]\nexit', { mem: MEM })
    expect(r.kind === 'fault' && r.pc).toBe(0)
  })
  it('a callee reaches the caller frame through a pointer; nobody reaches below its own frame', () => {
    const prog = `
      stdw [%r10-8], 40
      mov %r1, %r10
      add %r1, -8
      call local f
      ldxdw %r0, [%r10-8]
      exit
      f:
      ldxdw %r2, [%r1+0]
      add %r2, 2
      stxdw [%r1+0], %r2
      stdw [%r10-512], 1
      mov %r0, 0
      exit`
    expect(r0(prog)).toBe(42n)
    expectFault(
      run('call local f\nexit\nf:\nstdw [%r10-520], 1\nmov %r0, 0\nexit'),
      /invalid store/
    )
    expectFault(run('stdw [%r10-520], 7\nmov %r0, 0\nexit'), /invalid store/)
  })
  it('uninitialised stack bytes hold the input-seeded pattern (deterministic, seed-dependent)', () => {
    const a = r0('ldxdw %r0, [%r10-8]\nexit', { stackSeed: 1 })
    expect(r0('ldxdw %r0, [%r10-8]\nexit', { stackSeed: 1 })).toBe(a)
    expect(r0('ldxdw %r0, [%r10-8]\nexit', { stackSeed: 2 })).not.toBe(a)
  })
  it('lddw loads a 64-bit constant and skips its second slot', () => {
    expect(r0('lddw %r0, 0x8000000000000001\nexit')).toBe(0x8000000000000001n)
    expectFault(
      run([insn(0x05, 0, 0, 1), insn(0x18, 0, 0, 0, 1), insn(0, 0, 0, 0, 2), insn(0x95)]),
      /jump to invalid slot 2/
    )
  })
})

describe('atomics', () => {
  const setup = 'lddw %r0, 0x00000000ffffffff\nstxdw [%r10-8], %r0\nmov %r1, 1\n'
  it('add/or/and/xor, 64 and 32 bits', () => {
    expect(r0(setup + 'lock add [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit')).toBe(0x1_0000_0000n)
    expect(r0(setup + 'lock add32 [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit')).toBe(0n)
    expect(r0(setup + 'mov %r1, 0x100\nlock or [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit')).toBe(
      0xffff_ffffn
    )
    expect(r0(setup + 'lock and [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit')).toBe(1n)
    expect(r0(setup + 'lock xor [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit')).toBe(0xffff_fffen)
  })
  it('fetch variants return the old value in src (32-bit zero-extended)', () => {
    expect(r0(setup + 'lock fetch add [%r10-8], %r1\nmov %r0, %r1\nexit')).toBe(0xffff_ffffn)
    const p =
      'lddw %r0, -1\nstxdw [%r10-8], %r0\nmov %r1, 1\nlock fetch add32 [%r10-8], %r1\nmov %r0, %r1\nexit'
    expect(r0(p)).toBe(0xffff_ffffn)
    expect(
      r0(setup + 'mov %r1, 5\nlock xchg [%r10-8], %r1\nldxdw %r0, [%r10-8]\nadd %r0, %r1\nexit')
    ).toBe(0x1_0000_0004n)
  })
  it('cmpxchg compares r0 and returns the old value in r0', () => {
    const base = 'mov %r2, 9\nstxdw [%r10-8], %r2\nmov %r1, 77\n'
    expect(r0(base + 'mov %r0, 9\nlock cmpxchg [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit')).toBe(77n)
    expect(
      r0(base + 'mov %r0, 8\nlock cmpxchg [%r10-8], %r1\nldxdw %r2, [%r10-8]\nadd %r0, %r2\nexit')
    ).toBe(18n)
    const b32 =
      'lddw %r2, 0x1234567800000009\nstxdw [%r10-8], %r2\nmov %r1, 77\nlddw %r0, 0xff00000000000009\n'
    expect(r0(b32 + 'lock cmpxchg32 [%r10-8], %r1\nexit')).toBe(9n)
    expect(r0(b32 + 'lock cmpxchg32 [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit')).toBe(
      0x1234_5678_0000_004dn
    )
  })
})

describe('jumps', () => {
  const conds = ['jeq', 'jne', 'jgt', 'jge', 'jlt', 'jle', 'jset', 'jsgt', 'jsge', 'jslt', 'jsle']
  const val = fc.oneof(
    fc.constantFrom(
      0n,
      1n,
      0x7fff_ffffn,
      0x8000_0000n,
      0xffff_ffffn,
      0x1_0000_0000n,
      1n << 63n,
      (1n << 64n) - 1n
    ),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })
  )
  it('every condition, 64 and 32 bits, register source, matches the reference', () => {
    const progs = new Map<string, ReturnType<typeof createMachine>>()
    fc.assert(
      fc.property(fc.constantFrom(...conds), fc.boolean(), val, val, (cond, is32, a, b) => {
        const key = cond + is32
        let m = progs.get(key)
        if (m === undefined) {
          const code = opByName(`${cond}${is32 ? '32' : ''}_reg`).code
          const slots = [
            insn(0x79, 2, 1, 8),
            insn(0x79, 1, 1, 0),
            insn(0xb7, 0, 0, 0, 0),
            insn(code, 1, 2, 1),
            insn(0x95),
            insn(0xb7, 0, 0, 0, 1),
            insn(0x95)
          ]
          m = createMachine(compileProgram(slots, [], 'plain'))
          progs.set(key, m)
        }
        const mem = new Uint8Array(16)
        mem.set(u64le(a), 0)
        mem.set(u64le(b), 8)
        expect(exited(m.run({ mem })).r0).toBe(jumpTaken(cond, is32, a, b) ? 1n : 0n)
      }),
      { seed: 11, numRuns: 3000 }
    )
  })
  it('immediates are sign-extended in 64-bit compares', () => {
    expect(
      r0('lddw %r1, 0xffffffffffffffff\nmov %r0, 0\njeq %r1, -1, +1\nexit\nmov %r0, 1\nexit')
    ).toBe(1n)
    expect(r0('mov32 %r1, -1\nmov %r0, 0\njeq %r1, -1, +1\nexit\nmov %r0, 1\nexit')).toBe(0n)
    expect(r0('mov32 %r1, -1\nmov %r0, 0\njeq32 %r1, -1, +1\nexit\nmov %r0, 1\nexit')).toBe(1n)
  })
  it('ja and gotol (ja32)', () => {
    expect(r0('mov %r0, 1\nja +1\nmov %r0, 2\nexit')).toBe(1n)
    expect(r0('mov %r0, 1\nja32 +1\nmov %r0, 2\nexit')).toBe(1n)
  })
})

describe('control flow, calls and faults', () => {
  it('bounded loops run; unbounded ones hit the budget', () => {
    expect(
      r0('mov %r0, 0\nmov %r1, 10\nloop:\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, loop\nexit')
    ).toBe(55n)
    const r = run('mov %r0, 0\nloop:\nadd %r0, 1\nja loop\nexit', {}, 'plain', [], { budget: 1000 })
    expectFault(r, /^budget$/)
    expect(r.steps).toBe(1001)
  })
  it('bpf-to-bpf calls: own stack frame, r6-r9 preserved, r1-r5 clobbered', () => {
    const prog = asm(`
      mov %r6, 6
      stdw [%r10-8], 100
      mov %r1, 5
      call local f
      ldxdw %r2, [%r10-8]
      add %r0, %r2
      add %r0, %r6
      exit
      f:
      stdw [%r10-8], 1
      mov %r6, 0
      mov %r0, %r1
      exit`)
    expect(r0(prog)).toBe(111n)
    expectFault(
      run('mov %r1, 1\ncall local f\nmov %r0, %r1\nexit\nf:\nmov %r0, 0\nexit'),
      /uninitialised register r1/
    )
    expectFault(
      run('mov %r6, 1\ncall local f\nexit\nf:\nmov %r0, %r6\nexit'),
      /uninitialised register r6/
    )
  })
  it('recursion deeper than 8 frames faults', () => {
    expectFault(run('call local f\nexit\nf:\ncall local f\nexit'), /call depth exceeded/)
  })
  it('reading an uninitialised register or exiting without r0 faults', () => {
    expectFault(run('mov %r0, %r3\nexit'), /uninitialised register r3/)
    expectFault(run('exit'), /uninitialised register r0/)
  })
  it('unknown opcodes, bad jumps, writes to r10 and falling off the end fault when reached', () => {
    expectFault(run([insn(0xff), insn(0x95)]), /unknown opcode 0xff/)
    expectFault(run([insn(0x05, 0, 0, 5), insn(0x95)]), /jump to invalid slot/)
    expectFault(run([insn(0xb7, 10, 0, 0, 1), insn(0x95)]), /r10 is read-only/)
    expectFault(run('mov %r0, 1'), /fell off the end/)
    expect(r0([insn(0xb7, 0, 0, 0, 3), insn(0x95), insn(0xff)])).toBe(3n)
  })
  it('initial registers can come from the input; final registers are readable', () => {
    const m = createMachine(
      compileProgram(asm('mov %r0, %r3\nadd %r0, %r4\nmov %r5, 1\nexit'), [], 'plain')
    )
    expect(exited(m.run({ regs: [undefined, undefined, undefined, -1n, 2n] })).r0).toBe(1n)
    expect(m.register(5)).toBe(1n)
    expect(m.register(3)).toBe((1n << 64n) - 1n)
    expectFault(m.run({ regs: [0n, 0n, 0n, 5n] }), /uninitialised register r4/)
  })
  it('callx is a conformance-suite extension: the kernel helper set refuses it', () => {
    expectFault(run('mov %r2, 5\ncall %r2\nexit'), /callx is not supported by the kernel/)
    const r = run('mov %r1, 0\nmov %r2, 5\ncall %r2\nmov %r0, 9\nexit', {}, 'plain', [], {
      helpers: 'conformance'
    })
    expect(exited(r).r0).toBe(0n)
  })
  it('reserved fields must be zero', () => {
    expectFault(run([insn(0xb7, 0, 3, 0, 1), insn(0x95)]), /reserved field src/)
  })
})
