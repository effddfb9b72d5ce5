/**
 * @fileoverview The kernel's btf_struct_walk over the attach target's BTF slice: what a load of
 * `size` bytes at an offset of a struct finds (a scalar member, a pointer member, or nothing the
 * kernel lets a program read), with the kernel's messages for the refusals.
 */
import { BTF_KIND, type BtfType } from '../formats/btf'
import { isComposite, skipMods } from './btf-target'
import type { Env } from './env'
import { Reject } from './types'

/** `Reg.range` bits of a pointer typed by the kernel's BTF (`Reg.map`: its BTF type id). */
export const KBTF = {
  /** Set on every kernel-BTF pointer (helper-typed BTF pointers leave `range` zero). */
  KERNEL: 1,
  /** Derived from a trusted argument (tp_btf, LSM): pointers loaded through it may be null. */
  TRUSTED: 2,
  /** `__user` memory: not dereferenceable. */
  USER: 4,
  /** `__percpu` memory: not dereferenceable. */
  PERCPU: 8,
  /** A pointer to something other than a struct (the kernel's untrusted read-only memory). */
  MEM: 16,
  /** Loaded from a struct (the kernel may mark it untrusted: helpers do not take it here). */
  WALKED: 32
} as const

/** A type by id from the target's slice (refusing ids the slice does not hold). */
export function typeOf(env: Env, id: number): BtfType {
  const t = env.btfTypes.get(id)
  if (t === undefined)
    throw new Reject(
      'VERIFY_UNSUPPORTED',
      `kernel BTF type ${id} lies beyond the slice of the attach target's BTF the analysis was given`
    )
  return t
}

/** {@link typeOf} as a lookup function (id 0, void, is undefined). */
export function lookup(env: Env): (id: number) => BtfType | undefined {
  return (id) => (id === 0 ? undefined : typeOf(env, id))
}

/** What a walk of a struct found at an offset. */
export type Walked =
  | { readonly kind: 'scalar' }
  | {
      readonly kind: 'ptr'
      readonly id: number
      /** KBTF.USER or KBTF.PERCPU from the field's type tag. */
      readonly tag: number
      /** The field carries an `__rcu` type tag. */
      readonly rcu: boolean
      /** The field's name (the kernel's trusted-field lists match on it). */
      readonly field: string
    }
  | { readonly kind: 'mem' }

const memberReject = (m: string): Reject => new Reject('VERIFY_INVALID_MEM', m)

/** Size of a member type with arrays flattened: its element type, total size and element count. */
function resolveSize(
  env: Env,
  id: number,
  name: string
): { t: BtfType; size: number; n: number; array: boolean } {
  let t = skipMods(lookup(env), id)
  let n = 1
  let array = false
  for (let i = 0; t?.kind === BTF_KIND.ARRAY && t.array !== undefined && i < 32; i++) {
    n *= t.array.nelems
    array = true
    t = skipMods(lookup(env), t.array.type)
  }
  const elem =
    t === undefined
      ? undefined
      : t.kind === BTF_KIND.PTR
        ? 8
        : t.kind === BTF_KIND.INT ||
            isComposite(t) ||
            t.kind === BTF_KIND.ENUM ||
            t.kind === BTF_KIND.ENUM64 ||
            t.kind === BTF_KIND.FLOAT
          ? t.sizeOrType
          : undefined
  if (t === undefined || elem === undefined) throw memberReject(`field ${name} doesn't have size`)
  return { t, size: elem * n, n, array }
}

/** The kernel's btf_struct_walk (with btf_struct_access's descent into nested structs). */
export function walk(env: Env, id: number, offIn: number, size: number): Walked {
  let t = skipMods(lookup(env), id)
  let off = offIn
  let union = false
  for (let guard = 0; guard < 64; guard++) {
    const tname = t?.name ?? ''
    if (t === undefined || !isComposite(t)) throw memberReject(`Type '${tname}' is not a struct`)
    if (t.kind === BTF_KIND.UNION && t.members.length !== 1) union = true
    if (off + size > t.sizeOrType) {
      const last = t.members[t.members.length - 1]
      const arr = last === undefined ? undefined : skipMods(lookup(env), last.type)
      const moff = (last?.offset ?? 0) / 8
      const beyond = memberReject(`access beyond struct ${tname} at off ${off} size ${size}`)
      if (arr?.kind !== BTF_KIND.ARRAY || arr.array?.nelems !== 0 || off < moff) throw beyond
      const elem = skipMods(lookup(env), arr.array.type)
      if (elem?.kind === BTF_KIND.INT) return { kind: 'scalar' }
      if (elem === undefined || !isComposite(elem) || elem.sizeOrType === 0) throw beyond
      off = (off - moff) % elem.sizeOrType
      t = elem
      continue
    }
    const found = member(env, t, off, size, union)
    if ('next' in found) {
      t = found.next
      off = found.off
      continue
    }
    return found
  }
  throw new Reject('VERIFY_UNSUPPORTED', 'struct nesting deeper than the analysis walks')
}

/** One level of the walk: the member of `t` at `off` (or the nested struct to continue in). */
function member(
  env: Env,
  t: BtfType,
  off: number,
  size: number,
  untrusted: boolean
): Walked | { next: BtfType; off: number } {
  const tname = t.name
  for (const m of t.members) {
    let moff = Math.floor(m.offset / 8)
    if (off + size <= moff) break
    if (m.bitfieldSize !== undefined && m.bitfieldSize !== 0) {
      const endBit = m.offset + m.bitfieldSize
      if (off <= moff && Math.ceil(endBit / 8) <= off + size) return { kind: 'scalar' }
      continue
    }
    if (off < moff) break
    const r = resolveSize(env, m.type, m.name)
    const trueEnd = moff + r.size
    if (off >= trueEnd) continue
    let msize = r.size
    if (r.array) {
      if (moff === trueEnd) continue
      msize = r.size / r.n
      moff += Math.floor((off - moff) / msize) * msize
    }
    const mt = r.t
    if (isComposite(mt)) return { next: mt, off: off - moff }
    if (mt.kind === BTF_KIND.PTR) {
      if (msize !== size || off !== moff)
        throw memberReject(
          `cannot access ptr member ${m.name} with moff ${moff} in struct ${tname} with off ${off} size ${size}`
        )
      const first = mt.sizeOrType === 0 ? undefined : typeOf(env, mt.sizeOrType)
      const tagName = first?.kind === BTF_KIND.TYPE_TAG && first.kflag !== true ? first.name : ''
      const tag = tagName === 'user' ? KBTF.USER : tagName === 'percpu' ? KBTF.PERCPU : 0
      const st = mt.sizeOrType === 0 ? undefined : skipMods(lookup(env), mt.sizeOrType)
      if (st !== undefined && isComposite(st))
        return { kind: 'ptr', id: st.id, tag, rcu: tagName === 'rcu', field: m.name }
      return { kind: 'mem' }
    }
    if (off + size > trueEnd && !untrusted)
      throw memberReject(
        `access beyond the end of member ${m.name} (mend:${trueEnd}) in struct ${tname} with off ${off} size ${size}`
      )
    return { kind: 'scalar' }
  }
  throw memberReject(`struct ${tname} doesn't have field at offset ${off}`)
}
