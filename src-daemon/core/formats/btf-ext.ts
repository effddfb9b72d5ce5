/** @fileoverview Parses `.BTF.ext` (func_info, line_info, CO-RE relocations) and rebuilds it after code edits. */

import type { Diagnostic, Result } from '../util/result'
import { fail, ok } from '../util/result'
import { LeReader } from './bytes'
import type { CoreRecord } from './core-relo'

/** The three record kinds of .BTF.ext, in header order. */
export type BtfExtKind = 'func' | 'line' | 'core'

/** Records of one ELF section inside one .BTF.ext subsection. */
export interface BtfExtBlock {
  /** Offset of the ELF section name in the .BTF string table. */
  readonly secNameOff: number
  /** Byte offset of the block header within .BTF.ext. */
  readonly at: number
  /** Instruction byte offsets (first u32 of each record), in record order. */
  readonly insnOffs: readonly number[]
}

/** One subsection (func_info, line_info or core_relo). */
export interface BtfExtSubsection {
  /** Which kind of records. */
  readonly kind: BtfExtKind
  /** Record size in bytes. */
  readonly recSize: number
  /** Byte offset of the subsection (its rec_size word) within .BTF.ext. */
  readonly at: number
  /** Length in bytes (rec_size word included). */
  readonly length: number
  /** Per-section blocks. */
  readonly blocks: readonly BtfExtBlock[]
}

/** A parsed .BTF.ext. */
export interface BtfExt {
  /** Header length in bytes. */
  readonly hdrLen: number
  /** Present subsections in file order. */
  readonly subsections: readonly BtfExtSubsection[]
}

const BAD = (message: string): { ok: false; error: Diagnostic } =>
  fail({ code: 'BTF_EXT_BAD', message, section: '.BTF.ext' })

/** Parses the structure of a .BTF.ext section. Never throws on malformed input. */
export function parseBtfExt(bytes: Uint8Array): Result<BtfExt> {
  const r = new LeReader(bytes)
  if (!r.has(0, 24)) return BAD('header is truncated')
  if (r.u16(0) !== 0xeb9f) return BAD('bad magic')
  const hdrLen = r.u32(4)
  if (hdrLen < 24 || !r.has(0, hdrLen)) return BAD(`bad header length ${hdrLen}`)
  const parts: [BtfExtKind, number][] = [
    ['func', 8],
    ['line', 16]
  ]
  if (hdrLen >= 32) parts.push(['core', 24])
  const subsections: BtfExtSubsection[] = []
  for (const [kind, field] of parts) {
    const off = r.u32(field)
    const len = r.u32(field + 4)
    if (len === 0) continue
    const at = hdrLen + off
    if (!r.has(at, len) || len < 4) return BAD(`${kind} info lies outside the section`)
    const recSize = r.u32(at)
    if (recSize < 4 || recSize % 4 !== 0)
      return BAD(`${kind} info record size ${recSize} is invalid`)
    const blocks: BtfExtBlock[] = []
    let p = at + 4
    const end = at + len
    while (p < end) {
      if (p + 8 > end) return BAD(`${kind} info block header is truncated`)
      const secNameOff = r.u32(p)
      const num = r.u32(p + 4)
      if (num > (end - p - 8) / recSize)
        return BAD(`${kind} info block has too many records (${num})`)
      const insnOffs: number[] = []
      for (let i = 0; i < num; i++) insnOffs.push(r.u32(p + 8 + i * recSize))
      blocks.push({ secNameOff, at: p, insnOffs })
      p += 8 + num * recSize
    }
    subsections.push({ kind, recSize, at, length: len, blocks })
  }
  subsections.sort((a, b) => a.at - b.at)
  return ok({ hdrLen, subsections })
}

/**
 * How the records of one block of an edited section move: their new insn byte offsets, or -1
 * to drop one. `secNameOff` names the block's section.
 */
export type RecordRemap = (
  kind: BtfExtKind,
  insnOffs: readonly number[],
  secNameOff: number
) => Result<Int32Array>

/** A byte span that moved: `[oldStart, oldStart + length)` now lives at `newStart`. */
export interface MovedSpan {
  readonly oldStart: number
  readonly newStart: number
  readonly length: number
}

/** Result of rebuilding .BTF.ext: new bytes and where each surviving old byte went. */
export interface RebuiltBtfExt {
  /** The new section contents. */
  readonly bytes: Uint8Array
  /** Surviving spans, sorted by old offset (bytes not covered were dropped). */
  readonly spans: readonly MovedSpan[]
}

/**
 * Rebuilds .BTF.ext, passing the records of blocks whose section name offset is in `edited`
 * through `remap` (new insn offsets; -1 drops a record; blocks left empty are dropped).
 */
