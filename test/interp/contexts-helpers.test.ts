/** @fileoverview Program contexts (XDP, skb, socket, flat, tracepoint, scalar) and the kernel helpers. */
import { describe, expect, it } from 'vitest'
import { createMachine, compileProgram, ctxKindForK2 } from '../../src-daemon/core/interp'
import { SK_BUFF } from '../../src-daemon/core/interp/layout'
import { asm, exited, expectFault, run, u32le } from './support'

const PKT = Uint8Array.from({ length: 60 }, (_, i) => i)

describe('XDP context', () => {
  it('data/data_end are packet pointers; a bounds-checked load reads the packet', () => {
    const prog = `
      ldxw %r2, [%r1+0]
      ldxw %r3, [%r1+4]
      mov %r0, %r3
      sub %r0, %r2
      mov %r4, %r2
      add %r4, 14
      jgt %r4, %r3, out
      ldxh %r5, [%r2+12]
      lsh %r0, 16
      or %r0, %r5
      out:
      exit`
    expect(exited(run(prog, { packet: PKT }, 'xdp')).r0).toBe((60n << 16n) | 0x0d0cn)
    expect(exited(run(prog, { packet: PKT.slice(0, 10) }, 'xdp')).r0).toBe(10n)
  })
  it('reading past data_end faults; ctx fields come from the input; ctx is read-only', () => {
    expectFault(
      run('ldxw %r2, [%r1+0]\nldxb %r0, [%r2+60]\nexit', { packet: PKT }, 'xdp'),
      /invalid load of 1 bytes/
    )
    expect(exited(run('ldxw %r0, [%r1+12]\nexit', { ctx: { ingress_ifindex: 9 } }, 'xdp')).r0).toBe(
      9n
    )
    expectFault(run('stw [%r1+12], 1\nmov %r0, 0\nexit', {}, 'xdp'), /invalid store/)
    expectFault(run('ldxh %r0, [%r1+0]\nexit', { packet: PKT }, 'xdp'), /invalid load of 2 bytes/)
  })
  it('xdp_adjust_head moves data (limits: headroom, 14 bytes left) and the result packet follows', () => {
    const grow =
      'mov %r6, %r1\nmov %r2, -4\ncall 44\nldxw %r2, [%r6+0]\nstw [%r2+0], 0x11223344\nexit'
    const r = exited(run(grow, { packet: PKT }, 'xdp'))
    expect(r.r0).toBe(0n)
    expect(r.packet.length).toBe(64)
    expect(Array.from(r.packet.slice(0, 6))).toEqual([0x44, 0x33, 0x22, 0x11, 0, 1])
    expect(exited(run('mov %r2, -300\ncall 44\nexit', { packet: PKT }, 'xdp')).r0).toBe(
      BigInt.asUintN(64, -22n)
    )
    expect(exited(run('mov %r2, 47\ncall 44\nexit', { packet: PKT }, 'xdp')).r0).toBe(
      BigInt.asUintN(64, -22n)
    )
    const shrink = exited(run('mov %r2, 46\ncall 44\nexit', { packet: PKT }, 'xdp'))
    expect(Array.from(shrink.packet)).toEqual(Array.from(PKT.slice(46)))
  })
  it('xdp_adjust_meta: 4-byte multiples up to 32 bytes; data_meta becomes a pointer before data', () => {
    const ok =
      'mov %r6, %r1\nmov %r2, -8\ncall 54\nldxw %r2, [%r6+8]\nldxw %r3, [%r6+0]\nsub %r3, %r2\nadd %r0, %r3\nexit'
    expect(exited(run(ok, { packet: PKT }, 'xdp')).r0).toBe(8n)
    expect(exited(run('mov %r2, -6\ncall 54\nexit', { packet: PKT }, 'xdp')).r0).toBe(
      BigInt.asUintN(64, -13n)
    )
    expect(exited(run('mov %r2, -36\ncall 54\nexit', { packet: PKT }, 'xdp')).r0).toBe(
      BigInt.asUintN(64, -13n)
    )
  })
  it('xdp_adjust_tail shrinks or grows with zero bytes', () => {
    const r = exited(run('mov %r2, 4\ncall 65\nexit', { packet: PKT }, 'xdp'))
    expect(r.r0).toBe(0n)
    expect(Array.from(r.packet.slice(58))).toEqual([58, 59, 0, 0, 0, 0])
    expect(exited(run('mov %r2, -50\ncall 65\nexit', { packet: PKT }, 'xdp')).r0).toBe(
      BigInt.asUintN(64, -22n)
    )
    expect(exited(run('mov %r2, -46\ncall 65\nexit', { packet: PKT }, 'xdp')).packet.length).toBe(
      14
    )
  })
  it('bpf_redirect records the target and returns XDP_REDIRECT (flags → XDP_ABORTED)', () => {
    const r = exited(run('mov %r1, 5\nmov %r2, 0\ncall 23\nexit', { packet: PKT }, 'xdp'))
    expect(r.r0).toBe(4n)
    expect(r.outputs).toEqual([{ kind: 'redirect', ifindex: 5, flags: 0n }])
    expect(exited(run('mov %r1, 5\nmov %r2, 1\ncall 23\nexit', { packet: PKT }, 'xdp')).r0).toBe(0n)
  })
})

