/**
 * @fileoverview Writes a program that was optimized in its linked form (entry function with its
 * subprograms appended, map references by index) back into its object: each function into its
 * own section and symbol, with relocations reused, moved, re-aimed or made anew as the new
 * instructions require, and removed or unchanged ones handled as the loader expects.
 */

import type { Insn } from '../isa/insn'
import { INSN_SIZE } from '../isa/insn'
import { lookupSpec } from '../isa/lookup'
import type { Diagnostic, Result } from '../util/result'
import { fail, ok } from '../util/result'
import type { BpfObject, BpfProgram, ProgramRelocation } from './bpf-object'
import { coreRecordSlots } from './btf-ext'
import type { CoreResolution } from './core-relo'
import { patchCoreInsn } from './core-relo'
import type { CodeRelocation, CodeRewrite, LandingIn, RewriteOptions } from './code-rewrite'
import { moveRelocation, rewriteCodeSections } from './code-rewrite'
import type { LinkedProgram } from './link'
import { linkProgram, PSEUDO_CALL, PSEUDO_FUNC, PSEUDO_MAP_FD, PSEUDO_MAP_VALUE } from './link'
import { R_BPF, STT } from './elf-types'

/** A function placed in the linked program. */
export interface PlacedFunction {
  /** The function in the object. */
  readonly program: BpfProgram
  /** Its first slot in the linked program. */
  readonly firstSlot: number
}

/** How a linked program was laid out from its object. */
export interface LinkedLayout {
  /** Placed functions in slot order, the entry first; together they cover every linked slot. */
  readonly functions: readonly PlacedFunction[]
  /** For each immediate of a map load (ld_imm64 src 1): the map's index in the object. */
  readonly maps: readonly (number | undefined)[]
  /** For each immediate of a map-value load (ld_imm64 src 2): the data section's ELF index. */
  readonly data: readonly (number | undefined)[]
}

/** The layout of a program linked by this layer's {@link linkProgram}. */
export function layoutOfLink(obj: BpfObject, linked: LinkedProgram): LinkedLayout {
  return {
    functions: linked.functions,
    maps: obj.maps.map((_, i) => i),
    data: obj.globalData.map((g) => g.sectionIndex)
  }
}

/** The optimized program in the linked frame. */
export interface LinkedEdit {
  /** One slot per linked slot; jump offsets and call immediates are relative to these positions. */
  readonly slots: readonly Insn[]
  /** Per slot: truthy when kept, falsy when removed (both halves of a ld_imm64 alike). */
  readonly keep: ArrayLike<number | boolean>
}

/** Options of {@link writeLinkedProgram}. */
export interface WriteLinkedOptions extends Pick<
  RewriteOptions,
  'lineInfoOnRemoved' | 'debugInfo'
> {
  /**
   * How CO-RE relocations were resolved in `original` (by linked slot). A relocated instruction
   * is written in the compiled form the loader patches into the new one; without this, CO-RE
   * relocated instructions must be unchanged and keep their compiled form.
   */
  readonly core?: readonly { readonly slot: number; readonly resolution: CoreResolution }[]
}

type Fail = { readonly ok: false; readonly error: Diagnostic }

const sameInsn = (a: Insn | undefined, b: Insn | undefined): boolean =>
  a !== undefined &&
  b !== undefined &&
  a.code === b.code &&
  a.dst === b.dst &&
  a.src === b.src &&
  a.off === b.off &&
  a.imm === b.imm

/** Per placed function: which slots it keeps and where it lands in its section. */
interface Placement {
  readonly fn: PlacedFunction
  /** Linked slots [a, b). */
  readonly a: number
  readonly b: number
  /** True when some slot was removed or changed (and code is left). */
  readonly changed: boolean
  /** Local new index of each local slot (-1 removed). */
  readonly local: Int32Array
  /** Number of kept slots (changed) or the original count. */
  readonly count: number
  /** True when no slot is kept (the function is no longer called). */
  readonly empty: boolean
}

/** The new layout of one section holding rewritten functions. */
interface SectionPlan {
  readonly sectionIndex: number
  /** Old section slot → new section slot, -1 removed. */
  readonly newIndexOf: Int32Array
  /** New section slot count. */
  readonly count: number
}

