/**
 * @fileoverview Pure parts of kernel comparisons: the sign-test interval, changed slots, executed
 * slots (both tracing methods and the repeated-run state), check inputs, iproute2 map-in-map.
 */
import { describe, expect, it } from 'vitest'
import { MapType } from '../../src-daemon/core/interp'
import { ProgType } from '../../src-daemon/engine/kernel/bpf-constants'
import { changedSlots, executedSlots } from '../../src-daemon/engine/kernel/coverage'
import { legacyMaps } from '../../src-daemon/engine/kernel/legacy-maps'
import {
  fromGenerated,
  MIN_FRAME,
  realisticInputs,
  runKindOf
} from '../../src-daemon/engine/kernel/kernel-inputs'
import { kernelMapSpec, libbpfMapName } from '../../src-daemon/engine/kernel/subject-load'
import { median, signTestInterval } from '../../src-daemon/engine/kernel/latency-stats'
import { asm, asmMaps, mapRef } from '../interp/support'
import { fixtureObject } from './fixture-support'

describe('latency statistics', () => {
  it('gives the order statistics of the sign-test interval and its exact coverage', () => {
    const diffs = Array.from({ length: 20 }, (_, i) => 20 - i) // 20..1, unsorted order
    const iv = signTestInterval(diffs, 0.95)!
    expect([iv.low, iv.high]).toEqual([6, 15]) // the 6th smallest and 6th largest of 20
    expect(iv.coverage).toBeCloseTo(0.9586, 4)
    expect(signTestInterval([1, 2, 3, 4, 5], 0.95)).toBeUndefined() // 5 values cannot give 95%
    const six = signTestInterval([3, 1, 4, 1, 5, 9], 0.95)!
    expect([six.low, six.high]).toEqual([1, 9]) // n = 6: the extremes (coverage 0.969)
    expect(median([5, 1, 3])).toBe(3)
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })

  it('moves the interval by no more than one rank for a wild outlier', () => {
    const base = [-2, -1, -1, 0, 0, 0, 1, 1, 2, 2, 3, 0]
    const wild = [...base.slice(0, -1), 5000]
    const a = signTestInterval(base)!
    const b = signTestInterval(wild)!
    expect(a.low).toBeLessThanOrEqual(0)
    expect(b.low).toBeLessThanOrEqual(0)
    expect(b.high).toBeLessThan(10)
  })
})

describe('changed and executed slots', () => {
  it('marks the slots outside the longest common subsequence on each side', () => {
    const a = asm('mov %r0, 1\nadd %r0, 2\nadd %r0, 3\nexit')
    const b = asm('mov %r0, 1\nadd %r0, 5\nexit')
    const c = changedSlots(a, b)
    expect([...c.original].sort()).toEqual([1, 2])
    expect([...c.rewritten]).toEqual([1])
    expect(changedSlots(a, a)).toEqual({ original: new Set(), rewritten: new Set() })
  })

  it('traces a branchy run by budget and a loop by probing, with the same answer as reading the code', () => {
    const branchy = asm('mov %r0, 0\njeq %r1, 0, +2\nmov %r0, 1\nexit\nmov %r0, 2\nexit')
    const run = (r1: bigint) =>
      executedSlots({ slots: branchy, maps: [], ctxKind: 'scalar' }, { r1 })
    expect(run(0n)).toMatchObject({ kind: 'slots', steps: 4 })
    const taken = run(0n)
    const fall = run(7n)
    expect(taken.kind === 'slots' && [...taken.slots].sort()).toEqual([0, 1, 4, 5])
    expect(fall.kind === 'slots' && [...fall.slots].sort()).toEqual([0, 1, 2, 3])
    // 200 iterations of a 2-slot loop: far more steps than slots, so slots are probed.
    const loop = asm('mov %r0, 0\nadd %r0, 1\njlt %r0, 200, -2\nexit')
    const l = executedSlots({ slots: loop, maps: [], ctxKind: 'scalar' }, { r1: 0n })
    expect(l).toMatchObject({ kind: 'slots', steps: 402 })
    expect(l.kind === 'slots' && [...l.slots].sort()).toEqual([0, 1, 2, 3])
  })

  it('adds the path of a repeated run, which finds what the first run stored', () => {
    // Look up key 0 in a hash: miss → insert it (slots 6..); hit → add 1 to it (slots 13..).
    const prog = asmMaps(`
      stw [%r10-4], 0
      lddw %r1, ${mapRef(0)}
      mov %r2, %r10
      add %r2, -4
      call 1
      jeq %r0, 0, miss
      ldxdw %r1, [%r0+0]
      add %r1, 1
      stxdw [%r0+0], %r1
      mov %r0, 2
      exit
      miss:
      stdw [%r10-16], 1
      lddw %r1, ${mapRef(0)}
      mov %r2, %r10
      add %r2, -4
      mov %r3, %r10
      add %r3, -16
      mov %r4, 0
      call 2
      mov %r0, 1
      exit`)
    const maps = [{ name: 'h', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4 }]
    const c = executedSlots({ slots: prog, maps, ctxKind: 'plain' }, { mem: new Uint8Array(8) })
    if (c.kind !== 'slots') throw new Error(c.reason)
    const hitPath = prog.findIndex((s) => s.code === 0x07 && s.imm === 1 && s.dst === 1)
    const missPath = prog.findIndex((s) => s.code === 0x85 && s.imm === 2)
    expect(c.slots.has(missPath)).toBe(true) // the first run inserts
    expect(c.slots.has(hitPath)).toBe(true) // the repeated run increments
  })
})

