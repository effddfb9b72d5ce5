/** @fileoverview Kernel oracle: loads through the verifier, rejections with logs, test runs. */
import { afterAll, describe, expect, it } from 'vitest'
import { skipUnlessKernelHas } from '../support/environment'
import type { KernelFeature } from '../../src-daemon/engine/kernel/features'
import { insn, type Insn } from '../../src-daemon/core/isa/insn'
import { ProgType, XdpAction } from '../../src-daemon/engine/kernel/bpf-constants'
import { ipv4Packet, openKernelOracle, u64le, unwrap } from './kernel-test-support'

const { oracle, available } = await openKernelOracle('oracle-programs')
afterAll(() => oracle.dispose())

/** Bounds check on 16 bytes, then stores of every width at the start of the packet. */
const BOUNDS_CHECK: Insn[] = [
  insn(0xbf, 4, 2), // r4 = r2
  insn(0x07, 4, 0, 0, 16), // r4 += 16
  insn(0x2d, 4, 3, 8, 0) // if r4 > r3 goto +8 (to r0 = XDP_DROP)
]
const PACKET_STORES: Insn[] = [
  insn(0x72, 2, 0, 0, 0xaa), // *(u8 *)(r2 + 0) = 0xaa
  insn(0x6a, 2, 0, 2, 0x1234), // *(u16 *)(r2 + 2) = 0x1234
  insn(0x62, 2, 0, 4, 0x0badf00d), // *(u32 *)(r2 + 4) = 0x0badf00d
  insn(0x18, 5, 0, 0, 0x05060708), // r5 = 0x0102030405060708 ll
  insn(0, 0, 0, 0, 0x01020304),
  insn(0x7b, 2, 5, 8, 0), // *(u64 *)(r2 + 8) = r5
  insn(0xb7, 0, 0, 0, XdpAction.tx), // r0 = XDP_TX
  insn(0x95) // exit
]
const XDP_WRITE: Insn[] = [
  insn(0x61, 2, 1, 0, 0), // r2 = *(u32 *)(r1 + 0)  data
  insn(0x61, 3, 1, 4, 0), // r3 = *(u32 *)(r1 + 4)  data_end
  ...BOUNDS_CHECK,
  ...PACKET_STORES,
  insn(0xb7, 0, 0, 0, XdpAction.drop), // r0 = XDP_DROP
  insn(0x95) // exit
]
const XDP_WRITE_UNCHECKED: Insn[] = [insn(0x61, 2, 1, 0, 0), ...PACKET_STORES]

/** r6 = ctx; r0 = packet byte 0 through legacy ld_abs (network header for socket filters). */
const LD_ABS_FIRST_BYTE: Insn[] = [insn(0xbf, 6, 1), insn(0x30, 0, 0, 0, 0), insn(0x95)]

const RAW_TP_RUN: KernelFeature = { kind: 'testRun', progType: ProgType.rawTracepoint }

