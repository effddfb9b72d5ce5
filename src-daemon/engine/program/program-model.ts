/** @fileoverview Turns a loaded input's program into what the interpreter, prover and search run. */
import { attachTypeOfSection, type AttachType } from '../../core/analysis/program-kind'
import type { Insn } from '../../core/isa/insn'
import type { CtxKind, MapDef } from '../../core/interp/types'
import { ctxKindForK2 } from '../../core/interp/api'
import { FLAT_CONTEXT_SIZES, isStructContext, STRUCT_CONTEXTS } from '../../core/interp/contexts'
import { XDP_HARD_END, XDP_HEADROOM } from '../../core/interp/layout'
import type { EncodeModel } from '../../core/smt/enc-state'
import { linkProgram as linkFunctions } from '../../core/formats/link'
import { linkProgram, type LinkedProgram } from '../kernel/link-object'
import type { MapInitEntry, MapSpec } from '../kernel/oracle-types'
import {
  applyCoreRelocations,
  coreRecordsOfLink,
  PROGRAM_TYPES,
  programTypeByName,
  type AppliedCore,
  type BpfObject
} from '../../core/formats'
import { kernelBtfBinding, kernelCoreTarget } from './kernel-btf'
import type { BtfBinding } from '../../core/search/safety'
import { InputError } from './input-error'
import type { LoadedInput, LoadedMap, LoadedProgram } from './load'

/** A program ready to run: linked instructions, maps and its input model. */
export interface RunnableProgram {
  /** Section and function it came from. */
  readonly section: string
  readonly name: string
  /** Linked slots (subprograms appended, map references by index). */
  readonly slots: readonly Insn[]
  /** Maps by index (global data sections become single-entry arrays after the object's maps). */
  readonly maps: readonly MapDef[]
  /** Program type name (`xdp`, `sched_cls`, ...; `k2-flat` for K2's flat buffers). */
  readonly progType: string
  /** Expected attach type libbpf gives the section, where there is one. */
  readonly attachType?: AttachType
  /** tracing and LSM programs: the attach target from the kernel's BTF, or why there is none. */
  readonly btf?: BtfBinding
  /** The input model shared by the interpreter and the prover. */
  readonly model: EncodeModel
  /**
   * CO-RE relocations resolved for the running kernel (ELF objects that have any), and the slots
   * they patch (both halves of an ld_imm64): the search may keep or remove those, never rewrite
   * them, since the loader patches what is written there.
   */
  readonly core?: {
    readonly relocations: number
    readonly kernel: string
    readonly slots: readonly number[]
  }
  /**
   * Slots of subprograms that another entry program of the object also calls: a change there
   * would be proven for this program only, so the search leaves them as they are.
   */
  readonly sharedSlots?: readonly number[]
  /** Slots of kconfig extern loads (see LinkedProgram.externSlots): kept or removed, never rewritten. */
  readonly externSlots?: readonly number[]
}

/**
 * Linked slots of the subprograms of `linked` that another entry program of `obj` reaches (any,
 * when that program cannot be linked), as the export's check of shared subprograms decides.
 */
function sharedSubprogramSlots(obj: BpfObject, linked: LinkedProgram): number[] {
  const entry = linked.functions[0]?.program
  const subs = linked.functions.slice(1)
  if (entry === undefined || subs.length === 0) return []
  const others = obj.programs
    .filter((p) => !p.isSubprogram && p !== entry)
    .map((p) => linkFunctions(obj, p))
  const out: number[] = []
  for (const f of subs) {
    const shared = others.some(
      (l) => !l.ok || l.value.functions.some((g) => g.program === f.program)
    )
    if (shared) for (let i = 0; i < f.program.slotCount; i++) out.push(f.firstSlot + i)
  }
  return out
}

/** The slots CO-RE records patch in `slots` (both halves of an ld_imm64), ascending. */
function coreSlots(slots: readonly Insn[], applied: readonly AppliedCore[]): number[] {
  const out = new Set<number>()
  for (const a of applied) {
    out.add(a.slot)
    if (slots[a.slot]?.code === 0x18) out.add(a.slot + 1)
  }
  return [...out].sort((x, y) => x - y)
}

/**
 * Links program `name` of `obj` as the kernel-oracle linker does and, when its functions carry
 * CO-RE relocations, resolves them against the running kernel's BTF as libbpf will at load: the
 * slots are the program this kernel runs. Throws a InputError naming the slot where that fails.
 */
export function linkedForKernel(
  obj: BpfObject,
  name: string,
  where: { file: string; section: string }
): {
  linked: LinkedProgram
  slots: Insn[]
  core?: { relocations: number; kernel: string; applied: readonly AppliedCore[] }
} {
  const linked = linkProgram(obj, name)
  if (!linked.ok) throw new InputError({ ...linked.error, ...where })
  const l = linked.value
  if (coreRecordsOfLink(obj, l.functions).length === 0) return { linked: l, slots: l.insns }
  const target = kernelCoreTarget()
  if (!target.ok) throw new InputError({ ...target.error, ...where })
  const applied = applyCoreRelocations(obj, l.functions, l.insns, target.value)
  if (!applied.ok) throw new InputError({ ...applied.error, file: where.file })
  return {
    linked: l,
    slots: applied.value.slots,
    core: {
      relocations: applied.value.applied.length,
      kernel: target.value.kernel,
      applied: applied.value.applied
    }
  }
}

/**
 * Largest XDP packet without fragments: a 4 KiB frame less the 256-byte headroom and the
 * 320-byte skb_shared_info (what the kernel allows with a jumbo MTU). A proof covers every length
 * up to it, so that length checks against larger MTUs are never treated as dead code.
 */
