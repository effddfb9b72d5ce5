/**
 * @fileoverview How the kernel loads a program of an input: ELF objects whole through libbpf (as
 * users' loaders do), objects with a legacy `maps` section (which libbpf 1.x refuses) and K2 or
 * raw code through Summit's own loader; the type from the section name, K2's description, or
 * `--type`.
 */
import { k2MapFdsToIndices } from '../core/formats/k2'
import type { Insn } from '../core/isa/insn'
import type { MapDef } from '../core/interp/types'
import {
  isPacketProgType,
  progTypeByName,
  progTypeName,
  progTypeNames
} from '../engine/kernel/bpf-constants'
import { k2KernelRun } from '../engine/kernel/k2-run-type'
import { legacyMaps } from '../engine/kernel/legacy-maps'
import type { CompareSide } from '../engine/kernel/kernel-compare'
import type { KernelSubject, ObjectSubject, RawSubject } from '../engine/kernel/kernel-subject'
import { linkProgram } from '../engine/kernel/link-object'
import type { MapInitEntry, MapSpec } from '../engine/kernel/oracle-types'
import { UsageError } from './args'
import { CliError } from './errors'
import type { LoadedInput, LoadedProgram } from '../engine/program/load'
import { runnable } from '../engine/program/program-model'

/** Instructions with map references by index, their maps, initial contents and type. */
export interface KernelPlan {
  readonly insns: readonly Insn[]
  readonly maps: readonly MapSpec[]
  readonly mapDefs: readonly MapDef[]
  readonly mapEntries: readonly (readonly MapInitEntry[] | undefined)[]
  readonly progType: number
  readonly progTypeName: string
  readonly license: string
  /** K2 raw_tracepoint runs: the flat buffer is the context. */
  readonly inputIsCtx: boolean
}

/** The program type named by `--type`, or undefined without one; a usage error when unknown. */
export function typeOverride(name: string | undefined): number | undefined {
  if (name === undefined) return undefined
  const t = progTypeByName(name)
  if (t === undefined)
    throw new UsageError(
      `--type: unknown program type '${name}' (known: ${progTypeNames().join(', ')})`
    )
  return t
}

function unknownType(input: LoadedInput, program: LoadedProgram): CliError {
  return new CliError({
    code: 'KERNEL_UNKNOWN_TYPE',
    message:
      input.object !== undefined
        ? `cannot tell the program type from section '${program.section}' (libbpf and iproute2 loaders are told it); give --type (e.g. --type sched_cls)`
        : 'raw bytecode and assembly carry no program type; give --type (e.g. --type xdp)',
    file: input.file,
    ...(input.object !== undefined ? { section: program.section } : {})
  })
}

const plan = (p: Omit<KernelPlan, 'progTypeName' | 'inputIsCtx'>): KernelPlan => ({
  ...p,
  progTypeName: progTypeName(p.progType),
  inputIsCtx: !isPacketProgType(p.progType)
})

/**
 * Instructions and maps of `program` as Summit's own loader loads them (`override`: a program
 * type from `--type`). Objects are linked here: subprograms appended, maps by index, global data
 * as single-entry arrays.
 */
export function kernelPlan(
  input: LoadedInput,
  program: LoadedProgram,
  override: number | undefined
): KernelPlan {
  if (input.k2 !== undefined) {
    const k2 = input.k2
    const bare = k2.maps.find(
      (m) => (m.type === 12 || m.type === 13) && m.innerMapIndex === undefined
    )
    if (bare !== undefined)
      throw new CliError({
        code: 'K2_MAP_IN_MAP_TEMPLATE',
        message: `map ${bare.name} is a map-in-map; the kernel needs its inner map template: add "inner_map_idx = N" (N: the .maps line of the template) to its line`,
        file: input.file
      })
    const specOf = (m: (typeof k2.maps)[number]): MapSpec => ({
      name: m.name,
      type: m.type,
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries
    })
    const mapDefs = k2.maps.map((m) => ({
      name: m.name,
      type: m.type,
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries
    }))
    const maps = k2.maps.map((m): MapSpec => {
      const inner = m.innerMapIndex === undefined ? undefined : k2.maps[m.innerMapIndex]
      return inner === undefined ? specOf(m) : { ...specOf(m), inner: specOf(inner) }
    })
    return plan({
      insns: k2MapFdsToIndices(
        k2.slots,
        k2.maps.map((m) => m.fd)
      ),
      maps,
      mapDefs,
      mapEntries: [],
      progType: override ?? k2KernelRun(k2.desc.pgmInputType, k2.slots).progType,
      license: 'GPL'
    })
  }
  if (input.object !== undefined) {
    const linked = linkProgram(input.object, program.name)
    if (!linked.ok)
      throw new CliError({ ...linked.error, file: input.file, section: program.section })
    const l = linked.value
    const progType = override ?? l.progType
    if (progType === 0) throw unknownType(input, program)
    return plan({
      insns: l.insns,
      maps: l.maps,
      mapDefs: l.maps.map((m, i) => ({
        name: m.name ?? `map${i}`,
        type: m.type,
        keySize: m.keySize,
        valueSize: m.valueSize,
        maxEntries: m.maxEntries
      })),
      mapEntries: l.mapEntries,
      progType,
      license: l.license
    })
  }
  if (override === undefined) throw unknownType(input, program)
  return plan({
    insns: program.slots,
    maps: [],
    mapDefs: [],
    mapEntries: [],
    progType: override,
    license: 'GPL'
  })
}

