/** @fileoverview writeLinkedProgram: linked-program edits written back into objects, and what it refuses. */

import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import {
  applyCoreRelocations,
  coreTarget,
  layoutOfLink,
  linkProgram,
  writeLinkedProgram,
  type BpfObject,
  type LinkedProgram
} from '../../src-daemon/core/formats'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { canLoad, kernelLoad, read, removeWorkDir } from './elf-helpers'
import { fixture } from './helpers'

afterAll(removeWorkDir)

const compiled = (name: string): BpfObject =>
  read(
    new Uint8Array(
      readFileSync(fileURLToPath(new URL(`../fixtures/obj/${name}`, import.meta.url)))
    ),
    name
  )

function link(obj: BpfObject, name: string): LinkedProgram {
  const l = linkProgram(
    obj,
    obj.programs.find((p) => p.name === name)!
  )
  if (!l.ok) throw new Error(l.error.message)
  return l.value
}

/** An edit of `l` that removes `drop` and replaces slots as `change` says. */
function edit(
  l: LinkedProgram,
  drop: readonly number[],
  change: Readonly<Record<number, Partial<Insn>>> = {}
): { slots: Insn[]; keep: Uint8Array } {
  const slots = l.slots.map((s, i) => ({ ...s, ...change[i] }))
  const keep = Uint8Array.from(l.slots, (_, i) => (drop.includes(i) ? 0 : 1))
  return { slots, keep }
}

/** The linked program of `name` after writing, with jumps as the reader sees them. */
function relinked(bytes: Uint8Array, name: string): LinkedProgram {
  return link(read(bytes), name)
}

const isNop = (s: Insn): boolean => s.code === 0x05 && s.off === 0

describe('writeLinkedProgram', () => {
  const prog = read(fixture('prog.o'))

  it('writes an entry-only change; shared subprograms stay byte-identical', () => {
    const l = link(prog, 'xdp_count')
    const nop = l.slots.findIndex(isNop)
    expect(nop).toBe(6)
    const out = writeLinkedProgram(prog, layoutOfLink(prog, l), l.slots, edit(l, [nop]))
    if (!out.ok) throw new Error(out.error.message)
    const after = relinked(out.value, 'xdp_count')
    expect(after.slots).toEqual(l.slots.filter((_, i) => i !== nop).map(retargeted(l, nop)))
    const text = (o: BpfObject): Insn[] =>
      o.programs.filter((p) => p.isSubprogram).flatMap((p) => p.slots)
    expect(text(read(out.value))).toEqual(text(prog))
    if (!canLoad) console.log('[export-linked] kernel load skipped: needs root and bpftool')
    else expect(kernelLoad(out.value, 'entry_only')).toEqual({ status: 0, stderr: '' })
  })

  it('refuses to change a subprogram another entry program also calls', () => {
    const l = link(prog, 'xdp_count')
    const bump = l.functions.find((f) => f.name === 'bump')!
    const nop = l.slots.findIndex((s, i) => i >= bump.firstSlot && isNop(s))
    const out = writeLinkedProgram(prog, layoutOfLink(prog, l), l.slots, edit(l, [nop]))
    expect(out.ok ? undefined : out.error).toMatchObject({
      code: 'EXPORT_SHARED_SUBPROGRAM',
      section: '.text'
    })
    expect(out.ok ? '' : out.error.message).toContain('sock_count also calls it')
  })

  it('re-aims a map load the search pointed at another map, and drops one made a constant', () => {
    const obj = compiled('syscall_counts.o')
    const l = link(obj, 'on_enter_openat')
    const loads = l.slots.flatMap((s, i) => (s.code === 0x18 && s.src === 1 ? [i] : []))
    expect(loads.length).toBe(2)
    const [first, second] = loads as [number, number]
    const retargetedMap = writeLinkedProgram(
      obj,
      layoutOfLink(obj, l),
      l.slots,
      edit(l, [], { [second]: { imm: 1 } })
    )
    if (!retargetedMap.ok) throw new Error(retargetedMap.error.message)
    const p = read(retargetedMap.value).programs.find((x) => x.name === 'on_enter_openat')!
    expect(p.relocations.map((r) => [r.slot, r.target.kind === 'map' && r.target.name])).toEqual([
      [first, 'enter_count'],
      [second, 'exit_count']
    ])
    const constant = writeLinkedProgram(
      obj,
      layoutOfLink(obj, l),
      l.slots,
      edit(l, [], { [second]: { src: 0, imm: 7 } })
    )
    if (!constant.ok) throw new Error(constant.error.message)
    const q = read(constant.value).programs.find((x) => x.name === 'on_enter_openat')!
    expect(q.relocations.map((r) => r.slot)).toEqual([first])
    expect(q.slots[second]).toMatchObject({ code: 0x18, src: 0, imm: 7 })
    if (canLoad) expect(kernelLoad(retargetedMap.value, 'other_map').status).toBe(0)
  })

  it('a map-value load moved to another offset keeps its symbol and reaches the new offset', () => {
    const obj = compiled('global_counters.o')
    const l = link(obj, 'xdp_count_small')
    const p = obj.programs.find((x) => x.name === 'xdp_count_small')!
    const at = p.relocations.find((r) => r.symbol === 'last_small')!.slot
    expect(l.slots[at + 1]!.imm).toBe(8)
    const out = writeLinkedProgram(
      obj,
      layoutOfLink(obj, l),
      l.slots,
      edit(l, [], { [at + 1]: { imm: 0 } })
    )
    if (!out.ok) throw new Error(out.error.message)
    const r = read(out.value)
      .programs.find((x) => x.name === 'xdp_count_small')!
      .relocations.find((x) => x.slot === at)!
    expect(r.symbol).toBe('last_small')
    expect(r.target).toMatchObject({ kind: 'data', section: '.bss', offset: 0 })
    expect(relinked(out.value, 'xdp_count_small').slots[at + 1]!.imm).toBe(0)
  })

  it('refuses a changed CO-RE instruction and a jump out of its function', () => {
    const feat = read(fixture('features.o'))
    const l = link(feat, 'kp_open')
    const core = writeLinkedProgram(
      feat,
      layoutOfLink(feat, l),
      l.slots,
      edit(l, [], { 1: { dst: 4 } })
    )
    expect(core.ok ? undefined : core.error).toMatchObject({ code: 'EXPORT_CORE_EDIT', index: 1 })
    const dropped = writeLinkedProgram(feat, layoutOfLink(feat, l), l.slots, edit(l, [1]))
    if (!dropped.ok) throw new Error(dropped.error.message)
    const pl = link(prog, 'xdp_count')
    const jump = pl.slots.findIndex((s) => s.code === 0x15)
    const out = writeLinkedProgram(
      prog,
      layoutOfLink(prog, pl),
      pl.slots,
      edit(pl, [], { [jump]: { off: 40 } })
    )
    expect(out.ok ? undefined : out.error).toMatchObject({
      code: 'EXPORT_JUMP_OUT_OF_FUNCTION',
      section: 'xdp'
    })
  })

  it('refuses a call into a function whose code was all removed', () => {
    const obj = compiled('subprog_shrink.o')
    const l = link(obj, 'xdp_fold_calls')
    const fold = l.functions.find((f) => f.name === 'fold')!
    const gone = Array.from({ length: fold.slotCount }, (_, k) => fold.firstSlot + k)
    const out = writeLinkedProgram(obj, layoutOfLink(obj, l), l.slots, edit(l, gone))
    expect(out.ok ? undefined : out.error).toMatchObject({
      code: 'EXPORT_BAD_CALL',
      section: 'xdp'
    })
    expect(out.ok ? '' : out.error.message).toContain('fold has no code left')
  })
})

