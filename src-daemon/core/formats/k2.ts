/** @fileoverview K2 benchmark triples: `.insns` (raw slots), `.maps` (one map per line), `.desc` (input model). */

import type { Insn } from '../isa/insn'
import { INSN_SIZE, bytesFromSlots, slotsFromBytes } from '../isa/insn'
import type { Result } from '../util/result'
import { fail, ok } from '../util/result'

/** One line of a K2 `.maps` file. */
export interface K2Map {
  /** Map name (text before `{`). */
  readonly name: string
  /** BPF_MAP_TYPE_* value. */
  readonly type: number
  /** Key size in bytes. */
  readonly keySize: number
  /** Value size in bytes. */
  readonly valueSize: number
  /** max_entries. */
  readonly maxEntries: number
  /** The `fd =` value K2 puts in LDDW map loads (defaults to the line index when absent). */
  readonly fd: number
  /**
   * For a map-in-map: the line index of its inner map template (`inner_map_idx = N`, Summit's
   * addition to the format, named as in libbpf's old `struct bpf_map_def`).
   */
  readonly innerMapIndex?: number
}

/** BPF_MAP_TYPE_ARRAY_OF_MAPS and BPF_MAP_TYPE_HASH_OF_MAPS. */
const MAP_IN_MAP = new Set([12, 13])

/** The inner map template of map `m` of `maps`, when it names one. */
export function k2InnerMap(maps: readonly K2Map[], m: K2Map): K2Map | undefined {
  return m.innerMapIndex === undefined ? undefined : maps[m.innerMapIndex]
}

/** A K2 `.desc`: the program's input model. */
export interface K2Desc {
  /** 0 = constant, 1 = flat packet/ctx buffer, 2 = XDP data/data_end pointers, 3 = skb. */
  readonly pgmInputType: number
  /** Size in bytes of the packet / ctx buffer. */
  readonly maxPktSz: number
}

/** A K2 program triple. */
export interface K2Program {
  /** Instruction slots. */
  readonly slots: readonly Insn[]
  /** Maps in line order (index = K2 map index). */
  readonly maps: readonly K2Map[]
  /** Input description. */
  readonly desc: K2Desc
}

/** Parses a `.insns` file (8-byte little-endian slots). */
export function parseK2Insns(bytes: Uint8Array, file?: string): Result<Insn[]> {
  if (bytes.length % INSN_SIZE !== 0)
    return fail({
      code: 'K2_BAD_INSNS',
      message: `size ${bytes.length} is not a multiple of 8`,
      ...(file !== undefined ? { file } : {})
    })
  return ok(slotsFromBytes(bytes))
}

/** Writes slots as a `.insns` file. */
export function writeK2Insns(slots: readonly Insn[]): Uint8Array {
  return bytesFromSlots(slots)
}

/** Reads `key = int` pairs from the text after `{`, tolerating a missing `}` and trailing commas. */
function parseFields(body: string): Map<string, string> {
  const fields = new Map<string, string>()
  for (const part of body.replace(/}\s*$/, '').split(',')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim())
  }
  return fields
}

function parseInt0(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  if (!/^[-+]?(0x[0-9a-f]+|\d+)$/i.test(text)) return undefined
  const neg = text.startsWith('-')
  const n = Number(text.replace(/^[-+]/, ''))
  return Number.isSafeInteger(n) ? (neg ? -n : n) : undefined
}

/**
 * Parses a `.maps` file: `name { type = T, key_size = K, value_size = V, max_entries = N, fd = F }`,
 * plus `inner_map_idx = I` on a map-in-map naming the line of its inner map template.
 */
