/**
 * @fileoverview `.rodata` as the kernel sees it once libbpf has frozen it: programs may not write
 * it, and loads at a known offset read the object's bytes as constants, which can make unsafe code
 * dead (test/fixtures/c/rodata_gate.c). The analysis first checks with those bytes unknown and
 * falls back to the object's values only when that refuses the original.
 */
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { analyze } from '../../src-daemon/core/analysis/verifier'
import { MAP_RDONLY_PROG, type MapDef } from '../../src-daemon/core/analysis/types'
import { asm } from '../smt/prover-support'
import { chooseProfile, usesFrozen } from '../../src-daemon/core/search/safety'
import { loadInput, selectPrograms } from '../../src-daemon/engine/program/load'
import { runnable } from '../../src-daemon/engine/program/program-model'
import { prepareJob } from '../../src-daemon/engine/search/prepare'

const OBJ = fileURLToPath(new URL('../fixtures/obj/', import.meta.url))

function gate() {
  const input = loadInput(`${OBJ}rodata_gate.o`)
  return runnable(input, selectPrograms(input, 'xdp')[0]!)
}

/** A one-entry array of `bytes`, read-only for programs; frozen when `frozen`. */
function rodata(bytes: number[], frozen = true, flags = MAP_RDONLY_PROG): MapDef {
  return {
    type: 2,
    keySize: 4,
    valueSize: bytes.length,
    maxEntries: 1,
    flags,
    ...(frozen ? { frozen: bytes } : {})
  }
}

/** `r0 = *(u16 *)(rodata + 2)`; exit only if it is 0x1234, else an uninitialised r3 is read. */
const READ_AND_BRANCH = asm(`
  ld_pseudo r1, 2, 0
  r0 = *(u16 *)(r1 + 2)
  if r0 == 0x1234 goto +1
  r0 = r3
  exit
`)

function verdict(maps: MapDef[], slots = READ_AND_BRANCH): string {
  const r = analyze(slots, { progType: 'xdp', maps, collectStates: false })
  return r.ok ? 'accept' : `${r.error.code}: ${r.error.message}`
}

describe('.rodata frozen by the loader', () => {
  it('gives .rodata maps of objects the read-only flag and the object bytes', () => {
    const r = gate()
    const m = r.maps.find((x) => x.name === '.rodata')!
    expect(m.flags).toBe(MAP_RDONLY_PROG)
    expect(m.frozen).toEqual([1])
  })

  it('reads a frozen value at a known offset as a constant (little-endian, sized)', () => {
    expect(verdict([rodata([0, 0, 0x34, 0x12])])).toBe('accept')
    // Other bytes, not frozen, or writable by programs: the read is unknown and r3 is read.
    expect(verdict([rodata([0, 0, 0x35, 0x12])])).toMatch(/VERIFY_UNINIT_REG/)
    expect(verdict([rodata([0, 0, 0x34, 0x12], false)])).toMatch(/VERIFY_UNINIT_REG/)
    expect(verdict([rodata([0, 0, 0x34, 0x12], true, 0)])).toMatch(/VERIFY_UNINIT_REG/)
  })

  it('refuses a write to .rodata, as the kernel does for BPF_F_RDONLY_PROG', () => {
    const write = asm('ld_pseudo r1, 2, 0\nr2 = 7\n*(u8 *)(r1 + 0) = r2\nr0 = 0\nexit')
    expect(verdict([rodata([0])], write)).toMatch(/write into map forbidden/)
  })

  it('accepts the gated object only with the object values, and says so in the profile', () => {
    const r = gate()
    const choice = chooseProfile(r.slots, r.progType, r.model)
    if (!choice.ok) throw new Error(choice.error.error.message)
    expect(usesFrozen(choice.value)).toBe(true)
    // Unknown .rodata: the unchecked dereference of the lookup result is reachable.
    const unknown = analyze(r.slots, {
      progType: 'xdp',
      maps: r.maps.map(({ frozen: _, ...m }) => m),
      collectStates: false
    })
    expect(unknown.ok ? 'accept' : unknown.error.message).toMatch(/map_value_or_null/)
    const job = prepareJob(r, { iterations: 10 })
    expect(job.ok && usesFrozen(job.value.profile)).toBe(true)
  })

  it('keeps the stronger verdict (values unknown) when the original is safe for every .rodata', () => {
    const input = loadInput(`${OBJ}global_data.o`)
    const r = runnable(input, selectPrograms(input, undefined)[0]!)
    expect(r.maps.some((m) => m.frozen !== undefined)).toBe(true)
    const choice = chooseProfile(r.slots, r.progType, r.model)
    expect(choice.ok && !usesFrozen(choice.value)).toBe(true)
  })
})
