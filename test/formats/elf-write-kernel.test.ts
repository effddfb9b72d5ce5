/** @fileoverview Kernel proof of the ELF writer: removing real instructions the kernel would keep, same results. */

import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { canLoad, read, removeWorkDir, sectionSlots, work } from './elf-helpers'
import { fixture } from './helpers'
import { remapJumps, replaceSectionCode } from '../../src-daemon/core/formats'

afterAll(removeWorkDir)

const isSelfMove = (s: Insn): boolean =>
  s.code === 0xbf && s.dst === s.src && s.off === 0 && s.imm === 0

/** Removes every `rX = rX` from a section. */
function removeSelfMoves(
  bytes: Uint8Array,
  section: string
): { bytes: Uint8Array; removed: number } {
  const obj = read(bytes)
  const slots = sectionSlots(obj, section)
  const relocated = new Set(
    obj.programs
      .filter((p) => p.section === section)
      .flatMap((p) => p.relocations.map((r) => r.sectionSlot))
  )
  const keep = slots.map((s) => !isSelfMove(s))
  const code = remapJumps(slots, keep, { relocatedSlots: relocated })
  if (!code.ok) throw new Error(code.error.message)
  const out = replaceSectionCode(obj.elf, {
    section,
    slots: code.value.slots,
    newIndexOf: code.value.newIndexOf
  })
  if (!out.ok) throw new Error(`${out.error.code}: ${out.error.message}`)
  return { bytes: out.value, removed: keep.filter((k) => !k).length }
}

interface Run {
  readonly retvals: string[]
  readonly mapValue: string
  readonly xlatedBytes: number
}

/** Loads an object, runs xdp_weigh on each packet, reads the `seen` map and the xlated size. */
function runInKernel(bytes: Uint8Array, tag: string, packets: Uint8Array[]): Run {
  const dir = join(work, tag)
  mkdirSync(dir, { recursive: true })
  const obj = join(dir, 'x.o')
  writeFileSync(obj, bytes)
  const pin = `/sys/fs/bpf/summit_test_formats_${process.pid}_${tag}`
  const maps = `${pin}_maps`
  try {
    const load = spawnSync('bpftool', ['prog', 'loadall', obj, pin, 'pinmaps', maps], {
      encoding: 'utf8'
    })
    expect(load.stderr).toBe('')
    expect(load.status).toBe(0)
    const retvals = packets.map((p, i) => {
      const file = join(dir, `pkt${i}`)
      writeFileSync(file, p)
      const out = execFileSync(
        'bpftool',
        ['prog', 'run', 'pinned', `${pin}/xdp_weigh`, 'data_in', file],
        {
          encoding: 'utf8'
        }
      )
      return /Return value: (\d+)/.exec(out)?.[1] ?? out
    })
    const mapValue = execFileSync(
      'bpftool',
      ['map', 'lookup', 'pinned', `${maps}/seen`, 'key', '0', '0', '0', '0'],
      {
        encoding: 'utf8'
      }
    )
    const show = JSON.parse(
      execFileSync('bpftool', ['prog', 'show', 'pinned', `${pin}/xdp_weigh`, '--json'], {
        encoding: 'utf8'
      })
    ) as { bytes_xlated: number }
    return {
      retvals,
      mapValue: mapValue.replace(/\s+/g, ' ').trim(),
      xlatedBytes: show.bytes_xlated
    }
  } finally {
    rmSync(pin, { recursive: true, force: true })
    rmSync(maps, { recursive: true, force: true })
  }
}

describe('kernel: removing self-moves from selfmov.o', () => {
  it('the rewritten object loads, runs fewer instructions and computes the same results', (ctx) => {
    const original = fixture('selfmov.o')
    const a = removeSelfMoves(original, 'xdp')
    const b = removeSelfMoves(a.bytes, '.text')
    expect([a.removed, b.removed]).toEqual([1, 1])
    const after = read(b.bytes)
    expect(after.programs.map((p) => [p.name, p.slotCount])).toEqual([
      ['xdp_weigh', 29],
      ['weigh', 10]
    ])
    if (!canLoad) {
      console.log('kernel proof skipped: not root or no bpftool')
      ctx.skip()
      return
    }
    // Packets of 14..80 bytes, first byte odd or even.
    const packets = [14, 15, 33, 60, 61, 80].map((n, i) =>
      new Uint8Array(n).fill(i % 2 === 0 ? 0x11 : 0x20)
    )
    const before = runInKernel(original, 'selfmov_orig', packets)
    const edited = runInKernel(b.bytes, 'selfmov_edit', packets)
    expect(edited.retvals).toEqual(before.retvals)
    expect(before.retvals).toEqual(['2', '1', '2', '1', '2', '1'])
    expect(edited.mapValue).toBe(before.mapValue)
    // sum of len * weights[len & 3] over the packets: 98 + 165 + 165 + 180 + 305 + 240.
    expect(edited.mapValue).toContain('"value": 1153')
    // The kernel keeps self-moves, so the edited program is exactly two instructions shorter.
    expect(edited.xlatedBytes).toBe(before.xlatedBytes - 16)
  })
})