describe('skb and socket contexts', () => {
  it('__sk_buff: len, protocol from the packet, data/data_end pointers at 76/80', () => {
    expect(exited(run(`ldxw %r0, [%r1+${SK_BUFF.len}]\nexit`, { packet: PKT }, 'skb')).r0).toBe(60n)
    expect(
      exited(run(`ldxw %r0, [%r1+${SK_BUFF.protocol}]\nexit`, { packet: PKT }, 'skb')).r0
    ).toBe(0x0d0cn)
    const prog = 'ldxw %r2, [%r1+76]\nldxw %r3, [%r1+80]\nmov %r0, %r3\nsub %r0, %r2\nexit'
    expect(exited(run(prog, { packet: PKT }, 'skb')).r0).toBe(60n)
    expect(
      exited(run(`ldxw %r0, [%r1+${SK_BUFF.mark}]\nexit`, { ctx: { mark: 42 } }, 'skb')).r0
    ).toBe(42n)
  })
  it('tc may write mark and cb[]; socket filters only cb[]; written context is an output', () => {
    const r = exited(
      run(
        `stw [%r1+${SK_BUFF.mark}], 7\nstw [%r1+${SK_BUFF.cb + 4}], 9\nmov %r0, 0\nexit`,
        { packet: PKT },
        'skb'
      )
    )
    expect(r.ctx[SK_BUFF.mark]).toBe(7)
    expect(r.ctx[SK_BUFF.cb + 4]).toBe(9)
    expectFault(
      run(`stw [%r1+${SK_BUFF.mark}], 7\nmov %r0, 0\nexit`, { packet: PKT }, 'socket'),
      /invalid store/
    )
    expect(
      exited(run(`stw [%r1+${SK_BUFF.cb}], 7\nldxw %r0, [%r1+${SK_BUFF.cb}]\nexit`, {}, 'socket'))
        .r0
    ).toBe(7n)
    expectFault(run(`stw [%r1+${SK_BUFF.len}], 7\nmov %r0, 0\nexit`, {}, 'skb'), /invalid store/)
  })
  it('ld_abs/ld_ind load in network byte order and clobber r1-r5; out of bounds exits with r0 = 0', () => {
    expect(exited(run('mov %r6, %r1\nldabsh 12\nexit', { packet: PKT }, 'socket')).r0).toBe(0x0c0dn)
    expect(exited(run('mov %r6, %r1\nldabsw 0\nexit', { packet: PKT }, 'socket')).r0).toBe(
      0x00010203n
    )
    expect(
      exited(run('mov %r6, %r1\nmov %r2, 10\nldindb %r2, 5\nexit', { packet: PKT }, 'socket')).r0
    ).toBe(15n)
    expect(
      exited(run('mov %r6, %r1\nldabsw 58\nmov %r0, 9\nexit', { packet: PKT }, 'socket')).r0
    ).toBe(0n)
    expectFault(
      run('mov %r6, %r1\nldabsb 0\nmov %r0, %r1\nexit', { packet: PKT }, 'socket'),
      /uninitialised register r1/
    )
    expectFault(run('mov %r6, %r1\nldabsb 0\nexit', { packet: PKT }, 'xdp'), /not available/)
  })
  it('skb_load_bytes and skb_store_bytes copy within bounds, -EFAULT outside', () => {
    const load =
      'mov %r2, 4\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 4\ncall 26\nldxw %r1, [%r10-8]\nadd %r0, %r1\nexit'
    expect(exited(run(load, { packet: PKT }, 'socket')).r0).toBe(0x07060504n)
    expect(
      exited(run(load.replace('mov %r2, 4', 'mov %r2, 58'), { packet: PKT }, 'socket')).r0
    ).toBe(BigInt.asUintN(64, -14n))
    const store =
      'stw [%r10-4], 0x0a0b0c0d\nmov %r2, 2\nmov %r3, %r10\nadd %r3, -4\nmov %r4, 4\nmov %r5, 0\ncall 9\nexit'
    const r = exited(run(store, { packet: PKT }, 'skb'))
    expect(r.r0).toBe(0n)
    expect(Array.from(r.packet.slice(0, 7))).toEqual([0, 1, 0x0d, 0x0c, 0x0b, 0x0a, 6])
    expectFault(run(store, { packet: PKT }, 'socket'), /not available/)
  })
  it('l3_csum_replace updates an IPv4 header checksum incrementally (TTL 64 → 63)', () => {
    const ip = [
      0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7
    ]
    const pkt = Uint8Array.from([...new Array<number>(14).fill(0), ...ip])
    const prog = 'mov %r2, 24\nmov %r3, 0x1140\nmov %r4, 0x113f\nmov %r5, 2\ncall 10\nexit'
    const r = exited(run(prog, { packet: pkt }, 'skb'))
    expect(r.r0).toBe(0n)
    expect([r.packet[24], r.packet[25]]).toEqual([0xb9, 0x61])
    const r4 = exited(run(prog.replace('mov %r5, 2', 'mov %r5, 4'), { packet: pkt }, 'skb'))
    expect([r4.packet[24], r4.packet[25]]).toEqual([0xb9, 0x61])
    expect(
      exited(run(prog.replace('mov %r5, 2', 'mov %r5, 0x100'), { packet: pkt }, 'skb')).r0
    ).toBe(BigInt.asUintN(64, -22n))
  })
  it('l4_csum_replace honours BPF_F_MARK_MANGLED_0 on a zero checksum', () => {
    const pkt = new Uint8Array(40)
    const prog = 'mov %r2, 20\nmov %r3, 1\nmov %r4, 2\nmov %r5, 0x22\ncall 11\nexit'
    const r = exited(run(prog, { packet: pkt }, 'skb'))
    expect(r.r0).toBe(0n)
    expect([r.packet[20], r.packet[21]]).toEqual([0, 0])
  })
  it('csum_diff returns the ones-complement partial sum', () => {
    const prog =
      'stw [%r10-4], 0x04030201\nmov %r1, 0\nmov %r2, 0\nmov %r3, %r10\nadd %r3, -4\nmov %r4, 4\nmov %r5, 0\ncall 28\nexit'
    expect(exited(run(prog, { packet: PKT }, 'skb')).r0).toBe(0x04030201n)
    expect(exited(run(prog.replace('mov %r4, 4', 'mov %r4, 3'), {}, 'skb')).r0).toBe(
      BigInt.asUintN(64, -22n)
    )
  })
})

