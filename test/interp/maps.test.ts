/** @fileoverview Map semantics: array, hash, LRU, percpu, prog array (tail calls), devmap redirects, outputs. */
import { describe, expect, it } from 'vitest'
import { insn } from '../../src-daemon/core/isa/insn'
import {
  captureOutcome,
  compileProgram,
  createMachine,
  MapType,
  outcomeDistance,
  type MapDef
} from '../../src-daemon/core/interp'
import { asmMaps, exited, expectFault, mapRef, run, u32le, u64le } from './support'

const ARRAY: MapDef = { name: 'arr', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 }
const HASH: MapDef = { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 2 }

/** r0 = lookup(map0, key) ? *value : 0xdead ; key from imm. */
function lookupProg(key: number): string {
  return `
    stw [%r10-4], ${key}
    lddw %r1, ${mapRef(0)}
    mov %r2, %r10
    add %r2, -4
    call 1
    jeq %r0, 0, miss
    ldxdw %r0, [%r0+0]
    exit
    miss:
    mov %r0, 0xdead
    exit`
}

/** r0 = update(map0, key, value, flags) with key/value immediates. */
function updateProg(key: number, value: number, flags: number): string {
  return `
    stw [%r10-4], ${key}
    stdw [%r10-16], ${value}
    lddw %r1, ${mapRef(0)}
    mov %r2, %r10
    add %r2, -4
    mov %r3, %r10
    add %r3, -16
    mov %r4, ${flags}
    call 2
    exit`
}

function deleteProg(key: number): string {
  return `
    stw [%r10-4], ${key}
    lddw %r1, ${mapRef(0)}
    mov %r2, %r10
    add %r2, -4
    call 3
    exit`
}

const r0m = (text: string, maps: MapDef[], input = {}): bigint =>
  exited(run(asmMaps(text), input, 'plain', maps)).r0
const neg = (e: number): bigint => BigInt.asUintN(64, BigInt(-e))

describe('array maps', () => {
  it('in-range lookups never miss and start zeroed; out of range is NULL', () => {
    expect(r0m(lookupProg(3), [ARRAY])).toBe(0n)
    expect(r0m(lookupProg(4), [ARRAY])).toBe(0xdeadn)
  })
  it('initial contents come from the input; writes through the pointer persist in the result', () => {
    const input = { maps: [[{ key: u32le(1), value: u64le(77n) }]] }
    expect(r0m(lookupProg(1), [ARRAY], input)).toBe(77n)
    const prog = asmMaps(lookupProg(2).replace('ldxdw %r0, [%r0+0]', 'stdw [%r0+0], 5\nmov %r0, 1'))
    const r = exited(run(prog, {}, 'plain', [ARRAY]))
    expect(r.maps[0]!.entries.map((e) => e.value[0])).toEqual([0, 0, 5, 0])
  })
  it('update: NOEXIST → -EEXIST, out of range → -E2BIG, bad flags → -EINVAL; delete → -EINVAL', () => {
    expect(r0m(updateProg(1, 9, 0), [ARRAY])).toBe(0n)
    expect(r0m(updateProg(1, 9, 1), [ARRAY])).toBe(neg(17))
    expect(r0m(updateProg(9, 9, 0), [ARRAY])).toBe(neg(7))
    expect(r0m(updateProg(1, 9, 3), [ARRAY])).toBe(neg(22))
    expect(r0m(deleteProg(1), [ARRAY])).toBe(neg(22))
  })
  it('lddw map_value (global data) points into the value area directly', () => {
    const prog = [
      insn(0x18, 1, 2, 0, 0),
      insn(0, 0, 0, 0, 8),
      insn(0x7a, 1, 0, 0, 5),
      insn(0xb7, 0, 0, 0, 0),
      insn(0x95)
    ]
    const m = createMachine(compileProgram(prog, [ARRAY], 'plain'))
    const r = exited(m.run({}))
    expect(r.maps[0]!.entries.map((e) => e.value[0])).toEqual([0, 5, 0, 0])
    const ref = captureOutcome(m)
    m.reload([...prog.slice(0, 2), insn(0x7a, 1, 0, 0, 6), ...prog.slice(3)])
    m.exec({})
    expect(outcomeDistance(m, ref)).toBe(2)
  })
  it('percpu arrays behave as one CPU', () => {
    const pa: MapDef = { ...ARRAY, type: MapType.PERCPU_ARRAY }
    expect(r0m(updateProg(2, 11, 2) + '\n', [pa])).toBe(0n)
  })
})