/**
 * Writes `edit` (the search's program over `original`, the linked program laid out by `layout`)
 * into `obj`. Functions left unchanged, or with no code left (no longer called), keep their
 * original code. Refuses, with a diagnostic naming the slot, what the object cannot express:
 * a changed subprogram that another entry program also calls, a jump or call leaving its
 * function, a changed instruction relocated against an extern, a CO-RE relocated instruction
 * that changed (its relocation would no longer mean the same).
 */
export function writeLinkedProgram(
  obj: BpfObject,
  layout: LinkedLayout,
  original: readonly Insn[],
  edit: LinkedEdit,
  options: WriteLinkedOptions = {}
): Result<Uint8Array> {
  const entry = layout.functions[0]?.program
  const err = (code: string, message: string, index?: number, section?: string): Fail =>
    fail({
      code,
      message,
      section: section ?? entry?.section ?? '',
      ...(index !== undefined ? { index } : {}),
      ...(obj.file !== undefined ? { file: obj.file } : {})
    })
  const n = original.length
  if (edit.slots.length !== n || edit.keep.length !== n)
    return err('EXPORT_BAD_EDIT', `edit has ${edit.slots.length} slots for ${n} linked slots`)
  const placed = placeFunctions(layout, original, edit)
  if (!placed.ok) return err('EXPORT_BAD_LAYOUT', placed.error)
  const placements = placed.value
  for (let i = 0; i < n; i++) {
    const s = edit.slots[i]!
    const pointer = s.code === 0x18 && s.src === PSEUDO_FUNC
    if (!edit.keep[i] || !(pointer || (s.code === 0x85 && s.src === PSEUDO_CALL))) continue
    const callee = calleeOf(placements, i + s.imm + 1)
    const caller = placements.find((p) => i >= p.a && i < p.b)!
    if (callee?.empty === true)
      return err(
        'EXPORT_BAD_CALL',
        `callee ${callee.fn.program.name} has no code left`,
        i - caller.a + caller.fn.program.firstSlot,
        caller.fn.program.section
      )
  }
  const shared = sharedChanged(obj, placements)
  if (shared !== undefined)
    return err(
      'EXPORT_SHARED_SUBPROGRAM',
      `subprogram ${shared.fn} changed, but ${shared.other} also calls it and the change is proven only for ${entry?.name}`,
      undefined,
      shared.section
    )
  const plans = planSections(obj, placements)
  const landingIn: LandingIn = (sectionIndex, t) => {
    const p = plans.get(sectionIndex)
    if (p === undefined) return undefined
    for (let s = t; Number.isInteger(s) && s >= 0 && s < p.newIndexOf.length; s++)
      if (p.newIndexOf[s]! >= 0) return p.newIndexOf[s]!
    return -1
  }
  const core = coreRecordSlots(obj)
  const coreAt = new Map((options.core ?? []).map((c) => [c.slot, c.resolution]))
  const rewrites: CodeRewrite[] = []
  for (const plan of plans.values()) {
    const r = emitSection(obj, plan, placements, plans, landingIn, original, edit, layout, {
      slots: core,
      at: coreAt
    })
    if (!r.ok) return fail({ ...r.error, ...(obj.file !== undefined ? { file: obj.file } : {}) })
    rewrites.push(r.value)
  }
  const out = rewriteCodeSections(obj.elf, rewrites, {
    ...(options.lineInfoOnRemoved !== undefined
      ? { lineInfoOnRemoved: options.lineInfoOnRemoved }
      : {}),
    ...(options.debugInfo !== undefined ? { debugInfo: options.debugInfo } : {}),
    dropCoreOnRemoved: true
  })
  if (!out.ok) return fail({ ...out.error, ...(obj.file !== undefined ? { file: obj.file } : {}) })
  return out
}