describe('other contexts', () => {
  it('K2 input types map to scalar, flat, xdp, skb', () => {
    expect([0, 1, 2, 3].map(ctxKindForK2)).toEqual(['scalar', 'flat', 'xdp', 'skb'])
  })
  it('flat: r1 is a writable buffer that ld_abs also reads; tracepoint: read-only', () => {
    const r = exited(
      run(
        'stb [%r1+1], 9\nmov %r6, %r1\nldabsh 0\nexit',
        { ctx: Uint8Array.from([1, 2, 3]) },
        'flat'
      )
    )
    expect(r.r0).toBe(0x0109n)
    expect(Array.from(r.ctx)).toEqual([1, 9, 3])
    expect(
      exited(run('ldxb %r0, [%r1+2]\nexit', { ctx: Uint8Array.from([1, 2, 3]) }, 'tracepoint')).r0
    ).toBe(3n)
    expectFault(
      run('stb [%r1+1], 9\nmov %r0, 0\nexit', { ctx: Uint8Array.from([1, 2, 3]) }, 'tracepoint'),
      /invalid store/
    )
  })
  it('scalar: r1 is the input number', () => {
    expect(exited(run('mov %r0, %r1\nadd %r0, 1\nexit', { r1: 41n }, 'scalar')).r0).toBe(42n)
  })
})

