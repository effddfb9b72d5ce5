/**
 * @fileoverview perf_event_output's packet sample (BPF_F_CTXLEN_MASK): tc, socket filter and XDP
 * programs append the packet's first N bytes to the record; N beyond the packet gives -EFAULT,
 * flag bits above the mask -EINVAL, and tracing programs refuse any length with -EINVAL.
 */
import { describe, expect, it } from 'vitest'
import { MapType, type CtxKind, type MapDef } from '../../src-daemon/core/interp'
import { SK_BUFF } from '../../src-daemon/core/interp/layout'
import { asmMaps, exited, expectFault, mapRef, run, u32le } from './support'

const PERF: MapDef = { type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 }
const PACKET = Uint8Array.from({ length: 20 }, (_, i) => 0xa0 + i)
/** A perf event in the slot of CPU 0, where the run happens. */
const INPUT = { packet: PACKET, maps: [[{ key: u32le(0), value: u32le(7) }]], cpu: 0 }
const EINVAL = BigInt.asUintN(64, -22n)
const EFAULT = BigInt.asUintN(64, -14n)

/** Sends the 2-byte record 0x0201 with flags `flags` (a 64-bit immediate). */
function send(flags: bigint): string {
  return `
    mov %r6, %r1
    sth [%r10-2], 0x0201
    lddw %r2, ${mapRef(0)}
    lddw %r3, 0x${flags.toString(16)}
    mov %r4, %r10
    add %r4, -2
    mov %r5, 2
    call 25
    exit`
}

/** Sends with the sample length computed from skb->len minus `less` (BPF_F_CURRENT_CPU). */
const SEND_LEN_MINUS = (less: number): string => `
    ldxw %r3, [%r1+${SK_BUFF.len}]
    sub %r3, ${less}
    lsh %r3, 32
    lddw %r2, 0xffffffff
    or %r3, %r2
    stb [%r10-1], 9
    lddw %r2, ${mapRef(0)}
    mov %r4, %r10
    add %r4, -1
    mov %r5, 1
    call 25
    exit`

function sent(text: string, ctx: CtxKind = 'skb'): { r0: bigint; data: number[] } {
  const r = exited(run(asmMaps(text), INPUT, ctx, [PERF]))
  const out = r.outputs[0]
  return { r0: r.r0, data: out?.kind === 'perf_output' ? [...out.data] : [] }
}

const CTXLEN = (n: number): bigint => (BigInt(n) << 32n) | 0xffffffffn

describe('perf_event_output packet samples', () => {
  it('appends the first N packet bytes to the record (tc, socket filter, XDP)', () => {
    for (const ctx of ['skb', 'socket', 'xdp'] as const) {
      const r = sent(send(CTXLEN(5)), ctx)
      expect(r.r0, ctx).toBe(0n)
      expect(r.data, ctx).toEqual([1, 2, ...PACKET.subarray(0, 5)])
    }
    // The whole packet may be sent; no sample leaves the record as it is.
    expect(sent(send(CTXLEN(20))).data).toEqual([1, 2, ...PACKET])
    expect(sent(send(CTXLEN(0))).data).toEqual([1, 2])
  })

  it('takes a computed length (skb->len less some bytes)', () => {
    const r = sent(SEND_LEN_MINUS(3))
    expect(r.r0).toBe(0n)
    expect(r.data).toEqual([9, ...PACKET.subarray(0, 17)])
  })

  it('gives -EFAULT and no record for a length beyond the packet', () => {
    for (const ctx of ['skb', 'socket', 'xdp'] as const) {
      const r = exited(run(asmMaps(send(CTXLEN(21))), INPUT, ctx, [PERF]))
      expect(r.r0, ctx).toBe(EFAULT)
      expect(r.outputs, ctx).toEqual([])
    }
    // A length that wrapped below zero has bits above the mask: -EINVAL first.
    expect(sent(SEND_LEN_MINUS(21)).r0).toBe(EINVAL)
  })

  it('gives -EINVAL for flag bits above BPF_F_CTXLEN_MASK, before the length check', () => {
    expect(sent(send(CTXLEN(5))).r0).toBe(0n)
    expect(sent(send((1n << 52n) | CTXLEN(5))).r0).toBe(EINVAL)
    expect(sent(send((1n << 52n) | 0xffffffffn)).r0).toBe(EINVAL)
    expect(sent(send((1n << 63n) | CTXLEN(5))).r0).toBe(EINVAL)
    expect(sent(send((1n << 52n) | CTXLEN(100))).data).toEqual([])
  })

  it('gives -EINVAL for any length in tracing and struct-context programs', () => {
    expect(sent(send(CTXLEN(1)), 'tracepoint').r0).toBe(EINVAL)
    expect(sent(send(CTXLEN(1)), 'sock_ops').r0).toBe(EINVAL)
    expect(sent(send(0xffffffffn), 'tracepoint').data).toEqual([1, 2])
  })

  it('faults where the program type, hence the helper variant, is not known', () => {
    expectFault(run(asmMaps(send(CTXLEN(1))), INPUT, 'plain', [PERF]), /for this program type/)
  })
})