/** Splits the linked program into its functions and decides which of them changed. */
function placeFunctions(
  layout: LinkedLayout,
  original: readonly Insn[],
  edit: LinkedEdit
): Result<Placement[], string> {
  const out: Placement[] = []
  let at = 0
  for (const fn of layout.functions) {
    const a = fn.firstSlot
    const b = a + fn.program.slotCount
    if (a !== at || b > original.length)
      return fail(`function ${fn.program.name} is placed at ${a}, expected ${at}`)
    at = b
    const local = new Int32Array(b - a)
    let kept = 0
    let changed = false
    for (let i = a; i < b; i++) {
      const keep = Boolean(edit.keep[i])
      local[i - a] = keep ? kept++ : -1
      if (!keep || !sameInsn(edit.slots[i], original[i])) changed = true
    }
    // A function with no code left is no longer called: its original code stays for others.
    if (kept === 0 && fn !== layout.functions[0]) changed = false
    out.push({ fn, a, b, changed, local, count: changed ? kept : b - a, empty: kept === 0 })
  }
  if (at !== original.length)
    return fail(`the functions cover ${at} of ${original.length} linked slots`)
  return ok(out)
}

/** A changed subprogram that another entry program of the object also reaches, if any. */
function sharedChanged(
  obj: BpfObject,
  placements: readonly Placement[]
): { fn: string; other: string; section: string } | undefined {
  const entry = placements[0]!.fn.program
  const changed = placements.filter((p) => p.changed && p.fn.program !== entry)
  if (changed.length === 0) return undefined
  for (const other of obj.programs) {
    if (other.isSubprogram || other === entry) continue
    const linked = linkProgram(obj, other)
    // When another program cannot be linked, assume it reaches every subprogram.
    const reaches = (p: BpfProgram): boolean =>
      !linked.ok || linked.value.functions.some((f) => f.program === p)
    const hit = changed.find((c) => reaches(c.fn.program))
    if (hit !== undefined)
      return { fn: hit.fn.program.name, other: other.name, section: hit.fn.program.section }
  }
  return undefined
}

/** New slot maps of the sections that hold changed functions. */
function planSections(obj: BpfObject, placements: readonly Placement[]): Map<number, SectionPlan> {
  const plans = new Map<number, SectionPlan>()
  const changedBy = new Map<BpfProgram, Placement>()
  for (const p of placements) if (p.changed) changedBy.set(p.fn.program, p)
  const sections = new Set([...changedBy.keys()].map((p) => p.sectionIndex))
  for (const sectionIndex of sections) {
    const sec = obj.sections[sectionIndex]!
    const total = sec.size / INSN_SIZE
    const newIndexOf = new Int32Array(total)
    let next = 0
    for (let s = 0; s < total;) {
      const fn = obj.programs.find((p) => p.sectionIndex === sectionIndex && p.firstSlot === s)
      const p = fn === undefined ? undefined : changedBy.get(fn)
      if (p === undefined) {
        newIndexOf[s++] = next++
        continue
      }
      for (let k = 0; k < p.local.length; k++)
        newIndexOf[s + k] = p.local[k]! < 0 ? -1 : next + p.local[k]!
      next += p.count
      s += p.local.length
    }
    plans.set(sectionIndex, { sectionIndex, newIndexOf, count: next })
  }
  return plans
}