describe('time, randomness, trace_printk, unsupported helpers', () => {
  it('get_prandom_u32 and ktime_get_ns return the input sequences in call order', () => {
    const prog = 'call 7\nmov %r6, %r0\ncall 7\nlsh %r0, 32\nor %r0, %r6\nexit'
    expect(exited(run(prog, { randoms: [0xdeadbeef, 5] })).r0).toBe(0x5_dead_beefn)
    const t = 'call 5\nmov %r6, %r0\ncall 5\nsub %r0, %r6\nexit'
    expect(exited(run(t, { times: [1000, 1500] })).r0).toBe(500n)
    expect(exited(run(t, {})).r0).toBe(1000n)
    expect(exited(run('call 5\nexit', { times: [2 ** 40 + 3] })).r0).toBe(2n ** 40n + 3n)
  })
  it('trace_printk records the format and arguments and returns the output length', () => {
    const prog = `
      stw [%r10-8], 0x253d78
      mov %r1, %r10
      add %r1, -8
      mov %r2, 4
      mov %r3, -5
      call 6
      exit`
    const text = new TextEncoder().encode('x=%d')
    const p2 = prog.replace('0x253d78', String(new DataView(text.buffer).getUint32(0, true)))
    const r = exited(run(p2.replace('mov %r2, 4', 'mov %r2, 4'), {}))
    expect(r.r0).toBe(4n)
    expect(r.outputs[0]?.kind).toBe('trace_printk')
  })
  it('an unsupported helper faults with its id and name', () => {
    expectFault(run('call 18\nexit'), /unsupported helper 18 /)
    expectFault(run('call 999\nexit'), /unsupported helper 999 \(unknown\)/)
  })
  it('the machine is reusable: map state and packet are reset between runs', () => {
    const m = createMachine(compileProgram(asm('mov %r2, 4\ncall 65\nexit'), [], 'xdp'))
    expect(exited(m.run({ packet: PKT })).packet.length).toBe(64)
    expect(exited(m.run({ packet: PKT })).packet.length).toBe(64)
    const short = exited(m.run({ packet: PKT.slice(0, 12) }))
    expect(Array.from(short.packet)).toEqual([...Array.from(PKT.slice(0, 12)), 0, 0, 0, 0])
    const tiny = exited(m.run({ packet: u32le(0x01020304) }))
    expect(tiny.r0).toBe(BigInt.asUintN(64, -22n))
    expect(Array.from(tiny.packet)).toEqual([4, 3, 2, 1])
  })
})
