/**
 * @fileoverview CO-RE relocations (`.BTF.ext` core records) resolved against a target kernel's BTF
 * the way libbpf resolves them at load: the local access spec is parsed, candidate target types
 * are those of the same kind and essential name (flavour suffix `___…` ignored), every matching
 * candidate must give the same value, and the instruction is patched after checking that it still
 * holds the compiled value. Only what libbpf computes is computed; anything else is an error.
 */

import type { Insn } from '../isa/insn'
import type { Result } from '../util/result'
import { fail, ok } from '../util/result'
import type { Btf, BtfType } from './btf'
import { BTF_KIND, skipModifiers, typeSize } from './btf'

/** CO-RE relocation kinds (`enum bpf_core_relo_kind`). */
export const CORE_KIND = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12
} as const

/** One CO-RE record: which instruction, the local root type, the access string, the kind. */
export interface CoreRecord {
  /** Instruction byte offset within its section. */
  readonly insnOff: number
  /** Local BTF id of the root type. */
  readonly typeId: number
  /** Access string, e.g. `0:1:2`. */
  readonly access: string
  /** {@link CORE_KIND} value. */
  readonly kind: number
}

/** What libbpf would do with one record on the target. */
export interface CoreResolution {
  /** Value the compiled instruction must hold (checked when `validate`). */
  readonly orig: bigint
  /** Value patched in. */
  readonly value: bigint
  /** Whether the compiled value is checked before patching. */
  readonly validate: boolean
  /** The instruction is made an invalid call (no target field, or a bad size change). */
  readonly poison: boolean
  /** Load/store size in bytes before and after (field byte offsets only; 0 when unknown). */
  readonly origSize: number
  readonly newSize: number
  /** The load/store size may not be adjusted (a signed or mismatched field). */
  readonly failSizeAdjust: boolean
}

/** A target BTF (the kernel's) with its candidate index, built once. */
export interface CoreTarget {
  readonly btf: Btf
  /** Type ids by `${kind}:${essential name}` (ENUM64 filed under ENUM). */
  readonly byName: ReadonlyMap<string, readonly number[]>
  /**
   * Why a type missing here may still exist on the target (libbpf then searches kernel module
   * BTF, which this target lacks): resolving such a record is refused with this reason.
   */
  readonly incomplete?: string
}

type Err = { readonly ok: false; readonly error: { code: string; message: string } }
const bad = (message: string): Err => fail({ code: 'CORE_UNRESOLVED', message })

const isComposite = (t: BtfType | undefined): boolean =>
  t?.kind === BTF_KIND.STRUCT || t?.kind === BTF_KIND.UNION
const isEnum = (t: BtfType | undefined): boolean =>
  t?.kind === BTF_KIND.ENUM || t?.kind === BTF_KIND.ENUM64
const kindKey = (kind: number): number => (kind === BTF_KIND.ENUM64 ? BTF_KIND.ENUM : kind)

/** A name without its flavour suffix: `task_struct___v2` → `task_struct`. */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--)
    if (name[i] !== '_' && name.startsWith('___', i + 1) && name[i + 4] !== '_')
      return name.slice(0, i + 1)
  return name
}

/** Indexes a target BTF for candidate search (`incomplete`: see {@link CoreTarget}). */
export function coreTarget(btf: Btf, incomplete?: string): CoreTarget {
  const byName = new Map<string, number[]>()
  for (const t of btf.types) {
    if (t.id === 0 || t.name === '') continue
    const key = `${kindKey(t.kind)}:${essentialName(t.name)}`
    const list = byName.get(key)
    if (list === undefined) byName.set(key, [t.id])
    else list.push(t.id)
  }
  return incomplete === undefined ? { btf, byName } : { btf, byName, incomplete }
}

/** One step of an access spec: a type, an index in it and, for a named member, its name. */
interface Accessor {
  readonly typeId: number
  readonly idx: number
  readonly name?: string
}

/** A parsed access spec (high-level accessors) with its bit offset. */
interface Spec {
  readonly btf: Btf
  readonly root: number
  readonly access: Accessor[]
  bitOffset: number
}