/** The new code and relocations of one section. */
function emitSection(
  obj: BpfObject,
  plan: SectionPlan,
  placements: readonly Placement[],
  plans: ReadonlyMap<number, SectionPlan>,
  landingIn: LandingIn,
  original: readonly Insn[],
  edit: LinkedEdit,
  layout: LinkedLayout,
  core: CoreInfo
): Result<CodeRewrite> {
  const sec = obj.sections[plan.sectionIndex]!
  const slots: Insn[] = new Array<Insn>(plan.count)
  const relocations: CodeRelocation[] = []
  const oldSlots = obj.programs
    .filter((p) => p.sectionIndex === sec.index)
    .flatMap((p) => p.slots.map((s, k) => ({ s, at: p.firstSlot + k })))
  const oldAt = new Map(oldSlots.map((x) => [x.at, x.s]))
  const relocsAt = new Map<number, ProgramRelocation>()
  for (const p of obj.programs)
    if (p.sectionIndex === sec.index) for (const r of p.relocations) relocsAt.set(r.sectionSlot, r)
  const placementOf = new Map(placements.map((p) => [p.fn.program, p]))
  const rawEntries = obj.elf.relocations.find((t) => t.targetIndex === sec.index)?.entries ?? []
  const entryAt = new Map(rawEntries.map((e) => [e.offset / INSN_SIZE, e]))
  const coreSlots = core.slots.get(sec.name)
  for (let s = 0; s < plan.newIndexOf.length; s++) {
    const ns = plan.newIndexOf[s]!
    const fn = obj.programs.find(
      (p) => p.sectionIndex === sec.index && s >= p.firstSlot && s < p.firstSlot + p.slotCount
    )
    const pl = fn === undefined ? undefined : placementOf.get(fn)
    if (pl !== undefined && pl.changed) continue // emitted per function below
    if (ns < 0) continue
    const old = oldAt.get(s) ?? readSlot(obj, sec.index, s)
    slots[ns] = pcRelativeMoved(old, s, ns, sec.index, landingIn, entryAt.has(s))
    const e = entryAt.get(s)
    if (e === undefined) continue
    const r = moveRelocation(obj.elf, e, old, old, ns, landingIn)
    if (!r.ok) return fail({ ...r.error, section: sec.name, index: ns })
    relocations.push(r.value)
  }
  for (const pl of placements) {
    if (!pl.changed || pl.fn.program.sectionIndex !== sec.index) continue
    const r = emitFunction(obj, pl, placements, plans, original, edit, layout, relocsAt, {
      slots: coreSlots,
      at: core.at
    })
    if (!r.ok) return r
    const first = plan.newIndexOf.findIndex((v, s) => v >= 0 && s >= pl.fn.program.firstSlot)
    const base = first < 0 ? plan.count : plan.newIndexOf[first]!
    r.value.slots.forEach((x, k) => (slots[base + k] = x))
    for (const rel of r.value.relocations) relocations.push({ ...rel, slot: rel.slot + base })
  }
  return ok({ sectionIndex: sec.index, slots, newIndexOf: plan.newIndexOf, relocations })
}

/** Slot `s` of a section's raw bytes (code outside every function). */
function readSlot(obj: BpfObject, sectionIndex: number, s: number): Insn {
  const sec = obj.sections[sectionIndex]!
  const b = obj.elf.bytes.subarray(sec.offset + s * INSN_SIZE, sec.offset + (s + 1) * INSN_SIZE)
  const v = new DataView(b.buffer, b.byteOffset, 8)
  return {
    code: b[0]!,
    dst: b[1]! & 0xf,
    src: b[1]! >> 4,
    off: v.getInt16(2, true),
    imm: v.getInt32(4, true)
  }
}

/** An unchanged instruction at its new place: a pc-relative call is re-aimed at its target's new place. */
function pcRelativeMoved(
  old: Insn,
  s: number,
  ns: number,
  sectionIndex: number,
  landingIn: LandingIn,
  relocated: boolean
): Insn {
  if (relocated || old.code !== 0x85 || old.src !== PSEUDO_CALL) return { ...old }
  const t = landingIn(sectionIndex, s + old.imm + 1)
  return t === undefined || t < 0 ? { ...old } : { ...old, imm: t - ns - 1 }
}

/** A function's new code with function-local relocation slots. */
interface EmittedFunction {
  readonly slots: Insn[]
  readonly relocations: CodeRelocation[]
}