export function parseK2Maps(text: string, file?: string): Result<K2Map[]> {
  const out: K2Map[] = []
  const lineOf: number[] = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '') continue
    const where = { line: i + 1, ...(file !== undefined ? { file } : {}) }
    const brace = line.indexOf('{')
    if (brace < 0)
      return fail({ code: 'K2_BAD_MAPS', message: `expected "name { ... }"`, ...where })
    const f = parseFields(line.slice(brace + 1))
    const num = (key: string): number | undefined => parseInt0(f.get(key))
    const type = num('type')
    const keySize = num('key_size')
    const valueSize = num('value_size')
    const maxEntries = num('max_entries')
    if (
      type === undefined ||
      keySize === undefined ||
      valueSize === undefined ||
      maxEntries === undefined
    )
      return fail({
        code: 'K2_BAD_MAPS',
        message: 'missing or bad type/key_size/value_size/max_entries',
        ...where
      })
    const fd = num('fd') ?? out.length
    const inner = num('inner_map_idx')
    if (f.has('inner_map_idx') && (inner === undefined || !MAP_IN_MAP.has(type)))
      return fail({
        code: 'K2_BAD_MAPS',
        message: 'inner_map_idx is an index and only for map-in-map types (12, 13)',
        ...where
      })
    out.push({
      name: line.slice(0, brace).trim(),
      type,
      keySize,
      valueSize,
      maxEntries,
      fd,
      ...(inner !== undefined ? { innerMapIndex: inner } : {})
    })
    lineOf.push(i + 1)
  }
  for (const [k, m] of out.entries()) {
    const inner = m.innerMapIndex
    if (inner !== undefined && (inner < 0 || inner >= out.length || inner === k))
      return fail({
        code: 'K2_BAD_MAPS',
        message: `inner_map_idx ${inner} names no other map (maps 0..${out.length - 1})`,
        line: lineOf[k]!,
        ...(file !== undefined ? { file } : {})
      })
  }
  return ok(out)
}

/** Writes a `.maps` file in the K2 extractor's layout (one line per map, newline-terminated). */
export function writeK2Maps(maps: readonly K2Map[]): string {
  return maps
    .map(
      (m) =>
        `${m.name} { type = ${m.type}, key_size = ${m.keySize}, value_size = ${m.valueSize}, ` +
        `max_entries = ${m.maxEntries}, fd = ${m.fd}` +
        (m.innerMapIndex !== undefined ? `, inner_map_idx = ${m.innerMapIndex}` : '') +
        ' }\n'
    )
    .join('')
}

/** Parses a `.desc` file: `{ pgm_input_type = N, }` then `{ max_pkt_sz = N, }` (keys also accepted in any order). */
export function parseK2Desc(text: string, file?: string): Result<K2Desc> {
  const fields = new Map<string, string>()
  for (const line of text.split(/\r?\n/)) {
    const brace = line.indexOf('{')
    if (brace >= 0) for (const [k, v] of parseFields(line.slice(brace + 1))) fields.set(k, v)
  }
  const pgmInputType = parseInt0(fields.get('pgm_input_type'))
  const maxPktSz = parseInt0(fields.get('max_pkt_sz'))
  if (pgmInputType === undefined || maxPktSz === undefined)
    return fail({
      code: 'K2_BAD_DESC',
      message: 'expected "{ pgm_input_type = N, }" and "{ max_pkt_sz = N, }"',
      ...(file !== undefined ? { file } : {})
    })
  return ok({ pgmInputType, maxPktSz })
}

/** Writes a `.desc` file (two lines, newline-terminated). */
export function writeK2Desc(desc: K2Desc): string {
  return `{ pgm_input_type = ${desc.pgmInputType}, }\n{ max_pkt_sz = ${desc.maxPktSz}, }\n`
}

/** Parses a whole triple from its three file contents. */
export function parseK2Program(
  insns: Uint8Array,
  maps: string,
  desc: string,
  file?: string
): Result<K2Program> {
  const s = parseK2Insns(insns, file)
  if (!s.ok) return s
  const m = parseK2Maps(maps, file)
  if (!m.ok) return m
  const d = parseK2Desc(desc, file)
  if (!d.ok) return d
  return ok({ slots: s.value, maps: m.value, desc: d.value })
}

/**
 * Rewrites ld_imm64 map references (src = 1) from K2's `fd =` values to map indices (the
 * position of the fd in `fds`), as the kernel oracle and the interpreter's index form expect.
 */
export function k2MapFdsToIndices(slots: readonly Insn[], fds: readonly number[]): Insn[] {
  const out = slots.map((s) => ({ ...s }))
  for (let i = 0; i < out.length; i++) {
    const s = out[i]!
    if (s.code !== 0x18) continue
    const index = fds.indexOf(s.imm)
    if (s.src === 1 && index >= 0) s.imm = index
    i++
  }
  return out
}