const fieldBased = (k: number): boolean => k <= CORE_KIND.FIELD_RSHIFT_U64
const typeBased = (k: number): boolean =>
  k === CORE_KIND.TYPE_ID_LOCAL ||
  k === CORE_KIND.TYPE_ID_TARGET ||
  k === CORE_KIND.TYPE_EXISTS ||
  k === CORE_KIND.TYPE_MATCHES ||
  k === CORE_KIND.TYPE_SIZE
const enumBased = (k: number): boolean =>
  k === CORE_KIND.ENUMVAL_EXISTS || k === CORE_KIND.ENUMVAL_VALUE

/** Type id after typedefs and modifiers, or undefined. */
function skipId(btf: Btf, id: number): number | undefined {
  return skipModifiers(btf, id)?.id
}

/** A flexible array: the last member of a struct, with no elements. */
function isFlexArray(btf: Btf, parent: Accessor | undefined, nelems: number): boolean {
  if (parent?.name === undefined || nelems > 0) return false
  return parent.idx === (btf.types[parent.typeId]?.members.length ?? 0) - 1
}

/** Parses the access string of `rec` over the local BTF (libbpf's bpf_core_parse_spec). */
function parseSpec(btf: Btf, rec: CoreRecord): Result<Spec, { code: string; message: string }> {
  const spec: Spec = { btf, root: rec.typeId, access: [], bitOffset: 0 }
  if (typeBased(rec.kind)) return rec.access === '0' ? ok(spec) : bad(`access ${rec.access}`)
  if (!/^\d+(:\d+)*$/.test(rec.access)) return bad(`access string '${rec.access}'`)
  const raw = rec.access.split(':').map(Number)
  let id = skipId(btf, rec.typeId)
  if (id === undefined) return bad(`local type ${rec.typeId}`)
  const first = raw[0]!
  if (enumBased(rec.kind)) {
    const t = btf.types[id]
    const v = t?.values?.[first]
    if (!isEnum(t) || raw.length > 1 || v === undefined) return bad('enumerator access')
    spec.access.push({ typeId: id, idx: first, name: v.name })
    return ok(spec)
  }
  if (!fieldBased(rec.kind)) return bad(`kind ${rec.kind}`)
  spec.access.push({ typeId: id, idx: first })
  const size = typeSize(btf, id)
  if (size === undefined) return bad(`size of local type ${id}`)
  spec.bitOffset = first * size * 8
  for (let i = 1; i < raw.length; i++) {
    const t = skipModifiers(btf, id)
    const idx = raw[i]!
    if (t === undefined) return bad(`local type ${id}`)
    id = t.id
    if (isComposite(t)) {
      const m = t.members[idx]
      if (m === undefined) return bad(`member ${idx} of ${t.name}`)
      spec.bitOffset += m.offset
      if (m.name !== '') spec.access.push({ typeId: id, idx, name: m.name })
      id = m.type
    } else if (t.kind === BTF_KIND.ARRAY && t.array) {
      const elem = skipId(btf, t.array.type)
      if (elem === undefined) return bad('array element type')
      if (!isFlexArray(btf, spec.access.at(-1), t.array.nelems) && idx >= t.array.nelems)
        return bad(`index ${idx} past ${t.array.nelems}`)
      spec.access.push({ typeId: elem, idx })
      const esz = typeSize(btf, elem)
      if (esz === undefined) return bad('array element size')
      spec.bitOffset += idx * esz * 8
      id = elem
    } else return bad(`access through kind ${t.kind}`)
  }
  return ok(spec)
}

/** Field compatibility for access relocation (libbpf's bpf_core_fields_are_compat). */
function fieldsCompat(lb: Btf, lid: number, tb: Btf, tid: number, depth = 0): boolean {
  if (depth > 32) return false
  const l = skipModifiers(lb, lid)
  const t = skipModifiers(tb, tid)
  if (l === undefined || t === undefined) return false
  if (isComposite(l) && isComposite(t)) return true
  if (kindKey(l.kind) !== kindKey(t.kind)) return false
  switch (l.kind) {
    case BTF_KIND.PTR:
    case BTF_KIND.FLOAT:
      return true
    case BTF_KIND.FWD:
    case BTF_KIND.ENUM:
    case BTF_KIND.ENUM64: {
      const a = essentialName(l.name)
      const b = essentialName(t.name)
      return a === '' || b === '' || a === b
    }
    case BTF_KIND.INT:
      return l.int?.offset === 0 && t.int?.offset === 0
    case BTF_KIND.ARRAY:
      return l.array !== undefined && t.array !== undefined
        ? fieldsCompat(lb, l.array.type, tb, t.array.type, depth + 1)
        : false
    default:
      return false
  }
}

