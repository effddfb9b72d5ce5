/**
 * @fileoverview CO-RE resolution: every relocation kind against a stand-in kernel BTF with known
 * layouts (core_local.o against core_target.o), and, where bpftool can load, the values libbpf
 * itself patches on the running kernel (its debug log) against Summit's for the same object.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  applyCoreRelocations,
  coreTarget,
  essentialName,
  linkProgram,
  readBpfObject,
  readCoreRecords,
  resolveCoreRecord,
  type BpfObject,
  type CoreRecord
} from '../../src-daemon/core/formats'
import { kernelCoreTarget } from '../../src-daemon/engine/program/kernel-btf'
import { fixture } from './helpers'

function read(bytes: Uint8Array): BpfObject {
  const r = readBpfObject(bytes)
  if (!r.ok) throw new Error(r.error.message)
  return r.value
}

const local = read(fixture('core_local.o'))
const target = coreTarget(read(fixture('core_target.o')).btfTypes!)
const records = readCoreRecords(local).get('xdp')!

/** The value the record on section slot `slot` resolves to (or the error message). */
function resolved(slot: number): bigint | string {
  const rec = records.find((r) => r.insnOff === slot * 8) as CoreRecord
  const r = resolveCoreRecord(local.btfTypes!, rec, target)
  if (!r.ok) return r.error.message
  return r.value.poison ? 'poison' : r.value.value
}

describe('CO-RE relocations against a known target BTF', () => {
  it('strips flavour suffixes as libbpf does', () => {
    expect(essentialName('task_struct___local')).toBe('task_struct')
    expect(essentialName('a___b___c')).toBe('a___b')
    expect(essentialName('x____y')).toBe('x____y')
    expect(essentialName('plain')).toBe('plain')
  })

  it('computes field offsets, sizes, existence, signedness, bitfield shifts and array elements', () => {
    expect(resolved(0)).toBe(8n) // offset of pid
    expect(resolved(1)).toBe(16n) // size of comm
    expect(resolved(3)).toBe(0n) // no_such_field exists
    expect(resolved(5)).toBe(1n) // tgid exists
    expect(resolved(7)).toBe(0n) // prio is unsigned
    expect(resolved(9)).toBe(56n) // lshift of prio:5 at bit 259 in a 4-byte unit at byte 32
    expect(resolved(11)).toBe(59n) // rshift of a 5-bit field
    expect(resolved(13)).toBe(19n) // &comm[3]
  })

  it('computes type existence and size and enumerator existence and value', () => {
    expect(resolved(15)).toBe(1n)
    expect(resolved(17)).toBe(0n) // absent_type
    expect(resolved(19)).toBe(40n)
    expect(resolved(21)).toBe(0n) // PIDTYPE_NONE is not in the target enum
    expect(resolved(24)).toBe(1n) // PIDTYPE_TGID
    expect(resolved(27)).toBe(0n) // __sk_buff.len
  })

  it('refuses ambiguous candidates; poisons what has no target, as libbpf does', () => {
    expect(resolved(30)).toMatch(/field offset ambiguity/)
    expect(resolved(32)).toBe('poison')
    const entry = local.programs.find((p) => p.name === 'core_poisoned')!
    const l = linkProgram(local, entry)
    if (!l.ok) throw new Error(l.error.message)
    const r = applyCoreRelocations(local, l.value.functions, l.value.slots, target)
    if (!r.ok) throw new Error(r.error.message)
    expect(r.value.slots[0]).toEqual({ code: 0x85, dst: 0, src: 0, off: 0, imm: 0xbad2310 })
    const amb = local.programs.find((p) => p.name === 'core_ambiguous')!
    const la = linkProgram(local, amb)
    if (!la.ok) throw new Error(la.error.message)
    const ra = applyCoreRelocations(local, la.value.functions, la.value.slots, target)
    expect(ra.ok ? undefined : ra.error).toMatchObject({
      code: 'CORE_UNRESOLVED',
      section: 'xdp',
      index: 30
    })
  })

  it('patches a program: immediates, a load offset, a 64-bit immediate', () => {
    const entry = local.programs.find((p) => p.name === 'core_kinds')!
    const l = linkProgram(local, entry)
    if (!l.ok) throw new Error(l.error.message)
    const r = applyCoreRelocations(local, l.value.functions, l.value.slots, target)
    if (!r.ok) throw new Error(r.error.message)
    expect(r.value.applied.length).toBe(14)
    expect(r.value.slots[0]!.imm).toBe(8)
    expect(r.value.slots[27]).toMatchObject({ code: 0x61, off: 0 })
    expect(r.value.slots[24]!.imm).toBe(1)
    expect(l.value.slots[0]!.imm).toBe(4) // the input is not changed
  })
})

const OBJ = fileURLToPath(new URL('../fixtures/obj/core_fields.o', import.meta.url))
const canLoad = (process.getuid?.() ?? -1) === 0 && spawnSync('bpftool', ['version']).status === 0
const hasBtf = existsSync('/sys/kernel/btf/vmlinux')
if (!canLoad || !hasBtf)
  console.log(
    '[core-relo] libbpf comparison skipped: needs root, bpftool and /sys/kernel/btf/vmlinux'
  )

describe.skipIf(!canLoad || !hasBtf)('CO-RE resolution matches libbpf on this kernel', () => {
  it('patches core_fields.o exactly as libbpf does (bpftool -d log)', () => {
    const pin = `/sys/fs/bpf/summit_core_${process.pid}`
    const r = spawnSync('bpftool', ['-d', 'prog', 'loadall', OBJ, pin], { encoding: 'utf8' })
    rmSync(pin, { recursive: true, force: true })
    expect(r.status, r.stderr.slice(-400)).toBe(0)
    const libbpf = new Map<number, bigint | 'poison'>()
    for (const m of r.stderr.matchAll(
      /patched insn #(\d+) \([A-Z/0-9]+\) (?:imm64|imm|off) -?\d+ -> (-?\d+)/g
    ))
      libbpf.set(Number(m[1]), BigInt(m[2]!))
    for (const m of r.stderr.matchAll(/relo #\d+: substituting insn #(\d+) w\/ invalid insn/g))
      libbpf.set(Number(m[1]), 'poison')
    expect(libbpf.size).toBeGreaterThan(5)
    const obj = read(new Uint8Array(readFileSync(OBJ)))
    const kernel = kernelCoreTarget()
    if (!kernel.ok) throw new Error(kernel.error.message)
    const entry = obj.programs.find((p) => p.name === 'tc_core_fields')!
    const l = linkProgram(obj, entry)
    if (!l.ok) throw new Error(l.error.message)
    const ours = applyCoreRelocations(obj, l.value.functions, l.value.slots, kernel.value)
    if (!ours.ok) throw new Error(ours.error.message)
    const mine = new Map(
      ours.value.applied.map((a) => [a.slot, a.resolution.poison ? 'poison' : a.resolution.value])
    )
    expect([...libbpf.values()]).toContain('poison')
    expect(mine).toEqual(libbpf)
  })
})
