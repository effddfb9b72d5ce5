/** @fileoverview Re-lays out an ELF64 object after some sections changed contents or size. */

import type { Result } from '../util/result'
import { fail, ok } from '../util/result'
import { setU64 } from './bytes'
import type { ElfFile } from './elf-types'
import { ELF64_EHDR_SIZE, ELF64_SHDR_SIZE, SHT } from './elf-types'

interface Region {
  /** Section index, or -1 for the section header table. */
  readonly index: number
  readonly oldOffset: number
  readonly oldSize: number
  readonly align: number
  readonly content: Uint8Array
}

function alignUp(v: number, a: number): number {
  return a > 1 ? Math.ceil(v / a) * a : v
}

/**
 * Writes `elf` with some section contents replaced (`replaced`: section index → new bytes).
 * Sections keep their order in the file; a section moves only when something before it changed
 * size, and alignment is kept. With nothing replaced the output equals the input byte for byte
 * (up to trailing bytes after the last section or header table).
 */
export function assembleElf(
  elf: ElfFile,
  replaced: ReadonlyMap<number, Uint8Array>
): Result<Uint8Array> {
  const src = elf.bytes
  const phnum = new DataView(src.buffer, src.byteOffset, src.byteLength).getUint16(56, true)
  if (phnum !== 0)
    return fail({
      code: 'ELF_UNSUPPORTED_LAYOUT',
      message: 'objects with program headers are not supported'
    })
  const regions: Region[] = []
  for (const s of elf.sections) {
    if (s.type === SHT.NULL || s.type === SHT.NOBITS) continue
    const content = replaced.get(s.index) ?? src.subarray(s.offset, s.offset + s.size)
    regions.push({
      index: s.index,
      oldOffset: s.offset,
      oldSize: s.size,
      align: Math.max(1, s.addralign),
      content
    })
  }
  const shdrSize = elf.sections.length * ELF64_SHDR_SIZE
  if (elf.sections.length > 0)
    regions.push({
      index: -1,
      oldOffset: elf.shoff,
      oldSize: shdrSize,
      align: 8,
      content: src.subarray(elf.shoff, elf.shoff + shdrSize)
    })
  regions.sort((a, b) => a.oldOffset - b.oldOffset || a.index - b.index)

  const newOffset = new Map<number, number>()
  let cursor = ELF64_EHDR_SIZE
  let oldEnd = ELF64_EHDR_SIZE
  for (const r of regions) {
    let at: number
    // While nothing before has moved, keep original offsets (identity writes are byte-exact).
    if (cursor === oldEnd && r.oldOffset >= cursor) at = r.oldOffset
    else at = r.oldOffset % r.align === 0 ? alignUp(cursor, r.align) : cursor
    newOffset.set(r.index, at)
    cursor = at + r.content.length
    oldEnd = Math.max(oldEnd, r.oldOffset + r.oldSize)
  }
  const out = new Uint8Array(cursor)
  out.set(src.subarray(0, ELF64_EHDR_SIZE), 0)
  for (const r of regions) out.set(r.content, newOffset.get(r.index)!)
  const view = new DataView(out.buffer)
  const shoff = newOffset.get(-1)
  if (shoff !== undefined) {
    setU64(view, 40, shoff)
    // Patch every section header's sh_offset and sh_size.
    let lastShift = 0
    const byOld = [...elf.sections].sort((a, b) => a.offset - b.offset || a.index - b.index)
    for (const s of byOld) {
      const base = shoff + s.index * ELF64_SHDR_SIZE
      const moved = newOffset.get(s.index)
      if (moved !== undefined) {
        lastShift = moved - s.offset
        setU64(view, base + 24, moved)
        setU64(view, base + 32, replaced.get(s.index)?.length ?? s.size)
      } else if (s.type === SHT.NOBITS) {
        setU64(view, base + 24, Math.max(0, s.offset + lastShift))
      }
    }
  }
  return ok(out)
}
