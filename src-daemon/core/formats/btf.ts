/** @fileoverview Parses the .BTF section (header, type records, string table) far enough to read map definitions. */

import type { Diagnostic, Result } from '../util/result'
import { fail, ok } from '../util/result'
import { LeReader, readCString } from './bytes'

/** BTF magic number. */
export const BTF_MAGIC = 0xeb9f

/** BTF kinds. */
export const BTF_KIND = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19
} as const

/** A struct/union member, func-proto parameter or datasec entry, reduced to what we need. */
export interface BtfMember {
  /** Member name ('' when anonymous). */
  readonly name: string
  /** Referenced type id. */
  readonly type: number
  /** Struct member bit offset, or datasec byte offset. */
  readonly offset: number
  /** Datasec entry size in bytes (0 for struct members). */
  readonly size: number
  /** Bitfield size in bits of a struct/union member (0 when not a bitfield). */
  readonly bitfieldSize?: number
}

/** An enumerator of an ENUM or ENUM64 type. */
export interface BtfEnumValue {
  /** Its name. */
  readonly name: string
  /** Its value as a 64-bit pattern (a 32-bit ENUM value sign-extended, as loaders read it). */
  readonly value: bigint
}

/** One BTF type record. */
export interface BtfType {
  /** Type id (1-based; id 0 is void). */
  readonly id: number
  /** BTF_KIND_* value. */
  readonly kind: number
  /** Name ('' when anonymous). */
  readonly name: string
  /** Byte size for INT/STRUCT/UNION/ENUM/DATASEC/FLOAT; referenced type for PTR/TYPEDEF/VAR/.... */
  readonly sizeOrType: number
  /** Members (STRUCT/UNION), params (FUNC_PROTO), or entries (DATASEC). */
  readonly members: readonly BtfMember[]
  /** ARRAY: element type, index type and element count. */
  readonly array?: { readonly type: number; readonly indexType: number; readonly nelems: number }
  /** The kind flag (bitfield members; signed enums; global linkage of a FUNC is in vlen). */
  readonly kflag?: boolean
  /** INT: encoding bits (1 signed, 2 char, 4 bool), bit offset and bit count. */
  readonly int?: { readonly encoding: number; readonly offset: number; readonly bits: number }
  /** ENUM and ENUM64: the enumerators. */
  readonly values?: readonly BtfEnumValue[]
}

/** A parsed BTF blob. */
export interface Btf {
  /** Types by id; index 0 is a placeholder for void. */
  readonly types: readonly BtfType[]
  /** Reads the string at `offset` in the BTF string table (undefined when out of range). */
  readonly stringAt: (offset: number) => string | undefined
}

const VOID: BtfType = { id: 0, kind: 0, name: '', sizeOrType: 0, members: [] }

function bad(code: string, message: string, section: string): { ok: false; error: Diagnostic } {
  return fail({ code, message, section })
}