export function rebuildBtfExt(
  bytes: Uint8Array,
  ext: BtfExt,
  edited: ReadonlySet<number>,
  remap: RecordRemap
): Result<RebuiltBtfExt> {
  const out: number[] = []
  const spans: MovedSpan[] = []
  const pushSpan = (oldStart: number, length: number): void => {
    spans.push({ oldStart, newStart: out.length, length })
    for (let i = 0; i < length; i++) out.push(bytes[oldStart + i] ?? 0)
  }
  pushSpan(0, ext.hdrLen)
  const placed = new Map<BtfExtKind, { off: number; len: number }>()
  for (const sub of ext.subsections) {
    while (out.length % 4 !== 0) out.push(0)
    const start = out.length
    pushSpan(sub.at, 4)
    for (const block of sub.blocks) {
      const recs = block.insnOffs
      let newOffs: Int32Array | undefined
      if (edited.has(block.secNameOff)) {
        const m = remap(sub.kind, recs, block.secNameOff)
        if (!m.ok) return m
        newOffs = m.value
      }
      const keep = recs.map((_, i) => (newOffs ? newOffs[i]! >= 0 : true))
      const count = keep.filter(Boolean).length
      if (count === 0) continue
      const headerAt = out.length
      pushSpan(block.at, 4)
      out.push(count & 0xff, (count >> 8) & 0xff, (count >> 16) & 0xff, (count >>> 24) & 0xff)
      spans.push({ oldStart: block.at + 4, newStart: headerAt + 4, length: 4 })
      for (let i = 0; i < recs.length; i++) {
        if (!keep[i]) continue
        const recAt = block.at + 8 + i * sub.recSize
        const newAt = out.length
        pushSpan(recAt, sub.recSize)
        if (newOffs) {
          const v = newOffs[i]!
          out[newAt] = v & 0xff
          out[newAt + 1] = (v >> 8) & 0xff
          out[newAt + 2] = (v >> 16) & 0xff
          out[newAt + 3] = (v >>> 24) & 0xff
        }
      }
    }
    if (out.length === start + 4) {
      // Every block was dropped: an empty subsection must disappear (loaders reject it).
      out.length = start
      spans.pop()
      placed.set(sub.kind, { off: 0, len: 0 })
      continue
    }
    placed.set(sub.kind, { off: start - ext.hdrLen, len: out.length - start })
  }
  const result = Uint8Array.from(out)
  const view = new DataView(result.buffer)
  const fields: [BtfExtKind, number][] = [
    ['func', 8],
    ['line', 16],
    ['core', 24]
  ]
  for (const [kind, field] of fields) {
    if (field + 8 > ext.hdrLen) continue
    const p = placed.get(kind)
    if (p === undefined) continue
    view.setUint32(field, p.off, true)
    view.setUint32(field + 4, p.len, true)
  }
  spans.sort((a, b) => a.oldStart - b.oldStart)
  return ok({ bytes: result, spans })
}

/** Maps an old byte offset through the moved spans; -1 when it was dropped. */
export function mapThroughSpans(spans: readonly MovedSpan[], oldOffset: number): number {
  let lo = 0
  let hi = spans.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const s = spans[mid]!
    if (oldOffset < s.oldStart) hi = mid - 1
    else if (oldOffset >= s.oldStart + s.length) lo = mid + 1
    else return s.newStart + (oldOffset - s.oldStart)
  }
  return -1
}

/** The CO-RE records of an object, by section name (empty without `.BTF.ext`). */
export function readCoreRecords(obj: {
  readonly btfExt?: Uint8Array
  readonly btfTypes?: { readonly stringAt: (offset: number) => string | undefined }
}): Map<string, CoreRecord[]> {
  const out = new Map<string, CoreRecord[]>()
  if (obj.btfExt === undefined || obj.btfTypes === undefined) return out
  const ext = parseBtfExt(obj.btfExt)
  if (!ext.ok) return out
  const r = new LeReader(obj.btfExt)
  for (const sub of ext.value.subsections) {
    if (sub.kind !== 'core' || sub.recSize < 16) continue
    for (const b of sub.blocks) {
      const name = obj.btfTypes.stringAt(b.secNameOff) ?? ''
      const list = out.get(name) ?? []
      b.insnOffs.forEach((insnOff, i) => {
        const at = b.at + 8 + i * sub.recSize
        list.push({
          insnOff,
          typeId: r.u32(at + 4),
          access: obj.btfTypes!.stringAt(r.u32(at + 8)) ?? '',
          kind: r.u32(at + 12)
        })
      })
      out.set(name, list)
    }
  }
  return out
}

/** Instruction slots carrying CO-RE relocations, by section name (empty without `.BTF.ext`). */
export function coreRecordSlots(obj: {
  readonly btfExt?: Uint8Array
  readonly btfTypes?: { readonly stringAt: (offset: number) => string | undefined }
}): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>()
  for (const [name, recs] of readCoreRecords(obj))
    out.set(name, new Set(recs.map((x) => x.insnOff / 8)))
  return out
}
