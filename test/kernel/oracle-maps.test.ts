/** @fileoverview Kernel oracle: map operations and programs that update and read maps. */
import { afterAll, describe, expect, it } from 'vitest'
import { insn, type Insn } from '../../src-daemon/core/isa/insn'
import { MapType, ProgType } from '../../src-daemon/engine/kernel/bpf-constants'
import { ipv4Packet, openKernelOracle, readU64le, u32le, u64le } from './kernel-test-support'

const { oracle, available } = await openKernelOracle('oracle-maps')
afterAll(() => oracle.dispose())

/** Socket filter: map[0][42] = 1000 (update), then looks it up, adds 5, stores and returns it. */
const UPDATE_THEN_LOOKUP: Insn[] = [
  insn(0x62, 10, 0, -4, 42), // *(u32 *)(r10 - 4) = 42
  insn(0x7a, 10, 0, -16, 1000), // *(u64 *)(r10 - 16) = 1000
  insn(0x18, 1, 1, 0, 0), // r1 = map[0] ll
  insn(0),
  insn(0xbf, 2, 10), // r2 = r10
  insn(0x07, 2, 0, 0, -4), // r2 += -4
  insn(0xbf, 3, 10), // r3 = r10
  insn(0x07, 3, 0, 0, -16), // r3 += -16
  insn(0xb7, 4, 0, 0, 0), // r4 = BPF_ANY
  insn(0x85, 0, 0, 0, 2), // call bpf_map_update_elem
  insn(0x18, 1, 1, 0, 0), // r1 = map[0] ll
  insn(0),
  insn(0xbf, 2, 10), // r2 = r10
  insn(0x07, 2, 0, 0, -4), // r2 += -4
  insn(0x85, 0, 0, 0, 1), // call bpf_map_lookup_elem
  insn(0x15, 0, 0, 5, 0), // if r0 == 0 goto +5
  insn(0x79, 1, 0, 0, 0), // r1 = *(u64 *)(r0 + 0)
  insn(0x07, 1, 0, 0, 5), // r1 += 5
  insn(0x7b, 0, 1, 0, 0), // *(u64 *)(r0 + 0) = r1
  insn(0xbf, 0, 1), // r0 = r1
  insn(0x95), // exit
  insn(0xb7, 0, 0, 0, 0), // r0 = 0
  insn(0x95) // exit
]

/** XDP: atomically adds 1 to map[0][0] (a per-CPU array in the test); returns XDP_PASS. */
const PERCPU_INCREMENT: Insn[] = [
  insn(0x62, 10, 0, -4, 0), // *(u32 *)(r10 - 4) = 0
  insn(0xbf, 2, 10), // r2 = r10
  insn(0x07, 2, 0, 0, -4), // r2 += -4
  insn(0x18, 1, 1, 0, 0), // r1 = map[0] ll
  insn(0),
  insn(0x85, 0, 0, 0, 1), // call bpf_map_lookup_elem
  insn(0x15, 0, 0, 2, 0), // if r0 == 0 goto +2
  insn(0xb7, 1, 0, 0, 1), // r1 = 1
  insn(0xdb, 0, 1, 0, 0), // lock *(u64 *)(r0 + 0) += r1
  insn(0xb7, 0, 0, 0, 2), // r0 = XDP_PASS
  insn(0x95) // exit
]