describe.skipIf(!available)('kernel oracle programs', () => {
  it('runs an XDP program that writes into the packet', async () => {
    const input = ipv4Packet()
    const r = unwrap(await oracle.runOnce(XDP_WRITE, [], { progType: ProgType.xdp, data: input }))
    expect(r.run.retval).toBe(XdpAction.tx)
    const out = r.run.data!
    expect(out).toHaveLength(input.length)
    expect([...out.subarray(0, 16)]).toEqual([
      0xaa,
      input[1],
      0x34,
      0x12,
      0x0d,
      0xf0,
      0xad,
      0x0b,
      8,
      7,
      6,
      5,
      4,
      3,
      2,
      1
    ])
    expect([...out.subarray(16)]).toEqual([...input.subarray(16)])
  })

  it('takes the bounds-check branch on a short packet', async () => {
    const r = await oracle.runOnce(XDP_WRITE, [], {
      progType: ProgType.xdp,
      data: new Uint8Array(15)
    })
    expect(r.ok && r.value.run.retval).toBe(XdpAction.drop)
  })

  it('returns the verifier log when a packet store lacks a bounds check', async () => {
    const r = await oracle.runOnce(XDP_WRITE_UNCHECKED, [], {
      progType: ProgType.xdp,
      data: ipv4Packet()
    })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('KERNEL_VERIFIER_REJECTED')
    expect(r.error.errno).toBe(13)
    expect(r.error.log).toMatch(/invalid access to packet/)
  })

  it('rejects reading an uninitialised r0 and reports it in the log', async () => {
    const r = await oracle.runOnce([insn(0x95)], [], { progType: ProgType.xdp, data: ipv4Packet() })
    expect(!r.ok && r.error.log).toMatch(/R0 !read_ok/)
  })

  it('returns a verbose log and statistics for accepted programs when asked', async () => {
    const r = await oracle.runOnce(XDP_WRITE, [], {
      progType: ProgType.xdp,
      data: ipv4Packet(),
      logLevel: 2
    })
    expect(unwrap(r).load.log).toMatch(/processed \d+ insns/)
    expect(unwrap(r).load.xlatedBytes).toBe(8 * XDP_WRITE.length)
  })

  it('shows socket filters the packet from the network header and sched_cls from Ethernet', async () => {
    const packet = ipv4Packet()
    const sock = await oracle.runOnce(LD_ABS_FIRST_BYTE, [], {
      progType: ProgType.socketFilter,
      data: packet
    })
    expect(sock.ok && sock.value.run.retval).toBe(0x45)
    const tc = await oracle.runOnce(LD_ABS_FIRST_BYTE, [], {
      progType: ProgType.schedCls,
      data: packet
    })
    expect(tc.ok && tc.value.run.retval).toBe(packet[0])
  })

  it('runs raw_tracepoint programs on a context buffer only', async () => {
    await skipUnlessKernelHas('raw_tracepoint test runs', [RAW_TP_RUN])
    const prog = [insn(0x79, 0, 1, 8, 0), insn(0x95)] // r0 = *(u64 *)(r1 + 8); exit
    const ctx = new Uint8Array(16)
    ctx.set(u64le(0x1122334455667788n), 8)
    const r = await oracle.runOnce(prog, [], { progType: ProgType.rawTracepoint, ctx })
    expect(r.ok && r.value.run.retval).toBe(0x55667788)
    const withPacket = await oracle.runOnce(prog, [], {
      progType: ProgType.rawTracepoint,
      ctx,
      data: ipv4Packet()
    })
    expect(!withPacket.ok && withPacket.error.code).toBe('KERNEL_BAD_INPUT')
  })

  it('zero-pads short raw_tracepoint contexts to the 96 bytes a program may read', async () => {
    await skipUnlessKernelHas('raw_tracepoint test runs', [RAW_TP_RUN])
    const prog = [insn(0x79, 0, 1, 88, 0), insn(0x95)] // r0 = *(u64 *)(r1 + 88); exit
    const short = await oracle.runOnce(prog, [], {
      progType: ProgType.rawTracepoint,
      ctx: new Uint8Array(8).fill(0xff)
    })
    expect(short.ok && short.value.run.retval).toBe(0)
    const none = await oracle.runOnce(prog, [], { progType: ProgType.rawTracepoint })
    expect(none.ok && none.value.run.retval).toBe(0)
    const full = new Uint8Array(96)
    full.set(u64le(0xabcdef01n), 88)
    const whole = await oracle.runOnce(prog, [], { progType: ProgType.rawTracepoint, ctx: full })
    expect(whole.ok && whole.value.run.retval).toBe(0xabcdef01)
  })

  it('loads tracepoint programs (no test run) with verifyOnly', async () => {
    const prog = [insn(0x79, 0, 1, 8, 0), insn(0xb7, 0, 0, 0, 0), insn(0x95)]
    const r = await oracle.verifyOnly(prog, [], { progType: ProgType.tracepoint })
    expect(r.ok && r.value.verifiedInsns).toBe(3)
    const run = await oracle.runOnce(prog, [], { progType: ProgType.tracepoint })
    expect(!run.ok && run.error.errno).toBe(524) // ENOTSUPP: tracepoints have no test run
  })

  it('repeats a run and reports a duration', async () => {
    const prog = unwrap(await oracle.load(XDP_WRITE, [], { progType: ProgType.xdp }))
    const run = unwrap(await oracle.testRun(prog, ProgType.xdp, { data: ipv4Packet(), repeat: 50 }))
    expect(run.retval).toBe(XdpAction.tx)
    expect(run.duration).toBeGreaterThanOrEqual(0)
    const short = await oracle.testRun(prog, ProgType.xdp, { data: new Uint8Array(8) })
    expect(!short.ok && short.error.code).toBe('KERNEL_TEST_RUN') // packets under 14 bytes
    await oracle.close(prog)
  })
})