/** Type compatibility for type-based relocations (libbpf's bpf_core_types_are_compat). */
function typesCompat(lb: Btf, lid: number, tb: Btf, tid: number, level = 2, depth = 0): boolean {
  if (depth > 32) return false
  const l = skipModifiers(lb, lid)
  const t = skipModifiers(tb, tid)
  if (l === undefined || t === undefined || kindKey(l.kind) !== kindKey(t.kind)) return false
  switch (l.kind) {
    case BTF_KIND.UNKN:
    case BTF_KIND.STRUCT:
    case BTF_KIND.UNION:
    case BTF_KIND.ENUM:
    case BTF_KIND.FWD:
    case BTF_KIND.ENUM64:
      return true
    case BTF_KIND.INT:
      return l.int?.offset === 0 && t.int?.offset === 0
    case BTF_KIND.PTR:
      return typesCompat(lb, l.sizeOrType, tb, t.sizeOrType, level, depth + 1)
    case BTF_KIND.ARRAY:
      return l.array !== undefined && t.array !== undefined
        ? typesCompat(lb, l.array.type, tb, t.array.type, level, depth + 1)
        : false
    case BTF_KIND.FUNC_PROTO: {
      if (l.members.length !== t.members.length || level <= 0) return false
      for (let i = 0; i < l.members.length; i++)
        if (!typesCompat(lb, l.members[i]!.type, tb, t.members[i]!.type, level - 1, depth + 1))
          return false
      return typesCompat(lb, l.sizeOrType, tb, t.sizeOrType, level, depth + 1)
    }
    default:
      return false
  }
}

/** Finds the target member named like local accessor `acc` (through anonymous members). */
function matchMember(
  spec: Spec,
  lb: Btf,
  acc: Accessor,
  tb: Btf,
  tid: number,
  depth = 0
): { found: boolean; next: number } | undefined {
  const t = skipModifiers(tb, tid)
  if (t === undefined || depth > 32) return undefined
  if (!isComposite(t)) return { found: false, next: 0 }
  const local = lb.types[acc.typeId]!.members[acc.idx]!
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i]!
    spec.bitOffset += m.offset
    if (m.name === '') {
      const r = matchMember(spec, lb, acc, tb, m.type, depth + 1)
      if (r === undefined || r.found) return r
    } else if (m.name === local.name) {
      spec.access.push({ typeId: t.id, idx: i, name: m.name })
      if (fieldsCompat(lb, local.type, tb, m.type)) return { found: true, next: m.type }
      spec.access.pop()
      return { found: false, next: 0 }
    }
    spec.bitOffset -= m.offset
  }
  return { found: false, next: 0 }
}

/** Matches a local spec against target type `tid` (libbpf's bpf_core_spec_match). */
function specMatch(
  local: Spec,
  kind: number,
  tb: Btf,
  tid: number
): Result<Spec | undefined, { code: string; message: string }> {
  const spec: Spec = { btf: tb, root: tid, access: [], bitOffset: 0 }
  if (typeBased(kind)) {
    if (kind === CORE_KIND.TYPE_MATCHES) return bad('type_matches relocations are not supported')
    return ok(typesCompat(local.btf, local.root, tb, tid) ? spec : undefined)
  }
  if (enumBased(kind)) {
    const t = skipModifiers(tb, tid)
    if (!isEnum(t)) return ok(undefined)
    const want = essentialName(local.access[0]!.name ?? '')
    const idx = t!.values!.findIndex((v) => essentialName(v.name) === want)
    if (idx < 0) return ok(undefined)
    spec.access.push({ typeId: t!.id, idx, name: t!.values![idx]!.name })
    return ok(spec)
  }
  let id = tid
  for (let i = 0; i < local.access.length; i++) {
    const acc = local.access[i]!
    const t = skipModifiers(tb, id)
    if (t === undefined) return bad(`target type ${id}`)
    id = t.id
    if (acc.name !== undefined) {
      const r = matchMember(spec, local.btf, acc, tb, id)
      if (r === undefined) return bad('target member search')
      if (!r.found) return ok(undefined)
      id = r.next
      continue
    }
    if (i > 0) {
      if (t.kind !== BTF_KIND.ARRAY || t.array === undefined) return ok(undefined)
      if (!isFlexArray(tb, spec.access.at(-1), t.array.nelems) && acc.idx >= t.array.nelems)
        return ok(undefined)
      const elem = skipId(tb, t.array.type)
      if (elem === undefined) return bad('target array element')
      id = elem
    }
    spec.access.push({ typeId: id, idx: acc.idx })
    const size = typeSize(tb, id)
    if (size === undefined) return bad(`size of target type ${id}`)
    spec.bitOffset += acc.idx * size * 8
  }
  return ok(spec)
}

