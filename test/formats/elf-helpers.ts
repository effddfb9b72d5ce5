/** @fileoverview Helpers for the ELF writer tests: reading, editing, .BTF.ext inspection, kernel loading. */

import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import {
  parseBtf,
  parseBtfExt,
  readBpfObject,
  remapJumps,
  replaceSectionCode,
  sectionBytes
} from '../../src-daemon/core/formats'
import type { BpfObject } from '../../src-daemon/core/formats'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { slotsFromBytes } from '../../src-daemon/core/isa/insn'
import { hasTool, isRoot } from '../support/environment'

/** Scratch directory for written objects (removed by {@link removeWorkDir}). */
export const work = mkdtempSync(join(tmpdir(), 'summit-formats-'))

/** Removes the scratch directory (call from afterAll). */
export function removeWorkDir(): void {
  rmSync(work, { recursive: true, force: true })
}

/** Reads an object or throws (test helper). */
export function read(bytes: Uint8Array, name = 'obj.o'): BpfObject {
  const r = readBpfObject(bytes, { file: name })
  if (!r.ok) throw new Error(`${name}: ${r.error.code} ${r.error.message}`)
  return r.value
}

/** The slots of a named section. */
export function sectionSlots(obj: BpfObject, name: string): Insn[] {
  return slotsFromBytes(
    sectionBytes(
      obj.elf,
      obj.sections.find((s) => s.name === name)!
    )
  )
}

/** True when this process can load BPF programs with bpftool. */
export const canLoad =
  isRoot('kernel loads of rewritten objects') &&
  hasTool('bpftool', 'kernel loads of rewritten objects', 'bpftool')

/** Loads every program of an object with `bpftool prog loadall`, then unpins; returns bpftool's status. */
export function kernelLoad(
  bytes: Uint8Array,
  tag: string
): { status: number | null; stderr: string } {
  const path = join(work, `${tag}.o`)
  writeFileSync(path, bytes)
  const pin = `/sys/fs/bpf/summit_test_formats_${process.pid}_${tag}`
  try {
    const r = spawnSync('bpftool', ['prog', 'loadall', path, pin], { encoding: 'utf8' })
    return { status: r.status, stderr: r.stderr }
  } finally {
    rmSync(pin, { recursive: true, force: true })
  }
}

/** True for `ja +0`. */
export const isNop = (s: Insn): boolean => s.code === 0x05 && s.off === 0 && s.imm === 0

/** Removes every `ja +0` of a section with remapJumps + replaceSectionCode. */
export function removeNops(bytes: Uint8Array, section: string): Uint8Array {
  const obj = read(bytes)
  const slots = sectionSlots(obj, section)
  const relocated = new Set(
    obj.programs
      .filter((p) => p.section === section)
      .flatMap((p) => p.relocations.map((r) => r.sectionSlot))
  )
  const code = remapJumps(
    slots,
    slots.map((s) => !isNop(s)),
    { relocatedSlots: relocated }
  )
  if (!code.ok) throw new Error(code.error.message)
  const out = replaceSectionCode(obj.elf, {
    section,
    slots: code.value.slots,
    newIndexOf: code.value.newIndexOf
  })
  if (!out.ok) throw new Error(`${out.error.code}: ${out.error.message}`)
  return out.value
}

/** .BTF.ext records per (kind, section name): insn byte offsets. */
export function extRecords(obj: BpfObject): Map<string, number[]> {
  const ext = parseBtfExt(obj.btfExt!)
  const btf = parseBtf(obj.btf!)
  if (!ext.ok || !btf.ok) throw new Error('BTF')
  const out = new Map<string, number[]>()
  for (const sub of ext.value.subsections)
    for (const b of sub.blocks)
      out.set(`${sub.kind}:${btf.value.stringAt(b.secNameOff)}`, [...b.insnOffs])
  return out
}

/** Every .rel.BTF.ext entry must point at an insn_off field of a record of its section. */
export function checkBtfExtRelocations(obj: BpfObject): number {
  const ext = parseBtfExt(obj.btfExt!)
  if (!ext.ok) throw new Error('BTF.ext')
  const fieldAt = new Set<number>()
  for (const sub of ext.value.subsections)
    for (const b of sub.blocks)
      b.insnOffs.forEach((_, i) => fieldAt.add(b.at + 8 + i * sub.recSize))
  const extIndex = obj.sections.find((s) => s.name === '.BTF.ext')!.index
  const table = obj.elf.relocations.find((t) => t.targetIndex === extIndex)!
  for (const e of table.entries) expect(fieldAt.has(e.offset)).toBe(true)
  return table.entries.length
}