describe.skipIf(!available)('kernel oracle maps', () => {
  it('creates, updates, looks up, lists and deletes hash map entries', async () => {
    const created = await oracle.createMap({
      type: MapType.hash,
      keySize: 4,
      valueSize: 8,
      maxEntries: 8
    })
    expect(created.ok).toBe(true)
    if (!created.ok) return
    const map = created.value
    expect((await oracle.updateMap(map, u32le(7), u64le(70n))).ok).toBe(true)
    expect((await oracle.updateMap(map, u32le(9), u64le(90n))).ok).toBe(true)
    const hit = await oracle.lookupMap(map, u32le(7))
    expect(hit.ok && hit.value && readU64le(hit.value.value)).toBe(70n)
    const miss = await oracle.lookupMap(map, u32le(8))
    expect(miss).toEqual({ ok: true, value: undefined })
    const all = await oracle.readMap(map)
    expect(all.ok && all.value.map((e) => readU64le(e.value)).sort()).toEqual([70n, 90n])
    expect((await oracle.deleteMap(map, u32le(7))).ok).toBe(true)
    const gone = await oracle.deleteMap(map, u32le(7))
    expect(!gone.ok && gone.error.errno).toBe(2)
    const noExist = await oracle.updateMap(map, u32le(9), u64le(1n), 1)
    expect(!noExist.ok && noExist.error.errno).toBe(17) // EEXIST with BPF_NOEXIST
    const badKey = await oracle.updateMap(map, new Uint8Array(3), u64le(1n))
    expect(!badKey.ok && badKey.error.code).toBe('KERNEL_MAP_ACCESS')
    await oracle.close(map)
  })

  it('reports map creation errors with errno', async () => {
    const r = await oracle.createMap({
      type: MapType.array,
      keySize: 8,
      valueSize: 8,
      maxEntries: 1
    })
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.code).toBe('KERNEL_MAP_CREATE')
      expect(r.error.errno).toBe(22) // arrays need 4-byte keys: EINVAL
    }
  })

  it('runs a program that updates then looks up a hash map and reads the map back', async () => {
    const r = await oracle.runOnce(
      UPDATE_THEN_LOOKUP,
      [{ type: MapType.hash, keySize: 4, valueSize: 8, maxEntries: 4 }],
      { progType: ProgType.socketFilter, data: ipv4Packet() }
    )
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.value.run.retval).toBe(1005)
    const dump = r.value.maps[0]
    expect(dump?.readable).toBe(true)
    if (!dump?.readable) return
    expect(dump.entries).toHaveLength(1)
    expect([...dump.entries[0]!.key]).toEqual([42, 0, 0, 0])
    expect(readU64le(dump.entries[0]!.value)).toBe(1005n)
    expect(r.value.load.verifiedInsns).toBeGreaterThan(0)
  })

  it('counts in a per-CPU array on the pinned CPU only, from given initial contents', async () => {
    const a = await oracle.availability()
    if (!a.available) return
    const r = await oracle.runOnce(
      PERCPU_INCREMENT,
      [{ type: MapType.percpuArray, keySize: 4, valueSize: 8, maxEntries: 2 }],
      {
        progType: ProgType.xdp,
        data: ipv4Packet(),
        mapEntries: [[{ key: u32le(0), value: u64le(10n) }]]
      }
    )
    expect(r.ok).toBe(true)
    if (!r.ok || !r.value.maps[0]?.readable) return
    const entries = r.value.maps[0].entries
    expect(entries).toHaveLength(2)
    const slot0 = entries[0]!
    expect(readU64le(slot0.value)).toBe(11n)
    expect(slot0.perCpu).toHaveLength(a.possibleCpus)
    slot0.perCpu?.forEach((v, cpu) => expect(readU64le(v)).toBe(cpu === a.cpu ? 11n : 10n))
    expect(readU64le(entries[1]!.value)).toBe(0n)
  })

  it('reports runOnce failures by stage: map creation, map fill', async () => {
    const badMap = await oracle.runOnce(
      PERCPU_INCREMENT,
      [{ type: MapType.array, keySize: 8, valueSize: 8, maxEntries: 1 }],
      {
        progType: ProgType.xdp,
        data: ipv4Packet()
      }
    )
    expect(!badMap.ok && [badMap.error.code, badMap.error.errno]).toEqual(['KERNEL_MAP_CREATE', 22])
    const badFill = await oracle.runOnce(
      PERCPU_INCREMENT,
      [{ type: MapType.array, keySize: 4, valueSize: 8, maxEntries: 1 }],
      {
        progType: ProgType.xdp,
        data: ipv4Packet(),
        mapEntries: [[{ key: u32le(0), value: new Uint8Array(4) }]]
      }
    )
    expect(!badFill.ok && badFill.error.code).toBe('KERNEL_MAP_ACCESS')
    const outOfRange = await oracle.runOnce(
      PERCPU_INCREMENT,
      [{ type: MapType.array, keySize: 4, valueSize: 8, maxEntries: 1 }],
      {
        progType: ProgType.xdp,
        data: ipv4Packet(),
        mapEntries: [[{ key: u32le(5), value: u64le(1n) }]]
      }
    )
    expect(!outOfRange.ok && [outOfRange.error.code, outOfRange.error.errno]).toEqual([
      'KERNEL_MAP_ACCESS',
      7
    ])
  })

  it('patches map indices into fds and rejects out-of-range map references', async () => {
    const r = await oracle.runOnce(PERCPU_INCREMENT, [], {
      progType: ProgType.xdp,
      data: ipv4Packet()
    })
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.code).toBe('KERNEL_BAD_MAP_INDEX')
      expect(r.error.index).toBe(3)
    }
  })
})