interface FieldValue {
  readonly val: bigint
  readonly size: number
  readonly typeId: number
  readonly validate: boolean
}

/** libbpf's bpf_core_calc_field_relo; undefined asks for poisoning. */
function calcField(
  kind: number,
  spec: Spec | undefined
): Result<FieldValue | undefined, Err['error']> {
  if (kind === CORE_KIND.FIELD_EXISTS)
    return ok({ val: spec ? 1n : 0n, size: 0, typeId: 0, validate: true })
  if (spec === undefined) return ok(undefined)
  const btf = spec.btf
  const acc = spec.access.at(-1)!
  if (acc.name === undefined) {
    const size = typeSize(btf, acc.typeId)
    if (size === undefined) return bad('array element size')
    if (kind === CORE_KIND.FIELD_BYTE_OFFSET)
      return ok({ val: BigInt(spec.bitOffset / 8), size, typeId: acc.typeId, validate: true })
    if (kind === CORE_KIND.FIELD_BYTE_SIZE)
      return ok({ val: BigInt(size), size: 0, typeId: 0, validate: true })
    return bad(`kind ${kind} on an array element`)
  }
  const m = btf.types[acc.typeId]!.members[acc.idx]!
  const mt = skipModifiers(btf, m.type)
  if (mt === undefined) return bad('member type')
  const bitOff = spec.bitOffset
  let bitSize = m.bitfieldSize ?? 0
  const bitfield = bitSize > 0
  let byteSize: number
  let byteOff: number
  if (bitfield) {
    byteSize = mt.sizeOrType
    byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize
    while (bitOff + bitSize - byteOff * 8 > byteSize * 8) {
      if (byteSize >= 8) return bad('bitfield wider than a 64-bit load')
      byteSize *= 2
      byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize
    }
  } else {
    const sz = typeSize(btf, mt.id)
    if (sz === undefined) return bad('field size')
    byteSize = sz
    byteOff = bitOff / 8
    bitSize = byteSize * 8
  }
  const base = { size: 0, typeId: 0, validate: !bitfield }
  switch (kind) {
    case CORE_KIND.FIELD_BYTE_OFFSET:
      return ok({
        val: BigInt(byteOff),
        size: bitfield ? 0 : byteSize,
        typeId: bitfield ? 0 : mt.id,
        validate: !bitfield
      })
    case CORE_KIND.FIELD_BYTE_SIZE:
      return ok({ ...base, val: BigInt(byteSize) })
    case CORE_KIND.FIELD_SIGNED: {
      const signed =
        (isEnum(mt) && mt.kflag === true) ||
        (mt.kind === BTF_KIND.INT && ((mt.int?.encoding ?? 0) & 1) !== 0)
      return ok({ ...base, val: signed ? 1n : 0n, validate: true })
    }
    case CORE_KIND.FIELD_LSHIFT_U64:
      return ok({ ...base, val: BigInt(64 - (bitOff + bitSize - byteOff * 8)) })
    case CORE_KIND.FIELD_RSHIFT_U64:
      return ok({ ...base, val: BigInt(64 - bitSize), validate: true })
    default:
      return bad(`kind ${kind}`)
  }
}