/** Emits one changed function in object form. */
function emitFunction(
  obj: BpfObject,
  pl: Placement,
  placements: readonly Placement[],
  plans: ReadonlyMap<number, SectionPlan>,
  original: readonly Insn[],
  edit: LinkedEdit,
  layout: LinkedLayout,
  relocsAt: ReadonlyMap<number, ProgramRelocation>,
  core: { slots: ReadonlySet<number> | undefined; at: ReadonlyMap<number, CoreResolution> }
): Result<EmittedFunction> {
  const prog = pl.fn.program
  const out: Insn[] = []
  const relocations: CodeRelocation[] = []
  const bad = (code: string, message: string, i: number): Fail =>
    fail({ code, message, section: prog.section, index: i - pl.a + prog.firstSlot })
  /** New slot of function `p`'s start in its section. */
  const startOf = (p: Placement): number => {
    const plan = plans.get(p.fn.program.sectionIndex)
    if (plan === undefined) return p.fn.program.firstSlot
    for (let s = p.fn.program.firstSlot; s < p.fn.program.firstSlot + p.fn.program.slotCount; s++)
      if (plan.newIndexOf[s]! >= 0) return plan.newIndexOf[s]!
    return -1
  }
  const myStart = startOf(pl)
  /** First kept linked slot at or after `t` inside this function, as a local new index. */
  const landLocal = (t: number): number => {
    for (let s = t; s < pl.b; s++) if (pl.local[s - pl.a]! >= 0) return pl.local[s - pl.a]!
    return -1
  }
  for (let i = pl.a; i < pl.b; i++) {
    const li = i - pl.a
    const ni = pl.local[li]!
    const secSlot = prog.firstSlot + li
    const now = edit.slots[i]!
    const spec = lookupSpec(now)
    const isLddw = spec?.kind === 'lddw'
    if (isLddw && Boolean(edit.keep[i]) !== Boolean(edit.keep[i + 1]))
      return bad('FORMAT_SPLIT_LDIMM64', 'ld_imm64 halves kept differently', i)
    if (ni < 0) {
      if (isLddw) i++
      continue
    }
    const objOld = prog.slots[li]!
    const rel = relocsAt.get(secSlot)
    const unchanged =
      sameInsn(now, original[i]) && (!isLddw || sameInsn(edit.slots[i + 1], original[i + 1]))
    if (core.slots?.has(secSlot) === true) {
      const res = core.at.get(i)
      const form =
        res === undefined || res.poison
          ? unchanged
            ? ok(isLddw ? [objOld, prog.slots[li + 1]!] : [objOld])
            : fail('the instruction changed and is not one the loader patches')
          : compiledCoreForm(isLddw ? [now, edit.slots[i + 1]!] : [now], res)
      if (!form.ok)
        return bad(
          'EXPORT_CORE_EDIT',
          `the instruction carries a CO-RE relocation and its new form cannot be expressed as one (${form.error})`,
          i
        )
      out.push(...form.value.map((x) => ({ ...x })))
      if (rel !== undefined)
        relocations.push({ slot: ni, type: rel.type, symbol: rel.symbolIndex, imm: objOld.imm })
      if (isLddw) i++
      continue
    }
    if (spec?.kind === 'jmp' || spec?.kind === 'ja') {
      const long = spec.kind === 'ja' && spec.long
      const t = i + (long ? now.imm : now.off) + 1
      const land = t >= pl.a && t < pl.b ? landLocal(t) : -1
      if (land < 0)
        return bad('EXPORT_JUMP_OUT_OF_FUNCTION', `jump to linked slot ${t} leaves ${prog.name}`, i)
      const d = land - ni - 1
      if (!long && (d < -32768 || d > 32767))
        return bad('FORMAT_JUMP_TOO_FAR', `new offset ${d} overflows 16 bits`, i)
      out.push(long ? { ...now, imm: d } : { ...now, off: d })
      continue
    }
    if (spec?.kind === 'call' && now.src === PSEUDO_CALL) {
      const target = calleeOf(placements, i + now.imm + 1)
      if (target === undefined)
        return bad(
          'EXPORT_BAD_CALL',
          `call to linked slot ${i + now.imm + 1} is not a function start`,
          i
        )
      const to = target.empty ? -1 : startOf(target)
      if (to < 0)
        return bad('EXPORT_BAD_CALL', `callee ${target.fn.program.name} has no code left`, i)
      const sameSection = target.fn.program.sectionIndex === prog.sectionIndex
      if (rel === undefined && sameSection) {
        out.push({ ...now, imm: to - (myStart + ni) - 1 })
        continue
      }
      const symbol = rel?.symbolIndex ?? sectionSymbol(obj, target.fn.program.sectionIndex)
      if (symbol === undefined || obj.symbols[symbol]?.shndx !== target.fn.program.sectionIndex)
        return bad(
          'EXPORT_NO_SYMBOL',
          `no symbol to relocate a call into ${target.fn.program.section}`,
          i
        )
      out.push({ ...now, imm: 0 })
      relocations.push({ slot: ni, type: R_BPF.R_64_32, symbol, codeTarget: to })
      continue
    }
    if (!isLddw) {
      if (rel !== undefined && !unchanged)
        return bad(
          'EXPORT_RELOCATED_EDIT',
          `the search changed an instruction relocated against ${rel.symbol || 'a symbol'}`,
          i
        )
      if (rel !== undefined) {
        out.push({ ...objOld })
        relocations.push({ slot: ni, type: rel.type, symbol: rel.symbolIndex, imm: objOld.imm })
      } else out.push({ ...now })
      continue
    }
    const tail = edit.slots[i + 1]!
    const r = emitLddw(
      obj,
      layout,
      placements,
      startOf,
      i,
      now,
      tail,
      objOld,
      prog.slots[li + 1]!,
      rel,
      unchanged,
      ni
    )
    if (!r.ok) return bad(r.error.code, r.error.message, i)
    out.push(r.value.head, r.value.tail)
    if (r.value.relocation !== undefined) relocations.push(r.value.relocation)
    i++
  }
  return ok({ slots: out, relocations })
}