describe('hash maps', () => {
  it('lookup misses until updated; flags ANY/NOEXIST/EXIST give kernel codes', () => {
    expect(r0m(lookupProg(5), [HASH])).toBe(0xdeadn)
    expect(r0m(updateProg(5, 3, 2), [HASH])).toBe(neg(2))
    expect(r0m(updateProg(5, 3, 1), [HASH])).toBe(0n)
    const input = { maps: [[{ key: u32le(5), value: u64le(1n) }]] }
    expect(r0m(updateProg(5, 3, 1), [HASH], input)).toBe(neg(17))
    expect(r0m(updateProg(5, 3, 2), [HASH], input)).toBe(0n)
    expect(r0m(lookupProg(5), [HASH], input)).toBe(1n)
  })
  it('full map → -E2BIG; delete of a missing key → -ENOENT as a 64-bit -2', () => {
    const full = {
      maps: [
        [
          { key: u32le(1), value: u64le(1n) },
          { key: u32le(2), value: u64le(2n) }
        ]
      ]
    }
    expect(r0m(updateProg(3, 3, 0), [HASH], full)).toBe(neg(7))
    expect(r0m(updateProg(2, 3, 0), [HASH], full)).toBe(0n)
    expect(r0m(deleteProg(3), [HASH], full)).toBe(0xffff_ffff_ffff_fffen)
    expect(r0m(deleteProg(2), [HASH], full)).toBe(0n)
  })
  it('final state lists entries; delete then insert reuses space', () => {
    const prog = asmMaps(
      updateProg(7, 70, 0).replace(/exit\s*$/, '') +
        deleteProg(7).replace(/exit\s*$/, '') +
        updateProg(8, 80, 0)
    )
    const r = exited(run(prog, {}, 'plain', [HASH]))
    expect(r.r0).toBe(0n)
    expect(r.maps[0]!.entries.map((e) => [e.key[0], e.value[0]])).toEqual([[8, 80]])
  })
  it('LRU hash evicts the least recently used entry when full', () => {
    const lru: MapDef = { ...HASH, type: MapType.LRU_HASH }
    const input = {
      maps: [
        [
          { key: u32le(1), value: u64le(1n) },
          { key: u32le(2), value: u64le(2n) }
        ]
      ]
    }
    // touch key 1 (lookup), then insert key 3: key 2 is evicted
    const prog = asmMaps(lookupProg(1).replace(/jeq[\s\S]*$/, '') + updateProg(3, 3, 0))
    const r = exited(run(prog, input, 'plain', [lru]))
    expect(r.r0).toBe(0n)
    expect(r.maps[0]!.entries.map((e) => e.key[0])).toEqual([1, 3])
  })
  it('keys longer than 4 bytes hash by content', () => {
    const h16: MapDef = { type: MapType.HASH, keySize: 16, valueSize: 8, maxEntries: 8 }
    const key = new Uint8Array(16).map((_, i) => i)
    const prog = `
      lddw %r1, 0x0706050403020100
      stxdw [%r10-16], %r1
      lddw %r1, 0x0f0e0d0c0b0a0908
      stxdw [%r10-8], %r1
      lddw %r1, ${mapRef(0)}
      mov %r2, %r10
      add %r2, -16
      call 1
      jeq %r0, 0, miss
      ldxdw %r0, [%r0+0]
      exit
      miss:
      mov %r0, 0xdead
      exit`
    expect(r0m(prog, [h16], { maps: [[{ key, value: u64le(99n) }]] })).toBe(99n)
    key[15] = 0
    expect(r0m(prog, [h16], { maps: [[{ key, value: u64le(99n) }]] })).toBe(0xdeadn)
  })
})