/** Parses a .BTF section. Never throws on malformed input. */
export function parseBtf(bytes: Uint8Array): Result<Btf> {
  const r = new LeReader(bytes)
  if (!r.has(0, 24)) return bad('BTF_TRUNCATED', 'BTF header is truncated', '.BTF')
  if (r.u16(0) !== BTF_MAGIC) return bad('BTF_BAD_MAGIC', 'bad BTF magic', '.BTF')
  const hdrLen = r.u32(4)
  const typeOff = r.u32(8)
  const typeLen = r.u32(12)
  const strOff = r.u32(16)
  const strLen = r.u32(20)
  const typesStart = hdrLen + typeOff
  const strStart = hdrLen + strOff
  if (hdrLen < 24 || !r.has(typesStart, typeLen) || !r.has(strStart, strLen))
    return bad('BTF_TRUNCATED', 'BTF type or string area lies outside the section', '.BTF')
  const stringAt = (off: number): string | undefined =>
    off >= strLen ? undefined : readCString(bytes, strStart + off, strStart + strLen)
  const types: BtfType[] = [VOID]
  let p = typesStart
  const end = typesStart + typeLen
  while (p < end) {
    if (p + 12 > end) return bad('BTF_TRUNCATED', `type ${types.length} is truncated`, '.BTF')
    const name = stringAt(r.u32(p)) ?? ''
    const info = r.u32(p + 4)
    const sizeOrType = r.u32(p + 8)
    const vlen = info & 0xffff
    const kind = (info >>> 24) & 0x1f
    p += 12
    const extra = extraSize(kind, vlen)
    if (extra < 0)
      return bad('BTF_BAD_KIND', `type ${types.length} has unknown kind ${kind}`, '.BTF')
    if (p + extra > end) return bad('BTF_TRUNCATED', `type ${types.length} is truncated`, '.BTF')
    const kflag = info >>> 31 === 1
    const members: BtfMember[] = []
    let array: BtfType['array']
    let extras: Pick<BtfType, 'int' | 'values'> = {}
    if (kind === BTF_KIND.STRUCT || kind === BTF_KIND.UNION) {
      for (let i = 0; i < vlen; i++) {
        const m = p + i * 12
        const raw = r.u32(m + 8)
        members.push({
          name: stringAt(r.u32(m)) ?? '',
          type: r.u32(m + 4),
          offset: kflag ? raw & 0xffffff : raw,
          size: 0,
          ...(kflag && raw >>> 24 !== 0 ? { bitfieldSize: raw >>> 24 } : {})
        })
      }
    } else if (kind === BTF_KIND.INT) {
      const v = r.u32(p)
      extras = { int: { encoding: (v >>> 24) & 0x0f, offset: (v >>> 16) & 0xff, bits: v & 0xff } }
    } else if (kind === BTF_KIND.ENUM || kind === BTF_KIND.ENUM64) {
      const step = kind === BTF_KIND.ENUM ? 8 : 12
      const values: BtfEnumValue[] = []
      for (let i = 0; i < vlen; i++) {
        const m = p + i * step
        const lo = r.u32(m + 4)
        const value =
          kind === BTF_KIND.ENUM
            ? BigInt.asUintN(64, BigInt(r.i32(m + 4)))
            : (BigInt(r.u32(m + 8)) << 32n) | BigInt(lo)
        values.push({ name: stringAt(r.u32(m)) ?? '', value })
      }
      extras = { values }
    } else if (kind === BTF_KIND.FUNC_PROTO) {
      for (let i = 0; i < vlen; i++) {
        const m = p + i * 8
        members.push({ name: stringAt(r.u32(m)) ?? '', type: r.u32(m + 4), offset: 0, size: 0 })
      }
    } else if (kind === BTF_KIND.DATASEC) {
      for (let i = 0; i < vlen; i++) {
        const m = p + i * 12
        members.push({ name: '', type: r.u32(m), offset: r.u32(m + 4), size: r.u32(m + 8) })
      }
    } else if (kind === BTF_KIND.ARRAY) {
      array = { type: r.u32(p), indexType: r.u32(p + 4), nelems: r.u32(p + 8) }
    }
    p += extra
    const t: BtfType = {
      id: types.length,
      kind,
      name,
      sizeOrType,
      members,
      ...(array ? { array } : {}),
      ...(kflag ? { kflag } : {}),
      ...extras
    }
    types.push(t)
  }
  return ok({ types, stringAt })
}

/** Bytes that follow the 12-byte common header for a kind, or -1 for an unknown kind. */
function extraSize(kind: number, vlen: number): number {
  switch (kind) {
    case BTF_KIND.INT:
    case BTF_KIND.VAR:
    case BTF_KIND.DECL_TAG:
      return 4
    case BTF_KIND.ARRAY:
      return 12
    case BTF_KIND.STRUCT:
    case BTF_KIND.UNION:
    case BTF_KIND.DATASEC:
    case BTF_KIND.ENUM64:
      return 12 * vlen
    case BTF_KIND.ENUM:
    case BTF_KIND.FUNC_PROTO:
      return 8 * vlen
    case BTF_KIND.PTR:
    case BTF_KIND.FWD:
    case BTF_KIND.TYPEDEF:
    case BTF_KIND.VOLATILE:
    case BTF_KIND.CONST:
    case BTF_KIND.RESTRICT:
    case BTF_KIND.FUNC:
    case BTF_KIND.FLOAT:
    case BTF_KIND.TYPE_TAG:
      return 0
    default:
      return -1
  }
}

/** Follows typedef/const/volatile/restrict/type-tag links; undefined on a bad id or a cycle. */
export function skipModifiers(btf: Btf, id: number): BtfType | undefined {
  let t = btf.types[id]
  for (let depth = 0; t !== undefined && depth < 64; depth++) {
    switch (t.kind) {
      case BTF_KIND.TYPEDEF:
      case BTF_KIND.VOLATILE:
      case BTF_KIND.CONST:
      case BTF_KIND.RESTRICT:
      case BTF_KIND.TYPE_TAG:
        t = btf.types[t.sizeOrType]
        break
      default:
        return t
    }
  }
  return undefined
}

/** Byte size of a type, or undefined when it has none (void, func, fwd) or is malformed. */
export function typeSize(btf: Btf, id: number, depth = 0): number | undefined {
  if (depth > 32) return undefined
  const t = skipModifiers(btf, id)
  if (t === undefined) return undefined
  switch (t.kind) {
    case BTF_KIND.INT:
    case BTF_KIND.STRUCT:
    case BTF_KIND.UNION:
    case BTF_KIND.ENUM:
    case BTF_KIND.ENUM64:
    case BTF_KIND.FLOAT:
    case BTF_KIND.DATASEC:
      return t.sizeOrType
    case BTF_KIND.PTR:
      return 8
    case BTF_KIND.ARRAY: {
      if (!t.array) return undefined
      const elem = typeSize(btf, t.array.type, depth + 1)
      return elem === undefined ? undefined : elem * t.array.nelems
    }
    default:
      return undefined
  }
}