/** Which sections' slots carry CO-RE records, and how records resolved by linked slot. */
interface CoreInfo {
  readonly slots: ReadonlyMap<string, ReadonlySet<number>>
  readonly at: ReadonlyMap<number, CoreResolution>
}

/**
 * The compiled form of a CO-RE relocated instruction whose resolved form is `now` (one slot, two
 * for ld_imm64): its relocated field back at the compiled value, such that the loader's patch
 * gives exactly `now` again; an error when no such form exists.
 */
function compiledCoreForm(now: readonly Insn[], res: CoreResolution): Result<Insn[], string> {
  const first = now[0]!
  const cls = first.code & 0x07
  const sizes: Readonly<Record<number, number>> = { 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 }
  let form: Insn[]
  if (cls === 0x04 || cls === 0x07) form = [{ ...first, imm: Number(BigInt.asIntN(32, res.orig)) }]
  else if (cls === 0x01 || cls === 0x02 || cls === 0x03) {
    const size = res.origSize !== res.newSize ? sizes[res.origSize] : undefined
    form = [
      {
        ...first,
        off: Number(BigInt.asIntN(16, res.orig)),
        ...(size !== undefined ? { code: (first.code & ~0x18) | size } : {})
      }
    ]
  } else if (first.code === 0x18 && now[1] !== undefined) {
    const v = BigInt.asUintN(64, res.orig)
    form = [
      { ...first, imm: Number(BigInt.asIntN(32, v)) },
      { ...now[1], imm: Number(BigInt.asIntN(32, v >> 32n)) }
    ]
  } else return fail(`opcode 0x${first.code.toString(16)}`)
  const patched = form.map((x) => ({ ...x }))
  const r = patchCoreInsn(patched, 0, res)
  if (!r.ok) return fail(r.error.message)
  if (!patched.every((x, k) => sameInsn(x, now[k])))
    return fail('the loader would patch it differently')
  return ok(form)
}

/** The placed function starting at linked slot `t`, if any. */
function calleeOf(placements: readonly Placement[], t: number): Placement | undefined {
  return placements.find((p) => p.a === t)
}

/** The STT_SECTION symbol of a section, if the object has one. */
function sectionSymbol(obj: BpfObject, sectionIndex: number): number | undefined {
  return obj.symbols.find((s) => s.type === STT.SECTION && s.shndx === sectionIndex)?.index
}