describe('check inputs', () => {
  it('has the realistic frames named, at least 14 bytes, with socket filters seeing the network header', () => {
    const xdp = realisticInputs('xdp')
    expect(xdp.map((i) => i.label)).toEqual(
      expect.arrayContaining([
        'ipv4-tcp-syn',
        'ipv4-udp-dns',
        'ipv4-icmp-echo',
        'ipv6-tcp-syn',
        'ipv6-udp',
        'vlan-ipv4-udp',
        'arp-request',
        'short-ethernet-only',
        'truncated-ipv4',
        'malformed-ihl'
      ])
    )
    expect(new Set(xdp.map((i) => i.label)).size).toBe(xdp.length)
    expect(xdp.every((i) => i.data !== undefined && i.data.length >= MIN_FRAME)).toBe(true)
    const dns = xdp.find((i) => i.label === 'ipv4-udp-dns')!.data!
    expect([dns[12], dns[13], dns[23]]).toEqual([0x08, 0x00, 17])
    expect((dns[38]! << 8) | dns[39]!).toBe(dns.length - 34) // UDP length
    const socket = realisticInputs('socket')
    expect(socket.some((i) => i.data!.length === MIN_FRAME)).toBe(false)
    expect(socket[0]!.interp.packet).toEqual(socket[0]!.data!.subarray(MIN_FRAME))
    expect(realisticInputs('rawtp').every((i) => i.ctx?.length === 96)).toBe(true)
    expect(realisticInputs('none')).toEqual([])
    expect(
      [
        ProgType.xdp,
        ProgType.schedCls,
        ProgType.socketFilter,
        ProgType.rawTracepoint,
        ProgType.kprobe
      ].map(runKindOf)
    ).toEqual(['xdp', 'skb', 'socket', 'rawtp', 'none'])
  })

  it('keeps generated map entries only for data maps and keys the kernel takes', () => {
    const maps = [
      { name: 'arr', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 },
      { name: 'progs', type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 }
    ]
    const key = (k: number) => new Uint8Array([k, 0, 0, 0])
    const input = fromGenerated(
      'xdp',
      'g',
      {
        packet: new Uint8Array(60),
        maps: [
          [
            { key: key(1), value: new Uint8Array(8) },
            { key: key(9), value: new Uint8Array(8) }
          ],
          [{ key: key(0), value: new Uint8Array(4) }]
        ]
      },
      { mapNames: ['arr', 'progs'], maps }
    )!
    expect([...input.entries.keys()]).toEqual(['arr'])
    expect(input.entries.get('arr')!.map((e) => e.key[0])).toEqual([1])
    expect(
      fromGenerated('xdp', 'short', { packet: new Uint8Array(10) }, { mapNames: [], maps: [] })
    ).toBeUndefined()
  })

  it('names libbpf global-data maps after the object and leaves other names alone', () => {
    expect(['.data', '.rodata', '.bss', '.rodata.str1.1', 'flows'].map(libbpfMapName)).toEqual([
      'o.data',
      'o.rodata',
      'o.bss',
      '.rodata.str1.1',
      'flows'
    ])
  })

  it('passes map definitions as production loaders do: ring buffers sizeless, perf arrays per CPU', () => {
    const ring = { type: MapType.RINGBUF, keySize: 0, valueSize: 28, maxEntries: 4096 }
    expect(kernelMapSpec(ring, 2)).toMatchObject({ keySize: 0, valueSize: 0, maxEntries: 4096 })
    const perf = { type: 4, keySize: 0, valueSize: 16, maxEntries: 0 }
    expect(kernelMapSpec(perf, 3)).toMatchObject({ keySize: 4, valueSize: 4, maxEntries: 3 })
    const hash = { type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8 }
    expect(kernelMapSpec(hash, 2)).toEqual(hash)
  })

  it("resolves iproute2's map-in-map templates and links by id", () => {
    const m = legacyMaps(fixtureObject('legacy_iproute2'))
    expect(m.specs.map((s) => s.name)).toEqual([
      'flow_bytes',
      'jmp_map',
      'inner_proto',
      'proto_tables'
    ])
    expect(m.specs[0]).toMatchObject({ type: MapType.HASH, flags: 1 })
    expect(m.specs[3]!.inner).toMatchObject({
      type: MapType.ARRAY,
      keySize: 4,
      valueSize: 4,
      maxEntries: 1
    })
    expect(m.links).toEqual([{ outer: 3, key: 0, inner: 2 }])
    expect(legacyMaps(fixtureObject('map_in_map')).links).toEqual([])
  })
})