/** Original and new values of one record for one target spec (libbpf's bpf_core_calc_relo). */
function calcRelo(
  kind: number,
  local: Spec,
  target: Spec | undefined
): Result<CoreResolution, Err['error']> {
  const none = { origSize: 0, newSize: 0, failSizeAdjust: false }
  if (fieldBased(kind)) {
    const o = calcField(kind, local)
    if (!o.ok) return o
    const n = calcField(kind, target)
    if (!n.ok) return n
    if (o.value === undefined) return bad('local field')
    if (n.value === undefined)
      return ok({ ...none, orig: o.value.val, value: 0n, validate: o.value.validate, poison: true })
    let failSizeAdjust = false
    if (o.value.size !== n.value.size) {
      const ot = local.btf.types[o.value.typeId]
      const nt = target!.btf.types[n.value.typeId]
      const unsignedInt = (t: BtfType | undefined): boolean =>
        t?.kind === BTF_KIND.INT && ((t.int?.encoding ?? 0) & 1) === 0
      const bothPtr = ot?.kind === BTF_KIND.PTR && nt?.kind === BTF_KIND.PTR
      failSizeAdjust = !bothPtr && !(unsignedInt(ot) && unsignedInt(nt))
    }
    return ok({
      orig: o.value.val,
      value: n.value.val,
      validate: o.value.validate,
      poison: false,
      origSize: o.value.size,
      newSize: n.value.size,
      failSizeAdjust
    })
  }
  if (typeBased(kind)) {
    const size = (s: Spec): Result<bigint, Err['error']> => {
      const sz = typeSize(s.btf, s.root)
      return sz === undefined ? bad('type size') : ok(BigInt(sz))
    }
    const val = (s: Spec | undefined): Result<bigint, Err['error']> => {
      if (s === undefined) return ok(0n)
      if (kind === CORE_KIND.TYPE_ID_TARGET) return ok(BigInt(s.root))
      if (kind === CORE_KIND.TYPE_SIZE) return size(s)
      return ok(1n)
    }
    const o = val(local)
    const n = val(target)
    if (!o.ok) return o
    if (!n.ok) return n
    const validate = kind !== CORE_KIND.TYPE_ID_TARGET
    return ok({ ...none, orig: o.value, value: n.value, validate, poison: false })
  }
  const enumVal = (s: Spec): bigint =>
    s.btf.types[s.access[0]!.typeId]!.values![s.access[0]!.idx]!.value
  if (kind === CORE_KIND.ENUMVAL_EXISTS)
    return ok({ ...none, orig: 1n, value: target ? 1n : 0n, validate: true, poison: false })
  if (target === undefined)
    return ok({ ...none, orig: enumVal(local), value: 0n, validate: true, poison: true })
  return ok({
    ...none,
    orig: enumVal(local),
    value: enumVal(target),
    validate: true,
    poison: false
  })
}

/** Resolves one record of local BTF `local` on `target` (libbpf's bpf_core_calc_relo_insn). */
export function resolveCoreRecord(
  local: Btf,
  rec: CoreRecord,
  target: CoreTarget
): Result<CoreResolution, { code: string; message: string }> {
  const localSpec = parseSpec(local, rec)
  if (!localSpec.ok) return localSpec
  const spec = localSpec.value
  if (rec.kind === CORE_KIND.TYPE_ID_LOCAL) {
    const id = BigInt(rec.typeId)
    return ok({
      orig: id,
      value: id,
      validate: false,
      poison: false,
      origSize: 0,
      newSize: 0,
      failSizeAdjust: false
    })
  }
  const root = local.types[rec.typeId]
  if (root === undefined || root.name === '') return bad('anonymous local root type')
  const cands = target.byName.get(`${kindKey(root.kind)}:${essentialName(root.name)}`) ?? []
  let chosen: { res: CoreResolution; spec: Spec } | undefined
  for (const id of cands) {
    const t = target.btf.types[id]!
    if (t.kind !== root.kind && !(isEnum(t) && isEnum(root))) continue
    const m = specMatch(spec, rec.kind, target.btf, id)
    if (!m.ok) return m
    if (m.value === undefined) continue
    const r = calcRelo(rec.kind, spec, m.value)
    if (!r.ok) return r
    if (chosen === undefined) chosen = { res: r.value, spec: m.value }
    else if (chosen.spec.bitOffset !== m.value.bitOffset)
      return bad(`field offset ambiguity between target types ${chosen.spec.root} and ${id}`)
    else if (chosen.res.poison !== r.value.poison || chosen.res.value !== r.value.value)
      return bad(`relocation ambiguity between target types ${chosen.spec.root} and ${id}`)
  }
  if (chosen !== undefined) return ok(chosen.res)
  if (target.incomplete !== undefined) return bad(target.incomplete)
  return calcRelo(rec.kind, spec, undefined)
}