const XDP_MAX_PACKET = XDP_HARD_END - XDP_HEADROOM

/** Context kind and sizes for a program type name. */
function modelFor(progType: string): { ctx: CtxKind; maxPacket: number; ctxSize: number } {
  switch (progType) {
    case 'xdp':
      return { ctx: 'xdp', maxPacket: XDP_MAX_PACKET, ctxSize: 24 }
    case 'sched_cls':
    case 'sched_act':
      return { ctx: 'skb', maxPacket: 1514, ctxSize: 192 }
    case 'socket_filter':
      return { ctx: 'socket', maxPacket: 1514, ctxSize: 192 }
    default: {
      // Read-only flat contexts (pt_regs, tracepoint records, raw tracepoint arguments, ...).
      const flat = FLAT_CONTEXT_SIZES[progType]
      if (flat !== undefined) return { ctx: 'tracepoint', maxPacket: 0, ctxSize: flat }
      // Kernel structs the program reads and partly writes (sock_ops, cgroup hooks, ...).
      if (isStructContext(progType))
        return { ctx: progType, maxPacket: 0, ctxSize: STRUCT_CONTEXTS[progType].size }
      return { ctx: 'plain', maxPacket: 0, ctxSize: 512 }
    }
  }
}

/** The bytes a frozen map (`.rodata`) holds once loaded, for the analysis (see MapDef.frozen). */
function frozenValue(
  m: MapSpec,
  entries: readonly MapInitEntry[] | undefined
): { frozen?: number[] } {
  const value = entries?.[0]?.value
  return m.freeze === true && value !== undefined ? { frozen: [...value] } : {}
}

function innerDef(m: LoadedMap): MapDef {
  return { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries }
}

function attachOf(section: string): { attachType?: AttachType } {
  const a = attachTypeOfSection(section)
  return a === undefined ? {} : { attachType: a }
}

/**
 * Checks a `--type` value: undefined stays undefined, a known program type name is returned, and
 * anything else is a usage error listing the names.
 */
export function programTypeOption(name: string | undefined): string | undefined {
  if (name === undefined || programTypeByName(name) !== undefined) return name
  throw new InputError({
    code: 'PROGRAM_TYPE_UNKNOWN_NAME',
    message: `--type: unknown program type '${name}' (known: ${[...PROGRAM_TYPES.keys()].join(', ')})`
  })
}

/**
 * The runnable form of `program` from `input`. `type` (a `--type` name) replaces the program type
 * guessed from an ELF section name, and gives raw bytecode and assembly one; K2 triples take theirs
 * from the `.desc` file.
 */
export function runnable(
  input: LoadedInput,
  program: LoadedProgram,
  type?: string
): RunnableProgram {
  if (input.k2 !== undefined) {
    const d = input.k2.desc
    const ctx = ctxKindForK2(d.pgmInputType)
    const maps = input.k2.maps.map((m) => ({ ...m }))
    const progType = type ?? program.progType
    if (progType !== program.progType)
      return {
        section: program.section,
        name: program.name,
        slots: program.slots,
        maps,
        progType,
        model: { ...modelFor(progType), maps }
      }
    return {
      section: program.section,
      name: program.name,
      slots: program.slots,
      maps,
      progType: ctx === 'flat' ? 'k2-flat' : ctx === 'xdp' ? 'xdp' : ctx,
      model: { ctx, maxPacket: d.maxPktSz, ctxSize: d.maxPktSz, maps }
    }
  }
  if (input.object !== undefined) {
    if (type === undefined && program.progType === 'unknown')
      throw new InputError({
        code: 'PROGRAM_TYPE_UNKNOWN',
        message: `cannot tell the program type from section '${program.section}'; give --type (e.g. --type sched_cls)`,
        file: input.file,
        section: program.section
      })
    const { linked, slots, core } = linkedForKernel(input.object, program.name, {
      file: input.file,
      section: program.section
    })
    const maps: MapDef[] = linked.maps.map((m, i) => {
      const inner = input.object?.maps[i]?.inner
      return {
        name: m.name ?? `map${i}`,
        type: m.type,
        keySize: m.keySize,
        valueSize: m.valueSize,
        maxEntries: m.maxEntries,
        ...(m.flags !== undefined && m.flags !== 0 ? { flags: m.flags } : {}),
        ...(inner !== undefined ? { inner: innerDef(inner) } : {}),
        ...frozenValue(m, linked.mapEntries[i])
      }
    })
    const progType = type ?? program.progType
    const shared = sharedSubprogramSlots(input.object, linked)
    const btf =
      progType === 'tracing' || progType === 'lsm'
        ? kernelBtfBinding(program.section, linked.license)
        : undefined
    return {
      section: program.section,
      name: program.name,
      slots,
      maps,
      progType,
      ...attachOf(program.section),
      ...(btf !== undefined ? { btf } : {}),
      // BTF-typed programs load through kernel pointers (enc-kmem.ts, interp/kernel-memory.ts).
      model: { ...modelFor(progType), maps, ...(btf !== undefined ? { kernelReads: true } : {}) },
      ...(shared.length > 0 ? { sharedSlots: shared } : {}),
      ...(linked.externSlots.length > 0 ? { externSlots: linked.externSlots } : {}),
      ...(core !== undefined
        ? {
            core: {
              relocations: core.relocations,
              kernel: core.kernel,
              slots: coreSlots(slots, core.applied)
            }
          }
        : {})
    }
  }
  const progType = type ?? 'plain'
  return {
    section: program.section,
    name: program.name,
    slots: program.slots,
    maps: [],
    progType,
    model: { ...modelFor(progType), maps: [] }
  }
}
