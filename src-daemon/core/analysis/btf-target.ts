/**
 * @fileoverview The attach target of a BTF-typed program (fentry, fexit, fmod_ret, LSM, tp_btf)
 * as plain data: its prototype's arguments, its return value and the slice of the kernel's BTF
 * they reach, resolved from the section name as libbpf resolves it (pure: the caller reads BTF).
 */
import { BTF_KIND, type Btf, type BtfType } from '../formats/btf'
import { fail, ok, type Result } from '../util/result'

/** What one argument (or the return value) of the target is, as btf_ctx_access sorts it. */
export type BtfArg =
  /**
   * An integer, enum or struct passed by value, or (`pointer`) a pointer to int or void: a
   * scalar. The kernel loads pointers only whole (8 bytes).
   */
  | { readonly kind: 'scalar'; readonly pointer?: true }
  /**
   * A pointer to a struct or union (`id`: its kernel BTF id); `tag`: a `__user`/`__percpu` type
   * tag; `nullable`: the parameter's name ends in `__nullable` (the kernel then asks for a check).
   */
  | {
      readonly kind: 'struct'
      readonly id: number
      readonly tag?: 'user' | 'percpu'
      readonly nullable?: true
    }
  /** Anything else (void return, float, pointers the analysis does not sort): `what` says which. */
  | { readonly kind: 'other'; readonly what: string }

/** Section prefixes of BTF-typed programs and how libbpf names their target. */
export type BtfTargetKind = 'fentry' | 'fexit' | 'fmod_ret' | 'lsm' | 'tp_btf'

/** An attach target's prototype from the kernel's BTF (plain data: it crosses to workers). */
export interface BtfTarget {
  /** How the section attaches. */
  readonly kind: BtfTargetKind
  /** The function (or tracepoint) name as the kernel's messages print it. */
  readonly name: string
  /** Arguments in order (tp_btf: without the leading `void *__data`). */
  readonly args: readonly BtfArg[]
  /** The return value (fexit, fmod_ret, LSM); `other` when void. */
  readonly ret: BtfArg
  /** Whether the return type is an integer of at most 8 bytes (fmod_ret needs one). */
  readonly retSmallInt: boolean
  /** The kernel release whose BTF this is (`6.18`); the analysis refuses it for another target. */
  readonly kernel?: string
  /** The section is a sleepable variant (`fentry.s/`, `lsm.s/`, ...). */
  readonly sleepable?: true
  /** The program's license is GPL-compatible (the kernel's BTF pointer loads need one). */
  readonly gplCompatible: boolean
  /** Kernel BTF types the arguments reach (structs a few pointer hops deep). */
  readonly types: readonly BtfType[]
  /**
   * The kernel's lists of pointer fields that stay trusted when walked from a trusted pointer
   * (structs `NAME__safe_trusted`, `__safe_trusted_or_null`, `__safe_rcu`, `__safe_rcu_or_null`
   * in vmlinux BTF): `NAME__suffix` → its pointer fields as `field:pointee type id`.
   */
  readonly safeFields: Readonly<Record<string, readonly string[]>>
  /**
   * Kernel struct ids of the BTF object kinds helper prototypes name (`task` → task_struct, ...),
   * for helpers that return or take kernel-BTF pointers.
   */
  readonly helperStructs: Readonly<Record<string, number>>
}

/** Helper prototype BTF object kinds and the kernel structs they stand for. */
export const HELPER_STRUCTS: Readonly<Record<string, string>> = {
  task: 'task_struct',
  sock_common: 'sock_common',
  sock: 'sock',
  tcp: 'tcp_sock',
  tcp6: 'tcp6_sock',
  tcp_tw: 'tcp_timewait_sock',
  tcp_req: 'tcp_request_sock',
  udp6: 'udp6_sock',
  unix: 'unix_sock',
  mptcp: 'mptcp_sock',
  bpf_task_pt_regs_ids: 'pt_regs'
}

