/**
 * @fileoverview Objects that used to fail before the verifier was reached: map-in-map (Summit's
 * own map creation gave KERNEL_MAP_CREATE: Invalid argument), map flags and pinning, iproute2's
 * legacy layout (a `maps` section of `struct bpf_elf_map`, sections named `ingress_redirect` and
 * `2/1`: KERNEL_UNKNOWN_TYPE, then map creation failed). Objects load as libbpf loads them,
 * legacy ones as iproute2 does; candidates of the search get the same maps.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { kernelCheckCommand } from '../../src-daemon/cli/cmd-kernel-check'
import { candidateSubject, checkTarget } from '../../src-daemon/engine/kernel/kernel-plan'
import { loadInput, selectPrograms } from '../../src-daemon/engine/program/load'
import { MapType, ProgType } from '../../src-daemon/engine/kernel/bpf-constants'
import { loadSubject } from '../../src-daemon/engine/kernel/kernel-subject'
import { runOnInput } from '../../src-daemon/engine/kernel/subject-run'
import { kernelInput } from '../../src-daemon/engine/kernel/kernel-inputs'
import { OBJ, runCli } from '../differential/cli-support'
import { ipv4Packet, openKernelOracle, readU64le, u32le, unwrap } from './kernel-test-support'
import { skipUnlessKernelHas } from '../support/environment'
import type { KernelFeature } from '../../src-daemon/engine/kernel/features'

const { oracle, available } = await openKernelOracle('real-objects')
afterAll(() => oracle.dispose())

const fixture = (name: string): string => join(OBJ, `${name}.o`)
const map = (mapType: number): KernelFeature => ({ kind: 'mapType', mapType })
const testRun = (progType: number): KernelFeature => ({ kind: 'testRun', progType })
const needs = (what: string, ...features: KernelFeature[]) =>
  skipUnlessKernelHas(`real objects: ${what}`, features)

/** The check target of a fixture's program (one program per fixture unless `section`). */
function target(name: string, section?: string, type?: number) {
  const input = loadInput(fixture(name))
  const program = selectPrograms(input, section)[0]!
  return { input, program, target: checkTarget(input, program, type) }
}

