/** @fileoverview Runs the compiled C fixtures (test/fixtures/obj) through the kernel oracle. */
import { afterAll, describe, expect, it } from 'vitest'
import { MapType, ProgType, XdpAction } from '../../src-daemon/engine/kernel/bpf-constants'
import { linkedFixture, runFixture } from './fixture-support'
import { runOnce } from '../../src-daemon/core/interp/api'
import { ipv4Packet, openKernelOracle, readU64le, u32le, unwrap } from './kernel-test-support'
import { skipUnlessKernelRuns } from '../support/environment'

const { oracle, available } = await openKernelOracle('fixture-programs')
afterAll(() => oracle.dispose())

const u32 = (b: Uint8Array, o: number): number =>
  new DataView(b.buffer, b.byteOffset).getUint32(o, true)
const rotl32 = (x: number, n: number): number => ((x << n) | (x >>> (32 - n))) >>> 0
const mix32 = (a: number, b: number): number =>
  (Math.imul(rotl32((a ^ b) >>> 0, 7), 0x9e3779b1) + b) >>> 0

describe.skipIf(!available)('C fixtures in the kernel', () => {
  it('xdp_udp_filter drops UDP port 9 and counts verdicts per CPU', async () => {
    const drop = await runFixture(oracle, 'xdp_udp_filter', 'xdp_udp_filter', {
      data: ipv4Packet({ dport: 9 })
    })
    expect(drop.out.run.retval).toBe(XdpAction.drop)
    expect(drop.entries('verdict_count').map((e) => readU64le(e.value))).toEqual([0n, 0n, 1n, 0n])
    const pass = await runFixture(oracle, 'xdp_udp_filter', 'xdp_udp_filter', {
      data: ipv4Packet({ dport: 80 })
    })
    expect(pass.out.run.retval).toBe(XdpAction.pass)
    expect(pass.entries('verdict_count').map((e) => readU64le(e.value))).toEqual([0n, 0n, 0n, 1n])
    const arp = await runFixture(oracle, 'xdp_udp_filter', 'xdp_udp_filter', {
      data: ipv4Packet({ etherType: 0x0806 })
    })
    expect(arp.entries('verdict_count').map((e) => readU64le(e.value))).toEqual([0n, 1n, 0n, 0n])
  })

  it('xdp_rewrite swaps MACs, decrements TTL with a checksum update and counts atomically', async () => {
    const input = ipv4Packet({ ttl: 64 })
    const r = await runFixture(oracle, 'xdp_rewrite', 'xdp_rewrite', { data: input })
    expect(r.out.run.retval).toBe(XdpAction.tx)
    const out = r.out.run.data!
    expect([...out.subarray(0, 6)]).toEqual([...input.subarray(6, 12)])
    expect([...out.subarray(6, 12)]).toEqual([...input.subarray(0, 6)])
    expect(out[22]).toBe(63)
    expect([...out.subarray(18, 20)]).toEqual([0x5a, 0x5a])
    expect([...out.subarray(24, 26)]).toEqual([0x01, 0x00])
    expect([...out.subarray(26, 30)]).toEqual([0, 0, 0, 3])
    expect(readU64le(r.entries('tx_count')[0]!.value)).toBe(1n)
  })

  it('global_data reads .rodata, updates .data and .bss', async () => {
    const r = await runFixture(oracle, 'global_data', 'xdp_global_data', {
      data: ipv4Packet({ dport: 53 })
    })
    expect(r.out.run.retval).toBe(XdpAction.drop)
    expect(readU64le(r.entries('.data')[0]!.value)).toBe(1001n)
    const bss = r.entries('.bss')[0]!.value
    expect(u32(bss, 0)).toBe(64) // last_len
    expect(bss[4]).toBe(64) // last_delta
    expect(readU64le(bss, 8)).toBe(1n) // blocked_total
    const reconfigured = await runFixture(oracle, 'global_data', 'xdp_global_data', {
      data: ipv4Packet({ dport: 53 }),
      entries: { '.rodata': [{ key: u32le(0), value: new Uint8Array([80, 0, 1]) }] }
    })
    expect(reconfigured.out.run.retval).toBe(XdpAction.pass)
  })

  it('subprog_calls computes through bpf-to-bpf calls', async () => {
    const data = ipv4Packet()
    const a = u32(data, 0)
    const b = u32(data, 4)
    const inner = mix32(a, b)
    const plain = await runFixture(oracle, 'subprog_calls', 'xdp_subprog', { data })
    const h = mix32(inner, 1)
    expect(u32(plain.out.run.data!, 8)).toBe(h)
    expect(plain.out.run.retval).toBe(h & 1 ? XdpAction.pass : XdpAction.tx)
    const weighted = await runFixture(oracle, 'subprog_calls', 'xdp_subprog', {
      data,
      entries: { weights: [{ key: u32le(inner & 15), value: u32le(77) }] }
    })
    expect(u32(weighted.out.run.data!, 8)).toBe(mix32(inner, 77))
  })

  it('bounded_loop sums 32 bytes in a loop and stores the folded complement', async () => {
    const data = ipv4Packet()
    let sum = 0
    for (let i = 0; i < 32; i++) sum += data[i]!
    sum = (sum & 0xffff) + (sum >>> 16)
    const r = await runFixture(oracle, 'bounded_loop', 'xdp_sum_loop', { data })
    expect(r.out.run.data![32]! | (r.out.run.data![33]! << 8)).toBe(~sum & 0xffff)
  })

  it('alu_mix: 32-bit division, modulo, signed shift and stores of every width', async () => {
    const data = new Uint8Array(32)
    const v = new DataView(data.buffer)
    v.setUint32(0, 0xfffffff0, true)
    v.setUint32(4, 0x1235, true)
    const r = await runFixture(oracle, 'alu_mix', 'xdp_alu32', { data })
    const a = 0xfffffff0
    const b = 0x1235
    const m = (Math.imul(a, 3) ^ (b - 7)) >>> 0
    const out = new DataView(r.out.run.data!.buffer)
    expect(out.getUint32(8, true)).toBe(Math.floor(a / b))
    expect(out.getUint16(12, true)).toBe((a % b) & 0xffff)
    expect(out.getUint8(14)).toBe(m & 0xff)
    expect(out.getUint8(15)).toBe((m >>> 8) & 0xff)
    expect(out.getBigInt64(16, true)).toBe(-2n)
    expect(r.out.run.retval).toBe(XdpAction.pass)
    v.setUint32(0, 0x80000000, true)
    const neg = await runFixture(oracle, 'alu_mix', 'xdp_alu32', { data })
    expect(neg.out.run.retval).toBe(XdpAction.drop)
  })

  it('alu_mix: byte swaps of 64, 32 and 16 bits', async () => {
    const data = new Uint8Array(32).map((_, i) => i + 1)
    const r = await runFixture(oracle, 'alu_mix', 'xdp_swap_store', { data })
    const out = r.out.run.data!
    expect(r.out.run.retval).toBe(XdpAction.tx)
    expect([...out.subarray(16, 24)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1])
    expect([...out.subarray(24, 28)]).toEqual([12, 11, 10, 9])
    expect([...out.subarray(28, 32)]).toEqual([14, 13, 16, 0x7e])
  })

  it('alu_mix: signed compares and atomic adds of both widths', async () => {
    const data = new Uint8Array(32)
    const v = new DataView(data.buffer)
    v.setBigInt64(0, -5n, true)
    v.setInt32(8, -2, true)
    const r = await runFixture(oracle, 'alu_mix', 'xdp_signed_cmp', { data })
    expect(r.entries('acc').map((e) => readU64le(e.value))).toEqual([5n, 1n, 0n, 0n])
    expect(u32(r.entries('acc32')[0]!.value, 0)).toBe(1)
  })

  it('socket_filter sees the network header, counts protocols, keeps UDP', async () => {
    const udp = await runFixture(oracle, 'socket_filter', 'sock_udp_only', { data: ipv4Packet() })
    expect(udp.out.run.retval).toBe(64)
    const tcp = await runFixture(oracle, 'socket_filter', 'sock_udp_only', {
      data: ipv4Packet({ protocol: 6 })
    })
    expect(tcp.out.run.retval).toBe(0)
    const seen = tcp.entries('proto_seen').filter((e) => readU64le(e.value) !== 0n)
    expect(seen.map((e) => u32(e.key, 0))).toEqual([6])
  })

  it('tc_classifier writes skb->mark from the context and keeps per-protocol stats', async () => {
    const ctx = new Uint8Array(192)
    new DataView(ctx.buffer).setUint32(32, 5, true) // __sk_buff.priority
    const r = await runFixture(oracle, 'tc_classifier', 'tc_classify', { data: ipv4Packet(), ctx })
    expect(r.out.run.retval).toBe(0) // TC_ACT_OK
    expect(u32(r.out.run.ctx!, 8)).toBe((1 << 8) | 5) // mark = ifindex (lo) << 8 | priority
    const stats = r.entries('proto_bytes')
    expect(stats.map((e) => [...e.key])).toEqual([[0x08, 0x00]])
    expect([readU64le(stats[0]!.value, 0), readU64le(stats[0]!.value, 8)]).toEqual([1n, 64n])
  })

  it('lru_percpu_maps fills LRU, per-CPU array and per-CPU hash maps', async () => {
    const r = await runFixture(oracle, 'lru_percpu_maps', 'tc_flows', { data: ipv4Packet() })
    expect(readU64le(r.entries('cpu_totals')[0]!.value)).toBe(64n)
    expect(r.entries('flows').map((e) => readU64le(e.value))).toEqual([1n])
    expect(r.entries('cpu_by_len').map((e) => u32(e.key, 0))).toEqual([1])
    const icmp = await runFixture(oracle, 'lru_percpu_maps', 'tc_flows', {
      data: ipv4Packet({ protocol: 1 })
    })
    expect(icmp.entries('flows')).toHaveLength(0)
  })

  it('ringbuf_events outputs and reserves records; the sequence counter advances', async () => {
    for (const prog of ['xdp_ringbuf_output', 'xdp_ringbuf_reserve']) {
      const r = await runFixture(oracle, 'ringbuf_events', prog, { data: ipv4Packet() })
      expect(r.out.run.retval).toBe(XdpAction.pass)
      expect(readU64le(r.entries('seq_counter')[0]!.value)).toBe(1n)
      expect(r.out.maps[0]?.readable).toBe(false)
    }
  })

  it('xdp_encap reserves metadata, pushes a VLAN tag and trims long frames, as the interpreter does', async () => {
    const linked = linkedFixture('xdp_encap', 'xdp_encap')
    for (const length of [64, 200]) {
      const input = ipv4Packet({ length })
      const r = await runFixture(oracle, 'xdp_encap', 'xdp_encap', { data: input })
      expect(r.out.run.retval).toBe(XdpAction.tx)
      const out = r.out.run.data!
      // Metadata word, then the frame 4 bytes longer (at most 128 bytes): MACs, 802.1Q tag 42.
      expect(u32(out, 0)).toBe(0x5a5a002a)
      const frame = out.subarray(4)
      expect(frame.length).toBe(Math.min(length + 4, 128))
      expect([...frame.subarray(0, 12)]).toEqual([...input.subarray(0, 12)])
      expect([...frame.subarray(12, 16)]).toEqual([0x81, 0x00, 0x00, 42])
      expect([...frame.subarray(16, 18)]).toEqual([...input.subarray(12, 14)])
      const interp = runOnce(linked.insns, [], 'xdp', { packet: input })
      expect(interp.kind).toBe('exit')
      if (interp.kind === 'exit') {
        expect(interp.r0).toBe(BigInt(XdpAction.tx))
        expect([...interp.meta, ...interp.packet]).toEqual([...out])
        expect(interp.dataOffset).toBe(-4)
      }
    }
  })

  it('devmap_redirect falls back to XDP_PASS when the devmap slot is empty', async () => {
    const r = await runFixture(oracle, 'devmap_redirect', 'xdp_redirect_port', {
      data: ipv4Packet()
    })
    expect(r.out.run.retval).toBe(XdpAction.pass)
  })

  it('tail_call dispatches through a prog array filled with loaded programs', async () => {
    const table = unwrap(
      await oracle.createMap({ type: MapType.progArray, keySize: 4, valueSize: 4, maxEntries: 4 })
    )
    const dispatch = linkedFixture('tail_call', 'xdp_dispatch')
    await skipUnlessKernelRuns(
      'fixture tail_call',
      dispatch.insns,
      ProgType.xdp,
      [MapType.progArray],
      {
        testRun: true
      }
    )
    const legs = []
    for (const [slot, name] of [
      [0, 'xdp_udp_leg'],
      [1, 'xdp_other_leg']
    ] as const) {
      const leg = unwrap(
        await oracle.load(linkedFixture('tail_call', name).insns, [], { progType: ProgType.xdp })
      )
      unwrap(await oracle.updateMap(table, u32le(slot), u32le(leg.fd)))
      legs.push(leg)
    }
    const prog = unwrap(await oracle.load(dispatch.insns, [table], { progType: ProgType.xdp }))
    const udp = unwrap(await oracle.testRun(prog, ProgType.xdp, { data: ipv4Packet() }))
    const tcp = unwrap(
      await oracle.testRun(prog, ProgType.xdp, { data: ipv4Packet({ protocol: 6 }) })
    )
    expect([udp.retval, tcp.retval]).toEqual([XdpAction.drop, XdpAction.tx])
    unwrap(await oracle.deleteMap(table, u32le(0)))
    const empty = unwrap(await oracle.testRun(prog, ProgType.xdp, { data: ipv4Packet() }))
    expect(empty.retval).toBe(XdpAction.pass)
    for (const h of [prog, ...legs, table]) await oracle.close(h)
  })

  it('tracepoint and kprobe fixtures pass the verifier', async () => {
    for (const [name, prog] of [
      ['tracepoint_openat', 'count_openat'],
      ['kprobe_counter', 'count_openat2']
    ] as const) {
      const l = linkedFixture(name, prog)
      await skipUnlessKernelRuns(
        `fixture ${name}/${prog}`,
        l.insns,
        l.progType,
        l.maps.map((m) => m.type)
      )
      const loaded = unwrap(await oracle.verifyOnly(l.insns, l.maps, { progType: l.progType }))
      expect(loaded.verifiedInsns).toBeGreaterThan(10)
    }
  })
})
