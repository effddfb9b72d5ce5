/**
 * @fileoverview The tc helpers that change the packet or socket buffer: skb_change_type and
 * skb_pull_data (exact), skb_change_proto, skb_change_tail and skb_adjust_room (the run's answers).
 */
import { describe, expect, it } from 'vitest'
import { SK_BUFF } from '../../src-daemon/core/interp/layout'
import { exited, expectFault, run } from './support'

const PKT = Uint8Array.from({ length: 60 }, (_, i) => i)
const EINVAL = BigInt.asUintN(64, -22n)
const ENOMEM = BigInt.asUintN(64, -12n)

function u32At(bytes: Uint8Array, off: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(off, true)
}

describe('skb_change_type', () => {
  const prog = (type: number): string =>
    `mov %r6, %r1\nmov %r2, ${type}\ncall 32\nldxw %r1, [%r6+4]\nlsh %r1, 32\nor %r0, %r1\nexit`
  it('sets pkt_type when the old and new types are at most PACKET_OTHERHOST (3)', () => {
    const r = exited(run(prog(3), { packet: PKT, ctx: { pkt_type: 1 } }, 'skb'))
    expect(r.r0).toBe(3n << 32n)
    expect(u32At(r.ctx, SK_BUFF.pkt_type)).toBe(3)
  })
  it('refuses a new type above 3, or an old one, with -EINVAL and leaves pkt_type alone', () => {
    const bad = exited(run(prog(4), { packet: PKT, ctx: { pkt_type: 0 } }, 'skb'))
    expect(BigInt.asUintN(32, bad.r0)).toBe(EINVAL & 0xffffffffn)
    expect(u32At(bad.ctx, SK_BUFF.pkt_type)).toBe(0)
    const old = exited(run(prog(1), { packet: PKT, ctx: { pkt_type: 5 } }, 'skb'))
    expect(u32At(old.ctx, SK_BUFF.pkt_type)).toBe(5)
    // Only the low 32 bits of the type count (the kernel's u32 argument).
    const wide = exited(
      run(`mov %r2, 1\nlsh %r2, 32\nor %r2, 2\ncall 32\nexit`, { packet: PKT }, 'skb')
    )
    expect(wide.r0).toBe(0n)
    expect(u32At(wide.ctx, SK_BUFF.pkt_type)).toBe(2)
  })
  it('is for tc programs only', () => {
    expectFault(run(prog(1), { packet: PKT }, 'socket'), /not available/)
  })
})

describe('skb_pull_data', () => {
  it('succeeds up to the packet length (0 meaning all) and leaves the packet alone', () => {
    for (const len of [0, 1, 60]) {
      const r = exited(run(`mov %r2, ${len}\ncall 39\nexit`, { packet: PKT }, 'skb'))
      expect(r.r0).toBe(0n)
      expect(Array.from(r.packet)).toEqual(Array.from(PKT))
    }
  })
  it('fails with -ENOMEM past the packet (the length is a u32)', () => {
    expect(exited(run('mov %r2, 61\ncall 39\nexit', { packet: PKT }, 'skb')).r0).toBe(ENOMEM)
    const high = 'mov %r2, 1\nlsh %r2, 32\nor %r2, 4\ncall 39\nexit'
    expect(exited(run(high, { packet: PKT }, 'skb')).r0).toBe(0n)
    expect(exited(run('mov %r2, -1\ncall 39\nexit', { packet: PKT }, 'skb')).r0).toBe(ENOMEM)
  })
  it('is for tc programs only', () => {
    expectFault(run('mov %r2, 0\ncall 39\nexit', { packet: PKT }, 'socket'), /not available/)
  })
})

describe('skb_change_proto, skb_change_tail, skb_adjust_room (answered)', () => {
  const calls: readonly [number, string][] = [
    [31, 'mov %r2, 0xdd86\nmov %r3, 0'],
    [38, 'mov %r2, 80\nmov %r3, 0'],
    [50, 'mov %r2, 8\nmov %r3, 1\nmov %r4, 0']
  ]
  it('record the arguments, the packet length, the context and the packet bytes', () => {
    for (const [id, setup] of calls) {
      const r = exited(run(`${setup}\ncall ${id}\nexit`, { packet: PKT }, 'skb'))
      const call = r.outputs[0]
      expect(call?.kind).toBe('helper_call')
      if (call?.kind !== 'helper_call') continue
      expect(call.id).toBe(id)
      expect(call.args.at(-1)).toBe(60n)
      expect(call.args.length).toBe(id === 50 ? 4 : 3)
      expect(call.data.length).toBe(192 + 60)
      expect(Array.from(call.data.slice(192))).toEqual(Array.from(PKT))
      // Without an answer: r0 = 0, packet and context unchanged.
      expect(r.r0).toBe(0n)
      expect(Array.from(r.packet)).toEqual(Array.from(PKT))
    }
  })
  it('take the result, packet, length and fields from the answer', () => {
    const packet = Uint8Array.from({ length: 80 }, (_, i) => 255 - i)
    const prog = `mov %r6, %r1\nmov %r2, 80\nmov %r3, 0\ncall 38\nmov %r7, %r0
      ldxw %r2, [%r6+76]\nldxw %r3, [%r6+80]\nmov %r0, %r3\nsub %r0, %r2\nldxw %r1, [%r6+0]
      lsh %r1, 16\nor %r0, %r1\nexit`
    const r = exited(
      run(
        prog,
        { packet: PKT, calls: [{ r0: 0n, packet, fields: [0x1234dd86, 7, 2, 1400] }] },
        'skb'
      )
    )
    expect(r.r0).toBe((80n << 16n) | 80n)
    expect(Array.from(r.packet)).toEqual(Array.from(packet))
    expect(u32At(r.ctx, SK_BUFF.len)).toBe(80)
    expect(u32At(r.ctx, SK_BUFF.protocol)).toBe(0xdd86)
    expect(u32At(r.ctx, SK_BUFF.hash)).toBe(7)
    expect(u32At(r.ctx, SK_BUFF.gso_segs)).toBe(2)
    expect(u32At(r.ctx, SK_BUFF.gso_size)).toBe(1400)
  })
  it('keep results in [-4095, 0]; others read as 0; a packet may outgrow the input limit', () => {
    const go = (r0: bigint): bigint =>
      exited(run('mov %r2, 0\nmov %r3, 0\ncall 31\nexit', { packet: PKT, calls: [{ r0 }] }, 'skb'))
        .r0
    expect(go(-95n)).toBe(BigInt.asUintN(64, -95n))
    expect(go(-4096n)).toBe(0n)
    expect(go(1n)).toBe(0n)
    const grown = (size: number): { length: number; len: number } => {
      const r = exited(
        run(
          'mov %r2, 0\nmov %r3, 0\ncall 38\nexit',
          { packet: PKT, calls: [{ r0: 0n, packet: new Uint8Array(size).fill(9) }] },
          'skb',
          [],
          { maxPacket: 100 }
        )
      )
      return { length: r.packet.length, len: u32At(r.ctx, SK_BUFF.len) }
    }
    expect(grown(2000)).toEqual({ length: 2000, len: 2000 })
    expect(grown(70000)).toEqual({ length: 0xffff, len: 0xffff })
  })
  it('are for tc programs only', () => {
    expectFault(
      run('mov %r2, 0\nmov %r3, 0\ncall 38\nexit', { packet: PKT }, 'socket'),
      /not available/
    )
  })
})
