/**
 * @fileoverview Helpers outside the model in the interpreter: each call is recorded (helper,
 * argument values, bytes read) and answered from the input's `calls`, call by call; probe_read of
 * the program's own memory is an exact copy.
 */
import { describe, expect, it } from 'vitest'
import { assemble } from '../../src-daemon/core/isa/asm'
import type { Insn } from '../../src-daemon/core/isa/insn'
import type { MapDef, RunInput } from '../../src-daemon/core/interp'
import { exited, expectFault, run } from './support'

function llvm(text: string): Insn[] {
  const r = assemble(text, 'llvm')
  if (!r.ok) throw new Error(`${r.error.message} (line ${r.error.line})`)
  return r.value
}

const ARRAY: MapDef = { type: 2, keySize: 4, valueSize: 16, maxEntries: 4 }
const HASH: MapDef = { type: 1, keySize: 4, valueSize: 16, maxEntries: 4 }

/** Calls helper `id` with a 16-byte value of map 0 (pre-filled with 0xaa) as the buffer. */
function intoValue(id: number, args: string): Insn[] {
  return llvm(`
    r6 = r1
    r1 = 0
    *(u32 *)(r10 - 4) = r1
    r2 = r10
    r2 += -4
    ld_pseudo r1, 1, 0
    call 1
    if r0 == 0 goto +8
    r7 = r0
    r1 = -6148914691236517206 ll
    *(u64 *)(r7 + 0) = r1
    *(u64 *)(r7 + 8) = r1
    ${args}
    call ${id}
    exit
    r0 = 99
    exit`)
}

const SRC = 'r3 = *(u64 *)(r6 + 8)\nr1 = r7\nr2 = 16'
const CTX = new Uint8Array(32).fill(0x10)

function value(input: RunInput, prog: Insn[]): { r0: bigint; bytes: number[]; calls: unknown[] } {
  const r = exited(run(prog, { ctx: CTX, ...input }, 'tracepoint', [ARRAY]))
  return {
    r0: r.r0,
    bytes: Array.from(r.maps[0]!.entries[0]!.value),
    calls: r.outputs.filter((e) => e.kind === 'helper_call')
  }
}