/** Maps a kept linked slot to its form after removing slot `gone` (jumps and calls re-aimed). */
function retargeted(l: LinkedProgram, gone: number): (s: Insn, k: number) => Insn {
  return (s, k) => {
    const i = k < gone ? k : k + 1
    const cls = s.code & 7
    if (cls !== 5 && cls !== 6) return s
    if (s.code === 0x85 && s.src === 1) {
      const t = i + s.imm + 1
      return { ...s, imm: t - (t > gone ? 1 : 0) - k - 1 }
    }
    if (s.code === 0x85 || s.code === 0x95) return s
    const t = i + s.off + 1
    return { ...s, off: t - (t > gone ? 1 : 0) - k - 1 }
  }
}

describe('writeLinkedProgram with CO-RE resolutions', () => {
  it('writes relocated instructions back in the compiled form the loader patches, poisoned ones too', () => {
    const obj = compiled('core_fields.o')
    const target = coreTarget(read(fixture('core_target.o')).btfTypes!)
    const l = link(obj, 'tc_core_fields')
    const applied = applyCoreRelocations(obj, l.functions, l.slots, target)
    if (!applied.ok) throw new Error(applied.error.message)
    const poisoned = applied.value.applied.filter((a) => a.resolution.poison)
    expect(poisoned.length).toBeGreaterThan(0) // the stand-in __sk_buff has no priority
    const resolved = { ...l, slots: applied.value.slots }
    const last = resolved.slots.findIndex((s) => s.code === 0x57) // r0 &= 2, after every relocation
    const out = writeLinkedProgram(
      obj,
      layoutOfLink(obj, l),
      resolved.slots,
      edit(resolved, [last]),
      {
        core: applied.value.applied
      }
    )
    if (!out.ok) throw new Error(out.error.message)
    const after = read(out.value)
    const p = after.programs.find((x) => x.name === 'tc_core_fields')!
    const before = obj.programs.find((x) => x.name === 'tc_core_fields')!
    for (const a of applied.value.applied) expect(p.slots[a.slot]).toEqual(before.slots[a.slot])
    const again = link(after, 'tc_core_fields')
    const reapplied = applyCoreRelocations(after, again.functions, again.slots, target)
    if (!reapplied.ok) throw new Error(reapplied.error.message)
    expect(reapplied.value.slots).toEqual(resolved.slots.filter((_, i) => i !== last))
  })

  it('refuses a changed relocated instruction the loader could not patch into it', () => {
    const obj = compiled('core_fields.o')
    const target = coreTarget(read(fixture('core_target.o')).btfTypes!)
    const l = link(obj, 'tc_core_fields')
    const applied = applyCoreRelocations(obj, l.functions, l.slots, target)
    if (!applied.ok) throw new Error(applied.error.message)
    const load = applied.value.applied.find((a) => (l.slots[a.slot]!.code & 7) === 1)!
    const moved = { [load.slot]: { off: applied.value.slots[load.slot]!.off + 4 } }
    const out = writeLinkedProgram(
      obj,
      layoutOfLink(obj, l),
      applied.value.slots,
      edit({ ...l, slots: applied.value.slots }, [], moved),
      { core: applied.value.applied }
    )
    expect(out.ok ? undefined : out.error).toMatchObject({
      code: 'EXPORT_CORE_EDIT',
      index: load.slot
    })
  })
})