const SIZE_CODE: Readonly<Record<number, number>> = { 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 }

/** The helper number libbpf calls in place of an instruction it cannot relocate ("bad relo"). */
export const CORE_POISON_HELPER = 0xbad2310

/**
 * Replaces the instruction at `i` (both halves of a ld_imm64) by a call of a helper that does not
 * exist, as libbpf does when a relocation has no target: the verifier accepts it only where no
 * path reaches it.
 */
function poison(slots: Insn[], i: number): Result<void, { code: string; message: string }> {
  const call = { code: 0x85, dst: 0, src: 0, off: 0, imm: CORE_POISON_HELPER }
  if (slots[i]!.code === 0x18 && slots[i + 1] !== undefined) slots[i + 1] = { ...call }
  slots[i] = { ...call }
  return ok(undefined)
}

/**
 * Patches the instruction at `slots[i]` (both halves of a ld_imm64) as libbpf does for `res`:
 * ALU immediates, load/store offsets (and sizes), 64-bit immediates. Fails where libbpf fails
 * (the compiled value is not the expected one, an unsupported instruction); where libbpf poisons
 * the instruction, so does this.
 */
export function patchCoreInsn(
  slots: Insn[],
  i: number,
  res: CoreResolution
): Result<void, { code: string; message: string }> {
  const ins = slots[i]
  if (ins === undefined) return bad(`no instruction ${i}`)
  if (res.poison) return poison(slots, i)
  const cls = ins.code & 0x07
  if (cls === 0x04 || cls === 0x07) {
    if ((ins.code & 0x08) !== 0) return bad('CO-RE relocation on a register ALU instruction')
    if (res.validate && BigInt.asUintN(64, BigInt(ins.imm)) !== BigInt.asUintN(64, res.orig))
      return bad(`instruction holds ${ins.imm}, expected ${res.orig}`)
    slots[i] = { ...ins, imm: Number(BigInt.asIntN(32, res.value)) }
    return ok(undefined)
  }
  if (cls === 0x01 || cls === 0x02 || cls === 0x03) {
    if (res.validate && BigInt(ins.off) !== res.orig)
      return bad(`instruction offset ${ins.off}, expected ${res.orig}`)
    if (res.value > 32767n) return bad(`offset ${res.value} is too large`)
    if (res.failSizeAdjust) return poison(slots, i)
    let code = ins.code
    if (res.newSize !== res.origSize) {
      const have = [1, 2, 4, 8].find((s) => SIZE_CODE[s] === (ins.code & 0x18))
      if (have !== res.origSize) return bad(`access size ${have}, expected ${res.origSize}`)
      const to = SIZE_CODE[res.newSize]
      if (to === undefined) return bad(`access size ${res.newSize}`)
      code = (ins.code & ~0x18) | to
    }
    slots[i] = { ...ins, code, off: Number(res.value) }
    return ok(undefined)
  }
  const hi = slots[i + 1]
  if (ins.code === 0x18 && hi !== undefined) {
    if (
      ins.src !== 0 ||
      ins.off !== 0 ||
      hi.code !== 0 ||
      hi.dst !== 0 ||
      hi.src !== 0 ||
      hi.off !== 0
    )
      return bad('ld_imm64 of an unexpected form')
    const imm = (BigInt(hi.imm >>> 0) << 32n) | BigInt(ins.imm >>> 0)
    if (res.validate && imm !== BigInt.asUintN(64, res.orig))
      return bad(`ld_imm64 holds ${imm}, expected ${res.orig}`)
    const v = BigInt.asUintN(64, res.value)
    slots[i] = { ...ins, imm: Number(BigInt.asIntN(32, v)) }
    slots[i + 1] = { ...hi, imm: Number(BigInt.asIntN(32, v >> 32n)) }
    return ok(undefined)
  }
  return bad(`CO-RE relocation on opcode 0x${ins.code.toString(16)}`)
}
