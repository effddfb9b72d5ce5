/** @fileoverview The search's fast path: exec without allocation, outcome capture, distance, reload. */
import { describe, expect, it } from 'vitest'
import {
  captureOutcome,
  compileProgram,
  createMachine,
  MapType,
  outcomeDistance,
  outcomeEquals,
  resultEquals,
  STATUS_MISMATCH_COST,
  Status,
  type MapDef
} from '../../src-daemon/core/interp'
import { asm, asmMaps, mapRef, u32le, u64le } from './support'

const ARR: MapDef = { type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 16 }
const HASH: MapDef = { type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 16 }

const bump = (k: number, v: number): string => `
  stw [%r10-4], ${k}
  lddw %r1, ${mapRef(0)}
  mov %r2, %r10
  add %r2, -4
  call 1
  jeq %r0, 0, out
  stdw [%r0+0], ${v}
  out:
  mov %r0, 0
  exit`

describe('outcome capture and comparison', () => {
  it('r0 differences count differing bits', () => {
    const a = createMachine(compileProgram(asm('mov %r0, 5\nexit'), [], 'plain'))
    const b = createMachine(compileProgram(asm('mov %r0, 6\nexit'), [], 'plain'))
    expect(a.exec({})).toBe(Status.exit)
    const ref = captureOutcome(a)
    b.exec({})
    expect(outcomeDistance(b, ref)).toBe(2)
    expect(outcomeEquals(a, ref)).toBe(true)
    expect(outcomeEquals(b, ref)).toBe(false)
  })
  it('array map writes are compared by touched index, both ways', () => {
    const a = createMachine(compileProgram(asmMaps(bump(3, 1)), [ARR], 'plain'))
    const b = createMachine(compileProgram(asmMaps(bump(4, 1)), [ARR], 'plain'))
    a.exec({})
    const ref = captureOutcome(a)
    b.exec({})
    expect(outcomeDistance(b, ref)).toBe(2)
    a.exec({})
    expect(outcomeEquals(a, ref)).toBe(true)
  })
  it('hash maps compare key sets and values regardless of insertion order', () => {
    const ins = (k1: number, k2: number): string =>
      `stw [%r10-4], ${k1}\nstdw [%r10-16], 7\nlddw %r1, ${mapRef(0)}\nmov %r2, %r10\nadd %r2, -4\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 0\ncall 2\n` +
      `stw [%r10-4], ${k2}\nlddw %r1, ${mapRef(0)}\nmov %r2, %r10\nadd %r2, -4\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 0\ncall 2\nexit`
    const a = createMachine(compileProgram(asmMaps(ins(1, 2)), [HASH], 'plain'))
    const b = createMachine(compileProgram(asmMaps(ins(2, 1)), [HASH], 'plain'))
    const c = createMachine(compileProgram(asmMaps(ins(2, 3)), [HASH], 'plain'))
    const input = { maps: [[{ key: u32le(9), value: u64le(1n) }]] }
    a.exec(input)
    const ref = captureOutcome(a)
    b.exec(input)
    expect(outcomeEquals(b, ref)).toBe(true)
    c.exec(input)
    expect(outcomeDistance(c, ref)).toBeGreaterThan(0)
  })
  it('a different ending costs the status-mismatch weight; packets are compared byte-wise', () => {
    const ok = createMachine(
      compileProgram(asm('ldxw %r2, [%r1+0]\nstb [%r2+0], 1\nmov %r0, 2\nexit'), [], 'xdp')
    )
    const bad = createMachine(
      compileProgram(asm('ldxw %r2, [%r1+0]\nstb [%r2+99], 1\nmov %r0, 2\nexit'), [], 'xdp')
    )
    const other = createMachine(
      compileProgram(asm('ldxw %r2, [%r1+0]\nstb [%r2+0], 3\nmov %r0, 2\nexit'), [], 'xdp')
    )
    const input = { packet: new Uint8Array(20) }
    ok.exec(input)
    const ref = captureOutcome(ok)
    expect(bad.exec(input)).toBe(Status.fault)
    expect(outcomeDistance(bad, ref)).toBe(STATUS_MISMATCH_COST)
    other.exec(input)
    expect(outcomeDistance(other, ref)).toBe(1)
  })
  it('resultEquals compares run results as values', () => {
    const a = createMachine(compileProgram(asm('mov %r0, 1\nexit'), [], 'plain')).run({})
    const b = createMachine(compileProgram(asm('mov %r0, 0\nadd %r0, 1\nexit'), [], 'plain')).run(
      {}
    )
    const c = createMachine(compileProgram(asm('mov %r0, 2\nexit'), [], 'plain')).run({})
    expect(resultEquals(a, b)).toBe(true)
    expect(resultEquals(a, c)).toBe(false)
  })
  it('reload recompiles a candidate into the same machine', () => {
    const m = createMachine(compileProgram(asm('mov %r0, 1\nexit'), [], 'plain'))
    m.exec({})
    const ref = captureOutcome(m)
    m.reload(asm('mov %r0, 0\nadd %r0, 1\nexit'))
    m.exec({})
    expect(outcomeEquals(m, ref)).toBe(true)
    m.reload(asm('mov %r0, 3\nexit'))
    expect(m.exec({})).toBe(Status.exit)
    expect(m.r0lo).toBe(3)
  })
})