/** A program to check: what the kernel loads, its type, and the names of its maps in model order. */
export interface CheckTarget {
  readonly file: string
  readonly section: string
  readonly subject: KernelSubject
  readonly progType: number
  /** Map names in the order of the program's interpreter model (inputs name maps by these). */
  readonly mapNames: readonly string[]
  /** The maps as `--input` specs refer to them. */
  readonly mapDefs: readonly MapDef[]
  /** Instructions as the interpreter runs them (linked; map references by index). */
  readonly slots: readonly Insn[]
  readonly license: string
}

/** Program types whose loads name a BTF attach target: tracing, struct_ops, ext, lsm. */
const BTF_ATTACHED = new Set([26, 27, 28, 29])

/** Summit's own loading of a plan: legacy map-in-map resolved as the legacy loaders do. */
function rawSubject(input: LoadedInput, p: KernelPlan): RawSubject {
  const legacy = input.object !== undefined ? legacyMaps(input.object) : undefined
  return {
    kind: 'raw',
    insns: p.insns,
    maps: legacy !== undefined ? [...legacy.specs, ...p.maps.slice(legacy.specs.length)] : p.maps,
    mapEntries: p.mapEntries,
    progType: p.progType,
    license: p.license,
    ...(legacy !== undefined && legacy.links.length > 0 ? { mapLinks: legacy.links } : {})
  }
}

/**
 * How the kernel loads `program`: an ELF object whole through libbpf unless it has a legacy
 * `maps` section (loaded as iproute2 or the Linux samples' loader would), with Summit's loader as
 * the fallback for objects libbpf refuses; everything else through Summit's loader. An object
 * Summit cannot link still loads through libbpf (without a fallback).
 */
export function checkTarget(
  input: LoadedInput,
  program: LoadedProgram,
  override: number | undefined
): CheckTarget {
  const obj = input.object
  const libbpf = obj !== undefined && !obj.maps.some((m) => m.source === 'legacy')
  let p: KernelPlan | undefined
  try {
    p = kernelPlan(input, program, override)
  } catch (e) {
    if (!libbpf || !(e instanceof CliError) || e.diagnostic?.code === 'KERNEL_UNKNOWN_TYPE') throw e
  }
  const where = { file: input.file, section: program.section }
  if (p === undefined) {
    // libbpf links what Summit cannot; the interpreter's view stays the unlinked code.
    const entry = obj!.programs.find((q) => q.name === program.name && !q.isSubprogram)
    return {
      ...where,
      progType: override ?? entry?.progType.progType ?? 0,
      mapNames: obj!.maps.map((m) => m.name),
      mapDefs: obj!.maps,
      slots: program.slots,
      license: obj!.license ?? 'GPL',
      subject: objectSubject(obj!.elf.bytes, program.name, override, {
        slots: program.slots,
        progType: override ?? entry?.progType.progType ?? 0,
        mapDefs: obj!.maps
      })
    }
  }
  const base = {
    ...where,
    progType: p.progType,
    mapNames: p.mapDefs.map((m, i) => m.name ?? `map${i}`),
    mapDefs: p.mapDefs,
    slots: p.insns,
    license: p.license
  }
  const raw = rawSubject(input, p)
  if (!libbpf) return { ...base, subject: raw }
  // Programs attached through BTF (fentry, LSM, struct_ops, freplace) need libbpf's attach target.
  if (BTF_ATTACHED.has(p.progType))
    return { ...base, subject: objectSubject(obj!.elf.bytes, program.name, override, base) }
  return {
    ...base,
    subject: { ...objectSubject(obj!.elf.bytes, program.name, override, base), fallback: raw }
  }
}

function objectSubject(
  bytes: Uint8Array,
  program: string,
  override: number | undefined,
  model: { slots: readonly Insn[]; progType: number; mapDefs: readonly { type: number }[] }
): ObjectSubject {
  return {
    kind: 'object',
    bytes,
    program,
    ...(override !== undefined ? { progType: override } : {}),
    model: {
      slots: model.slots,
      progType: model.progType,
      mapTypes: model.mapDefs.map((m) => m.type)
    }
  }
}

/**
 * Instructions in the target's linked form (map references by index into `target.mapNames`, as
 * the search writes them) loaded into maps created as the target's own loader creates them.
 */
export function candidateSubject(target: CheckTarget, insns: readonly Insn[]): KernelSubject {
  const base = target.subject
  if (base.kind === 'candidate') return { ...base, insns }
  return {
    kind: 'candidate',
    base,
    insns,
    mapNames: target.mapNames,
    progType: target.progType,
    license: target.license
  }
}

/** A comparison side: the target and, where the interpreter can run it, its model. */
export function compareSide(
  input: LoadedInput,
  program: LoadedProgram,
  target: CheckTarget
): CompareSide {
  let model: CompareSide['model']
  try {
    const r = runnable(
      input,
      program,
      target.progType === 0 ? undefined : progTypeName(target.progType)
    )
    model = { slots: r.slots, maps: r.maps, ctxKind: r.model.ctx, encode: r.model }
  } catch {
    model = undefined
  }
  return {
    label: `${target.file} ${target.section}`,
    subject: target.subject,
    progType: target.progType,
    mapNames: target.mapNames,
    ...(model !== undefined ? { model } : {})
  }
}