describe('special maps', () => {
  const PROGS: MapDef = { type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 }
  const tail = (index: number): string => `
    lddw %r2, ${mapRef(0)}
    mov %r3, ${index}
    call 12
    mov %r0, 7
    exit`
  it('tail_call ends the program when the slot is populated, otherwise falls through', () => {
    const input = { maps: [[{ key: u32le(2), value: u32le(1) }]] }
    const hit = exited(run(asmMaps(tail(2)), input, 'plain', [PROGS]))
    expect(hit.via).toBe('tail_call')
    expect(hit.outputs).toEqual([{ kind: 'tail_call', map: 0, index: 2 }])
    const miss = exited(run(asmMaps(tail(1)), input, 'plain', [PROGS]))
    expect(miss.via).toBe('exit')
    expect(miss.r0).toBe(7n)
    const r0unset = run(asmMaps(tail(1).replace('mov %r0, 7\n', '')), input, 'plain', [PROGS])
    expectFault(r0unset, /uninitialised register r0/)
  })
  it('map helpers refuse prog arrays and non-map pointers', () => {
    expectFault(run(asmMaps(lookupProg(0)), {}, 'plain', [PROGS]), /not allowed on map type 3/)
    expectFault(
      run(asmMaps('mov %r1, 0\nmov %r2, %r10\ncall 1\nexit'), {}, 'plain', [ARRAY]),
      /r1 is not a map pointer/
    )
    expectFault(
      run(asmMaps(lookupProg(0).replace('add %r2, -4', 'add %r2, 4')), {}, 'plain', [ARRAY]),
      /invalid key pointer/
    )
  })
  it('redirect_map redirects to populated devmap slots, else returns the flags action', () => {
    const DEV: MapDef = { type: MapType.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 8 }
    const prog = (key: number, flags: number): string =>
      `lddw %r1, ${mapRef(0)}\nmov %r2, ${key}\nmov %r3, ${flags}\ncall 51\nexit`
    const input = { packet: new Uint8Array(64), maps: [[{ key: u32le(3), value: u32le(12) }]] }
    const hit = exited(run(asmMaps(prog(3, 0)), input, 'xdp', [DEV]))
    expect(hit.r0).toBe(4n)
    expect(hit.outputs).toEqual([{ kind: 'redirect_map', map: 0, key: 3, flags: 0n }])
    expect(exited(run(asmMaps(prog(4, 2)), input, 'xdp', [DEV])).r0).toBe(2n)
    expect(exited(run(asmMaps(prog(3, 64)), input, 'xdp', [DEV])).r0).toBe(0n)
  })
  it('perf_event_output and ringbuf_output record the data in order', () => {
    const PERF: MapDef = { type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 }
    const RB: MapDef = { type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 }
    const prog = `
      stw [%r10-4], 0x04030201
      lddw %r2, ${mapRef(0)}
      lddw %r3, 0xffffffff
      mov %r4, %r10
      add %r4, -4
      mov %r5, 4
      call 25
      mov %r6, %r0
      lddw %r1, ${mapRef(1)}
      mov %r2, %r10
      add %r2, -4
      mov %r3, 2
      mov %r4, 0
      call 130
      add %r0, %r6
      exit`
    // A perf event is installed in the slot of CPU 1, where the run happens.
    const slot1 = { maps: [[{ key: u32le(1), value: u32le(7) }], undefined], cpu: 1 }
    const r = exited(run(asmMaps(prog), slot1, 'plain', [PERF, RB]))
    expect(r.r0).toBe(0n)
    expect(r.outputs).toEqual([
      { kind: 'perf_output', map: 0, flags: 0xffffffffn, data: Uint8Array.from([1, 2, 3, 4]) },
      { kind: 'ringbuf_output', map: 1, flags: 0n, data: Uint8Array.from([1, 2]) }
    ])
    // On CPU 0, whose slot is empty: -ENOENT and no record; on CPU 2, past the array: -E2BIG.
    for (const [cpu, err] of [
      [0, -2n],
      [2, -7n]
    ] as const) {
      const miss = exited(run(asmMaps(prog), { ...slot1, cpu }, 'plain', [PERF, RB]))
      expect(miss.r0).toBe(BigInt.asUintN(64, err))
      expect(miss.outputs.map((o) => o.kind)).toEqual(['ringbuf_output'])
    }
  })
  it('ringbuf_reserve/submit/discard: submitted records are outputs, space is limited', () => {
    const RB: MapDef = { type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 64 }
    const prog = (size: number, commit: number): string => `
      lddw %r1, ${mapRef(0)}
      mov %r2, ${size}
      mov %r3, 0
      call 131
      jeq %r0, 0, none
      stw [%r0+0], 0x0d0c0b0a
      mov %r1, %r0
      mov %r2, 0
      call ${commit}
      mov %r0, 1
      exit
      none:
      mov %r0, 0
      exit`
    const sub = exited(run(asmMaps(prog(4, 132)), {}, 'plain', [RB]))
    expect(sub.r0).toBe(1n)
    expect(sub.outputs).toEqual([
      { kind: 'ringbuf_output', map: 0, flags: 0n, data: Uint8Array.from([10, 11, 12, 13]) }
    ])
    const dis = exited(run(asmMaps(prog(4, 133)), {}, 'plain', [RB]))
    expect(dis.r0).toBe(1n)
    expect(dis.outputs).toEqual([])
    expect(exited(run(asmMaps(prog(57, 132)), {}, 'plain', [RB])).r0).toBe(0n)
    expect(exited(run(asmMaps(prog(56, 132)), {}, 'plain', [RB])).r0).toBe(1n)
    const noR0 = asmMaps(prog(4, 132).replace('mov %r0, 1\n', ''))
    expectFault(run(noR0, {}, 'plain', [RB]), /uninitialised register r0/)
    const bad = asmMaps(prog(4, 132).replace('mov %r1, %r0', 'mov %r1, %r10'))
    expectFault(run(bad, {}, 'plain', [RB]), /ringbuf_submit: not a reserved record/)
  })
})