describe('helpers outside the model', () => {
  it('probe_read_kernel writes the answer, or zeros with a failure, and records the call', () => {
    const prog = intoValue(113, SRC)
    const data = Uint8Array.from({ length: 16 }, (_, i) => i + 1)
    const ok = value({ calls: [{ r0: 0n, data }] }, prog)
    expect(ok.r0).toBe(0n)
    expect(ok.bytes).toEqual(Array.from(data))
    expect(ok.calls).toEqual([
      { kind: 'helper_call', id: 113, args: [16n, 0x1010101010101010n], data: new Uint8Array(0) }
    ])
    const failed = value({ calls: [{ r0: BigInt.asUintN(64, -14n), data }] }, prog)
    expect(failed.r0).toBe(BigInt.asUintN(64, -14n))
    expect(failed.bytes).toEqual(new Array(16).fill(0))
    // A missing answer is success with zero bytes; a result outside the helper's range too.
    expect(value({}, prog)).toMatchObject({ r0: 0n, bytes: new Array(16).fill(0) })
    expect(value({ calls: [{ r0: 5n, data }] }, prog)).toMatchObject({
      r0: 0n,
      bytes: Array.from(data)
    })
  })

  it('probe_read_user_str writes min(r0, size) bytes ending in NUL and keeps the rest', () => {
    const prog = intoValue(114, SRC)
    const data = new Uint8Array(16).fill(0x41)
    const r = value({ calls: [{ r0: 4n, data }] }, prog)
    expect(r.r0).toBe(4n)
    expect(r.bytes).toEqual([0x41, 0x41, 0x41, 0, ...new Array(12).fill(0xaa)])
    expect(value({}, prog)).toMatchObject({ r0: 1n, bytes: [0, ...new Array(15).fill(0xaa)] })
    expect(value({ calls: [{ r0: 17n, data }] }, prog).r0).toBe(1n)
    expect(value({ calls: [{ r0: BigInt.asUintN(64, -14n) }] }, prog).bytes).toEqual(
      new Array(16).fill(0)
    )
  })

  it('answers calls in order, one answer each', () => {
    const prog = llvm('call 125\nr6 = r0\ncall 160\nr0 -= r6\nexit')
    const r = exited(run(prog, { calls: [{ r0: 10n }, { r0: 25n }] }, 'tracepoint'))
    expect(r.r0).toBe(15n)
    expect(r.outputs.map((e) => (e.kind === 'helper_call' ? e.id : -1))).toEqual([125, 160])
  })

  it('copies the program memory exactly, recording nothing', () => {
    const prog = llvm(`
      r1 = 1234605616436508552 ll
      *(u64 *)(r10 - 16) = r1
      r3 = r10
      r3 += -16
      r1 = r10
      r1 += -8
      r2 = 8
      call 4
      r0 = *(u64 *)(r10 - 8)
      exit`)
    const r = exited(run(prog, {}, 'tracepoint'))
    expect(r.r0).toBe(1234605616436508552n)
    expect(r.outputs).toEqual([])
    const str = llvm(`
      r1 = 0x00434241
      *(u64 *)(r10 - 16) = r1
      r3 = r10
      r3 += -16
      r1 = r10
      r1 += -8
      r2 = 8
      call 45
      exit`)
    expect(exited(run(str, {}, 'tracepoint')).r0).toBe(4n)
  })

  it('records the bytes a helper reads and rewrites in/out buffers except the kept bytes', () => {
    const write = intoValue(36, 'r1 = 4096\nr2 = r7\nr3 = 3')
    const w = value({}, write)
    expect(w.calls).toEqual([
      { kind: 'helper_call', id: 36, args: [4096n, 3n], data: new Uint8Array([0xaa, 0xaa, 0xaa]) }
    ])
    const fib = intoValue(69, 'r1 = r6\nr2 = r7\nr3 = 16\nr4 = 0')
    const data = new Uint8Array(16).fill(7)
    const f = exited(
      run(fib, { ctx: CTX, calls: [{ r0: 0n, data, keep: [0, 15] }] }, 'xdp', [ARRAY])
    )
    expect(Array.from(f.maps[0]!.entries[0]!.value)).toEqual([0xaa, ...new Array(14).fill(7), 0xaa])
  })

  it('refuses a map of the wrong type', () => {
    expectFault(
      run(llvm('ld_pseudo r2, 1, 0\nr3 = 0\ncall 27\nexit'), {}, 'tracepoint', [HASH]),
      /get_stackid: not allowed on map type 1/
    )
  })
})

describe('LRU map operations', () => {
  const LRU: MapDef = { type: 9, keySize: 4, valueSize: 8, maxEntries: 8 }
  const update = (key: number): string =>
    `r1 = ${key}\n*(u32 *)(r10 - 4) = r1\nr1 = 7\n*(u64 *)(r10 - 16) = r1\nr2 = r10\nr2 += -4
     r3 = r10\nr3 += -16\nld_pseudo r1, 1, 0\nr4 = 0\ncall 2\n`
  const prog = llvm(`${update(1)}r6 = r0\n${update(2)}r0 += r6\nexit`)
  const key = (k: number): Uint8Array => Uint8Array.from([k, 0, 0, 0])

  it('are recorded calls, and updates evict what the answer names', () => {
    const r = exited(
      run(prog, { calls: [{ r0: 0n }, { r0: 0n, evict: [key(1)] }] }, 'tracepoint', [LRU])
    )
    expect(r.r0).toBe(0n)
    expect(r.maps[0]!.entries.map((e) => e.key[0])).toEqual([2])
    expect(r.outputs).toEqual([
      { kind: 'helper_call', id: 2, args: [0n], data: key(1) },
      { kind: 'helper_call', id: 2, args: [0n], data: key(2) }
    ])
  })

  it('fail with -ENOMEM when the answer says so', () => {
    const r = exited(run(prog, { calls: [{ r0: BigInt.asUintN(64, -12n) }] }, 'tracepoint', [LRU]))
    expect(BigInt.asIntN(64, r.r0)).toBe(-12n)
    expect(r.maps[0]!.entries.map((e) => e.key[0])).toEqual([2])
  })
})