/** Pointer hops from the arguments whose structs the slice describes. */
const SLICE_DEPTH = 3
/** Most types a slice holds (a bound on what crosses to workers). */
const SLICE_LIMIT = 40_000

/** Section prefix → target kind, for the sections libbpf attaches by BTF name. */
const PREFIXES: readonly (readonly [string, BtfTargetKind])[] = [
  ['fentry', 'fentry'],
  ['fexit', 'fexit'],
  ['fmod_ret', 'fmod_ret'],
  ['lsm', 'lsm'],
  ['tp_btf', 'tp_btf']
]

/** The target kind and name a section names (`fentry/do_unlinkat` → fentry, do_unlinkat). */
export function btfTargetName(
  section: string
): { readonly kind: BtfTargetKind; readonly name: string; readonly sleepable?: true } | undefined {
  for (const [prefix, kind] of PREFIXES) {
    const m = new RegExp(`^${prefix}(\\.s)?/(.+)$`).exec(section)
    if (m?.[2] !== undefined) return { kind, name: m[2], ...(m[1] ? { sleepable: true } : {}) }
  }
  return undefined
}

/** Follows modifiers and type tags; undefined on a missing id or a cycle. */
export function skipMods(
  types: (id: number) => BtfType | undefined,
  id: number
): BtfType | undefined {
  let t = types(id)
  for (let i = 0; t !== undefined && i < 64; i++) {
    const k = t.kind
    if (
      k !== BTF_KIND.TYPEDEF &&
      k !== BTF_KIND.VOLATILE &&
      k !== BTF_KIND.CONST &&
      k !== BTF_KIND.RESTRICT &&
      k !== BTF_KIND.TYPE_TAG
    )
      return t
    t = types(t.sizeOrType)
  }
  return undefined
}

/** Whether `t` is an integer of at most 8 bytes (btf_type_is_small_int). */
export function isSmallInt(t: BtfType | undefined): boolean {
  return t?.kind === BTF_KIND.INT && t.sizeOrType <= 8
}

/** Whether `t` is a struct or union. */
export function isComposite(t: BtfType | undefined): boolean {
  return t?.kind === BTF_KIND.STRUCT || t?.kind === BTF_KIND.UNION
}

/** Sorts one argument type the way btf_ctx_access does (conservatively where kernels differ). */
export function sortArg(types: (id: number) => BtfType | undefined, id: number): BtfArg {
  const t = skipMods(types, id)
  if (t === undefined) return { kind: 'other', what: 'void' }
  if (isSmallInt(t) || t.kind === BTF_KIND.ENUM || t.kind === BTF_KIND.ENUM64 || isComposite(t))
    return { kind: 'scalar' }
  if (t.kind !== BTF_KIND.PTR) return { kind: 'other', what: kindName(t.kind) }
  const target = skipMods(types, t.sizeOrType)
  if (t.sizeOrType === 0 || target?.kind === BTF_KIND.INT) return { kind: 'scalar', pointer: true }
  if (!isComposite(target)) return { kind: 'other', what: `pointer to ${kindName(target?.kind)}` }
  const first = types(t.sizeOrType)
  const tag =
    first?.kind === BTF_KIND.TYPE_TAG && first.kflag !== true
      ? first.name === 'user'
        ? 'user'
        : first.name === 'percpu'
          ? 'percpu'
          : undefined
      : undefined
  return { kind: 'struct', id: target?.id ?? 0, ...(tag !== undefined ? { tag } : {}) }
}

/** BTF kind names as the kernel's messages print them. */
export function kindName(kind: number | undefined): string {
  const names = Object.keys(BTF_KIND) as (keyof typeof BTF_KIND)[]
  return names.find((n) => BTF_KIND[n] === kind) ?? 'UNKN'
}