/** The object form of one ld_imm64 (both halves) and its relocation. */
function emitLddw(
  obj: BpfObject,
  layout: LinkedLayout,
  placements: readonly Placement[],
  startOf: (p: Placement) => number,
  i: number,
  now: Insn,
  tail: Insn,
  objOld: Insn,
  objOldTail: Insn,
  rel: ProgramRelocation | undefined,
  unchanged: boolean,
  ni: number
): Result<{ head: Insn; tail: Insn; relocation?: CodeRelocation }> {
  const R64 = R_BPF.R_64_64
  const no = (code: string, message: string): { ok: false; error: Diagnostic } =>
    fail({ code, message })
  const opaque = rel?.target.kind === 'extern' || rel?.target.kind === 'other'
  if (opaque && !unchanged)
    return no(
      'EXPORT_RELOCATED_EDIT',
      `the search changed a ld_imm64 relocated against ${rel.symbol}`
    )
  if (
    opaque ||
    (now.src !== 0 &&
      now.src !== PSEUDO_MAP_FD &&
      now.src !== PSEUDO_MAP_VALUE &&
      now.src !== PSEUDO_FUNC)
  ) {
    if (!unchanged)
      return no('EXPORT_RELOCATED_EDIT', `the search changed a ld_imm64 with src ${now.src}`)
    return ok({
      head: { ...objOld },
      tail: { ...objOldTail },
      ...(rel !== undefined
        ? { relocation: { slot: ni, type: rel.type, symbol: rel.symbolIndex, imm: objOld.imm } }
        : {})
    })
  }
  if (now.src === 0) return ok({ head: { ...now }, tail: { ...tail } })
  if (now.src === PSEUDO_MAP_FD) {
    const mapIndex = layout.maps[now.imm]
    if (mapIndex === undefined) return no('EXPORT_BAD_MAP', `map index ${now.imm} is not a map`)
    if (rel?.target.kind === 'map' && rel.target.mapIndex === mapIndex)
      return ok({
        head: { ...now, src: objOld.src, imm: objOld.imm },
        tail: { ...objOldTail },
        relocation: { slot: ni, type: rel.type, symbol: rel.symbolIndex, imm: objOld.imm }
      })
    const m = obj.maps[mapIndex]
    const sym =
      m &&
      obj.symbols.find(
        (s) => s.shndx === m.sectionIndex && s.value === m.offset && s.name === m.name
      )
    if (m === undefined || sym === undefined)
      return no('EXPORT_NO_SYMBOL', `no symbol for map ${m?.name ?? mapIndex}`)
    return ok({
      head: { ...now, src: 0, imm: 0 },
      tail: { code: 0, dst: 0, src: 0, off: 0, imm: 0 },
      relocation: { slot: ni, type: R64, symbol: sym.index, imm: 0 }
    })
  }
  if (now.src === PSEUDO_MAP_VALUE) {
    const sectionIndex = layout.data[now.imm]
    if (sectionIndex === undefined)
      return no('EXPORT_BAD_MAP', `map index ${now.imm} is not global data`)
    const symbol =
      rel?.target.kind === 'data' && rel.target.sectionIndex === sectionIndex
        ? rel.symbolIndex
        : (sectionSymbol(obj, sectionIndex) ??
          obj.symbols.find((s) => s.shndx === sectionIndex && s.type === STT.OBJECT)?.index)
    if (symbol === undefined)
      return no('EXPORT_NO_SYMBOL', `no symbol for section ${obj.sections[sectionIndex]?.name}`)
    const imm = tail.imm - obj.symbols[symbol]!.value
    return ok({
      head: { ...now, src: 0, imm },
      tail: { ...tail, imm: 0 },
      relocation: { slot: ni, type: R64, symbol, imm }
    })
  }
  if (now.src === PSEUDO_FUNC) {
    const target = calleeOf(placements, i + now.imm + 1)
    const to = target === undefined || target.empty ? -1 : startOf(target)
    if (target === undefined || to < 0)
      return no(
        'EXPORT_BAD_CALL',
        `function pointer to linked slot ${i + now.imm + 1} is not a function start`
      )
    const symbol =
      rel?.target.kind === 'function'
        ? rel.symbolIndex
        : sectionSymbol(obj, target.fn.program.sectionIndex)
    if (symbol === undefined || obj.symbols[symbol]?.shndx !== target.fn.program.sectionIndex)
      return no('EXPORT_NO_SYMBOL', `no symbol for a pointer into ${target.fn.program.section}`)
    return ok({
      head: { ...now, src: rel?.target.kind === 'function' ? objOld.src : 0, imm: 0 },
      tail: { ...tail },
      relocation: { slot: ni, type: R64, symbol, codeTarget: to }
    })
  }
  return no('EXPORT_RELOCATED_EDIT', `ld_imm64 with src ${now.src} cannot be written`)
}