describe.skipIf(!available)('real objects in the kernel', () => {
  it('opens an object with libbpf: map-in-map with a static inner map, program types from sections', async () => {
    await needs('map-in-map', map(MapType.arrayOfMaps))
    const obj = unwrap(await oracle.openObject(readFileSync(fixture('map_in_map'))))
    try {
      expect(obj.programs).toMatchObject([
        { name: 'tc_inner_counts', progType: ProgType.schedCls, loaded: true }
      ])
      const outer = obj.maps.find((m) => m.name === 'by_parity')!
      expect(outer.handle.spec).toMatchObject({
        type: MapType.arrayOfMaps,
        keySize: 4,
        valueSize: 4
      })
      // libbpf stored counts_a at index 0: the slot holds a map id, index 1 is empty.
      expect(unwrap(await oracle.readMap(outer.handle)).map((e) => [...e.key])).toEqual([
        [0, 0, 0, 0]
      ])
    } finally {
      await oracle.closeObject(obj)
    }
  })

  it('kernel-check runs a map-in-map object that failed in map creation before', async () => {
    await needs('map-in-map', map(MapType.arrayOfMaps), testRun(ProgType.schedCls))
    const r = await runCli(kernelCheckCommand, fixture('map_in_map'), '--repeat', '10')
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(
      /accepted by the kernel verifier as sched_cls \(loaded as libbpf loads objects\)/
    )
    // UDP (17) has odd parity: slot 1 of the outer map is empty, so the program drops (TC_ACT_SHOT).
    expect(r.out).toMatch(/retval = 2 /)
  })

  it('creates a pinned map fresh, never under /sys/fs/bpf, and keeps map flags (an LPM trie needs BPF_F_NO_PREALLOC)', async () => {
    await needs('LPM trie', map(MapType.lpmTrie), testRun(ProgType.xdp))
    const { target: t } = target('map_flags_pinning')
    const blocked = new Uint8Array(8)
    new DataView(blocked.buffer).setUint32(0, 24, true) // prefix length
    blocked.set([10, 0, 0, 0], 4) // 10.0.0.0/24
    const input = kernelInput(
      'xdp',
      'blocked source',
      ipv4Packet(),
      new Map([['blocked', [{ key: blocked, value: u32le(1) }]]])
    )
    const run = unwrap(await runOnInput(oracle, t.subject, input))
    if (run.kind !== 'ran') throw new Error(run.reason)
    expect(run.observation.retval).toBe(1) // XDP_DROP: 10.0.0.1 is in the blocked prefix
    expect(readU64le(run.observation.maps.get('pinned_totals')![1]!.value)).toBe(1n)
    const loaded = unwrap(await loadSubject(oracle, t.subject))
    try {
      expect(loaded.notes.join('\n')).toMatch(/pinned_totals asks to be pinned: created fresh/)
      const specs = new Map(loaded.maps.map((m) => [m.name, m.handle.spec]))
      expect(specs.get('blocked')).toMatchObject({ type: MapType.lpmTrie, flags: 1 })
      expect(specs.get('per_source')).toMatchObject({ type: MapType.hash, flags: 1 })
    } finally {
      await loaded.close()
    }
    expect(existsSync('/sys/fs/bpf/pinned_totals')).toBe(false)
  })

  it('loads an iproute2 legacy object only with --type, with map-in-map templates by id, as tc does', async () => {
    await needs(
      'iproute2 object',
      map(MapType.arrayOfMaps),
      map(MapType.progArray),
      testRun(ProgType.schedCls)
    )
    const none = await runCli(
      kernelCheckCommand,
      fixture('legacy_iproute2'),
      '--section',
      'ingress_redirect'
    )
    expect(none.code).toBe(2)
    expect(none.err).toMatch(/KERNEL_UNKNOWN_TYPE.*section 'ingress_redirect'.*give --type/)
    const ok = await runCli(
      kernelCheckCommand,
      fixture('legacy_iproute2'),
      '--section',
      'ingress_redirect',
      '--type',
      'sched_cls',
      '--repeat',
      '10'
    )
    expect(ok.err).toBe('')
    expect(ok.code).toBe(0)
    expect(ok.out).toMatch(
      /accepted by the kernel verifier as sched_cls \(loaded by Summit's loader\)/
    )
    const tail = await runCli(
      kernelCheckCommand,
      fixture('legacy_iproute2'),
      '--section',
      '2/1',
      '--type',
      'tc'
    )
    expect(tail.code).toBe(0)
    expect(tail.out).toMatch(/retval = 4294967295 /) // TC_ACT_UNSPEC
  })

  it('stores the inner map template at its inner_idx and reads the mark through it', async () => {
    await needs('iproute2 map-in-map', map(MapType.arrayOfMaps), testRun(ProgType.schedCls))
    const { target: t } = target('legacy_iproute2', 'ingress_redirect', ProgType.schedCls)
    if (t.subject.kind !== 'raw') throw new Error('legacy objects load through Summit')
    expect(t.subject.mapLinks).toEqual([{ outer: 3, key: 0, inner: 2 }])
    expect(t.subject.maps[3]?.inner).toMatchObject({
      type: MapType.array,
      keySize: 4,
      valueSize: 4
    })
    const mark = new Map([['inner_proto', [{ key: u32le(0), value: u32le(0x5eed) }]]])
    const run = unwrap(
      await runOnInput(oracle, t.subject, kernelInput('skb', 'marked', ipv4Packet(), mark))
    )
    if (run.kind !== 'ran') throw new Error(run.reason)
    expect(new DataView(run.observation.ctx!.buffer).getUint32(8, true)).toBe(0x5eed) // skb->mark
  })

  it("loads an object libbpf refuses (iproute2's pinning value, a static entry program) with Summit's loader", async () => {
    await needs('xdp', testRun(ProgType.xdp))
    const r = await runCli(kernelCheckCommand, fixture('libbpf_refuses'), '--repeat', '10')
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/accepted by the kernel verifier as xdp \(loaded by Summit's loader\)/)
    expect(r.out).toMatch(/note: libbpf refused the object \(libbpf: .*static and not supported\)/)
  })

  it("fixes map definitions as the projects' loaders do: a ring buffer with a value type, a 0-entry array", async () => {
    await needs('ring buffer', map(MapType.ringbuf))
    const { target: t } = target('loader_fixups')
    const loaded = unwrap(await loadSubject(oracle, t.subject))
    try {
      expect(loaded.loader).toBe('libbpf')
      expect(loaded.notes).toEqual([
        expect.stringMatching(/per_cpu_scratch: 0 entries declared, sized to \d+ \(one per CPU\)/),
        'map events: ring buffer key and value sizes cleared'
      ])
      const scratch = loaded.mapNamed('per_cpu_scratch')!
      expect(scratch.handle.spec.maxEntries).toBeGreaterThanOrEqual(1)
      expect(loaded.mapNamed('events')!.handle.spec).toMatchObject({
        type: MapType.ringbuf,
        keySize: 0,
        valueSize: 0
      })
    } finally {
      await loaded.close()
    }
    // Summit's own loader (the fallback, and the search's candidates of raw inputs) fixes them alike.
    if (t.subject.kind !== 'object' || t.subject.fallback === undefined)
      throw new Error('expected a fallback')
    const raw = unwrap(await loadSubject(oracle, t.subject.fallback))
    await raw.close()
    expect(raw.loader).toBe('summit')
  })

  it('loads the search candidates of an object into the maps libbpf creates for it', async () => {
    await needs('map-in-map', map(MapType.arrayOfMaps))
    const { target: t } = target('map_in_map')
    const loaded = unwrap(await loadSubject(oracle, candidateSubject(t, t.slots)))
    try {
      expect(loaded.loader).toBe('libbpf')
      expect(loaded.maps.map((m) => m.name).sort()).toEqual(['by_parity', 'counts_a'])
    } finally {
      await loaded.close()
    }
    const legacy = target('legacy_iproute2', 'ingress_redirect', ProgType.schedCls).target
    const raw = unwrap(await loadSubject(oracle, candidateSubject(legacy, legacy.slots)))
    await raw.close()
    expect(raw.loader).toBe('summit')
  })

  it("freezes .rodata in Summit's loader as libbpf does: the kernel then prunes on its bytes", async () => {
    await needs('xdp', testRun(ProgType.xdp))
    const { target: t } = target('rodata_gate')
    if (t.subject.kind !== 'object' || t.subject.fallback === undefined)
      throw new Error('expected a fallback')
    // Both loaders: the unchecked dereference is dead only because .rodata is frozen.
    const viaLibbpf = unwrap(await loadSubject(oracle, t.subject))
    await viaLibbpf.close()
    expect(viaLibbpf.loader).toBe('libbpf')
    const raw = unwrap(await loadSubject(oracle, t.subject.fallback))
    try {
      expect(raw.loader).toBe('summit')
      const ro = raw.mapNamed('.rodata')!
      expect(ro.handle.spec).toMatchObject({ flags: 1 << 7, freeze: true })
      // Frozen: user space may no longer write it.
      const put = await oracle.updateMap(ro.handle, new Uint8Array(4), new Uint8Array([0]))
      expect(put.ok).toBe(false)
    } finally {
      await raw.close()
    }
  })
})