/** The types reachable from `roots`: containment in full, pointers `SLICE_DEPTH` hops deep. */
function slice(btf: Btf, roots: readonly number[]): BtfType[] {
  const seen = new Map<number, number>()
  const queue: [number, number][] = roots.map((id) => [id, 0])
  while (queue.length > 0 && seen.size < SLICE_LIMIT) {
    const [id, depth] = queue.shift() as [number, number]
    const t = btf.types[id]
    if (t === undefined || id === 0) continue
    const prev = seen.get(id)
    if (prev !== undefined && prev <= depth) continue
    seen.set(id, depth)
    if (t.kind === BTF_KIND.PTR) {
      // One hop further: the pointee's header (and modifiers) always, its members within depth.
      queue.push([t.sizeOrType, depth + 1])
    } else if (isComposite(t)) {
      if (depth <= SLICE_DEPTH) for (const m of t.members) queue.push([m.type, depth])
    } else if (t.kind === BTF_KIND.ARRAY && t.array !== undefined) {
      queue.push([t.array.type, depth], [t.array.indexType, depth])
    } else if (t.kind !== BTF_KIND.FUNC_PROTO) {
      queue.push([t.sizeOrType, depth])
    }
  }
  // Enumerator values (BigInts) are dropped: the slice must stay plain JSON-able data.
  return [...seen.keys()]
    .sort((a, b) => a - b)
    .map((id) => {
      const { values: _values, ...rest } = btf.types[id] as BtfType
      return rest
    })
}

/** Licenses the kernel counts as GPL-compatible (license_is_gpl_compatible). */
const GPL_LICENSES: ReadonlySet<string> = new Set([
  'GPL',
  'GPL v2',
  'GPL and additional rights',
  'Dual BSD/GPL',
  'Dual MIT/GPL',
  'Dual MPL/GPL'
])

/** The suffixes of the kernel's trusted-field list structs. */
export const SAFE_SUFFIXES = [
  '__safe_trusted',
  '__safe_trusted_or_null',
  '__safe_rcu',
  '__safe_rcu_or_null'
] as const

/** The trusted-field lists of the structs in `types` (see BtfTarget.safeFields). */
function safeFieldsOf(
  btf: Btf,
  index: BtfNameIndex,
  types: readonly BtfType[]
): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  const get = (i: number): BtfType | undefined => (i === 0 ? undefined : btf.types[i])
  for (const t of types) {
    if (!isComposite(t) || t.name === '') continue
    for (const suffix of SAFE_SUFFIXES) {
      const id = index.get(`${t.kind}:${t.name}${suffix}`)
      const safe = id === undefined ? undefined : btf.types[id]
      if (safe === undefined) continue
      out[`${t.name}${suffix}`] = safe.members.flatMap((m) => {
        const mt = get(m.type)
        if (mt?.kind !== BTF_KIND.PTR) return []
        const pointee = skipMods(get, mt.sizeOrType)
        return pointee === undefined ? [] : [`${m.name}:${pointee.id}`]
      })
    }
  }
  return out
}

const HELPER_NAMES: ReadonlySet<string> = new Set(Object.values(HELPER_STRUCTS))

/** Kernel BTF ids by name for one kind (build once per BTF: `indexByName`). */
export type BtfNameIndex = ReadonlyMap<string, number>

/**
 * Indexes the FUNC and TYPEDEF names of a BTF (the kinds attach targets are looked up by) and its
 * `__safe_` structs (the kernel's trusted-field lists).
 */
export function indexByName(btf: Btf): BtfNameIndex {
  const out = new Map<string, number>()
  for (const t of btf.types) {
    const safe = isComposite(t) && (t.name.includes('__safe_') || HELPER_NAMES.has(t.name))
    if (t.kind !== BTF_KIND.FUNC && t.kind !== BTF_KIND.TYPEDEF && !safe) continue
    const key = `${t.kind}:${t.name}`
    if (!out.has(key)) out.set(key, t.id)
  }
  return out
}

/**
 * Resolves the attach target a section names against the kernel's BTF, as libbpf does:
 * `fentry/NAME`, `fexit/NAME`, `fmod_ret/NAME` → FUNC NAME; `lsm/NAME` → FUNC bpf_lsm_NAME;
 * `tp_btf/NAME` → TYPEDEF btf_trace_NAME (a pointer to a prototype whose first argument is skipped).
 */
export function resolveBtfTarget(
  btf: Btf,
  index: BtfNameIndex,
  section: string,
  license = 'GPL'
): Result<BtfTarget> {
  const named = btfTargetName(section)
  if (named === undefined)
    return fail({ code: 'BTF_TARGET_SECTION', message: `section ${section} names no BTF target` })
  const { kind, name, sleepable } = named
  const lookup =
    kind === 'tp_btf'
      ? `${BTF_KIND.TYPEDEF}:btf_trace_${name}`
      : `${BTF_KIND.FUNC}:${kind === 'lsm' ? `bpf_lsm_${name}` : name}`
  const id = index.get(lookup)
  const missing = fail({
    code: 'BTF_TARGET_MISSING',
    message: `attach target ${lookup.slice(lookup.indexOf(':') + 1)} not found in the kernel's BTF`
  })
  if (id === undefined) return missing
  const types = (i: number): BtfType | undefined => (i === 0 ? undefined : btf.types[i])
  let proto: BtfType | undefined
  if (kind === 'tp_btf') {
    const ptr = skipMods(types, id)
    proto = ptr?.kind === BTF_KIND.PTR ? skipMods(types, ptr.sizeOrType) : undefined
  } else proto = types(btf.types[id]?.sizeOrType ?? 0)
  if (proto?.kind !== BTF_KIND.FUNC_PROTO) return missing
  const params = kind === 'tp_btf' ? proto.members.slice(1) : proto.members
  const argIds = params.map((p) => p.type)
  const retType = skipMods(types, proto.sizeOrType)
  // An argument wider than 8 bytes (a struct by value, __int128) takes several context slots
  // (btf_ctx_arg_idx):
  // the analysis does not count them, so it refuses that argument and every later one.
  let shifted = false
  const args = params.map((p): BtfArg => {
    const t = skipMods(types, p.type)
    if (t?.kind !== BTF_KIND.PTR && (t?.sizeOrType ?? 0) > 8) shifted = true
    if (shifted) return { kind: 'other', what: 'an argument at or after one wider than 8 bytes' }
    const a = sortArg(types, p.type)
    return a.kind === 'struct' && p.name.endsWith('__nullable') ? { ...a, nullable: true } : a
  })
  const helperStructs: Record<string, number> = {}
  for (const [kind, struct] of Object.entries(HELPER_STRUCTS)) {
    const sid = index.get(`${BTF_KIND.STRUCT}:${struct}`)
    if (sid !== undefined) helperStructs[kind] = sid
  }
  const sliced = slice(btf, [...argIds, proto.sizeOrType, ...Object.values(helperStructs)])
  return ok({
    kind,
    name: kind === 'lsm' ? `bpf_lsm_${name}` : name,
    args,
    ret:
      proto.sizeOrType === 0 ? { kind: 'other', what: 'void' } : sortArg(types, proto.sizeOrType),
    retSmallInt: isSmallInt(retType),
    ...(sleepable === true ? { sleepable } : {}),
    gplCompatible: GPL_LICENSES.has(license),
    types: sliced,
    safeFields: safeFieldsOf(btf, index, sliced),
    helperStructs
  })
}

const TYPE_MAPS = new WeakMap<BtfTarget, ReadonlyMap<number, BtfType>>()

/** The target's BTF slice by type id (built once per target object). */
export function btfTypeMap(target: BtfTarget | undefined): ReadonlyMap<number, BtfType> {
  if (target === undefined) return new Map()
  let m = TYPE_MAPS.get(target)
  if (m === undefined) {
    m = new Map(target.types.map((t) => [t.id, t]))
    TYPE_MAPS.set(target, m)
  }
  return m
}
