/**
 * @fileoverview The loaders behind `loadSubject`: Summit's own (maps created and filled here, with
 * the fixes every production loader makes to map definitions), libbpf's for whole objects (with
 * Summit's as the fallback for objects libbpf refuses), and candidates loaded into either's maps.
 */
import { fail, ok, type Result } from '../../core/util/result'
import { MapType } from './bpf-constants'
import { simulatedRejection } from './features'
import type { KernelError } from './kernel-error'
import type {
  CandidateSubject,
  LoadedSubject,
  ObjectSubject,
  RawSubject,
  SubjectMap
} from './kernel-subject'
import type { KernelOracle } from './oracle'
import type { LoadedObject, MapHandle, MapSpec } from './oracle-types'

/**
 * A map definition as production loaders pass it to the kernel: ring buffers without key and
 * value sizes (a value type is often declared for code generators), perf event arrays with 4-byte
 * keys and values, map-in-map and program arrays with 4-byte values (ids and fds), and a map
 * declared with 0 entries (its loader sizes it: libbpf for perf arrays, Falco for its per-CPU
 * scratch arrays) with one entry per possible CPU.
 */
export function kernelMapSpec(spec: MapSpec, possibleCpus: number): MapSpec {
  const inner = spec.inner !== undefined ? { inner: kernelMapSpec(spec.inner, possibleCpus) } : {}
  const maxEntries = spec.maxEntries || possibleCpus
  switch (spec.type) {
    case MapType.ringbuf:
      return { ...spec, keySize: 0, valueSize: 0, ...inner }
    case MapType.perfEventArray:
      return { ...spec, keySize: 4, valueSize: 4, maxEntries, ...inner }
    case MapType.arrayOfMaps:
    case MapType.hashOfMaps:
    case MapType.progArray:
      return { ...spec, valueSize: 4, maxEntries, ...inner }
    default:
      return { ...spec, maxEntries, ...inner }
  }
}

function byModelName(maps: readonly SubjectMap[], nameOf: (model: string) => string) {
  return (model: string): SubjectMap | undefined => maps.find((m) => m.name === nameOf(model))
}

/** Creates, links and fills the maps of a raw subject; handles in index order. */
async function createMaps(
  oracle: KernelOracle,
  s: RawSubject,
  handles: MapHandle[]
): Promise<Result<void, KernelError>> {
  const a = await oracle.availability()
  const cpus = a.available ? a.possibleCpus : 1
  for (const spec of s.maps) {
    const m = await oracle.createMap(kernelMapSpec(spec, cpus))
    if (!m.ok)
      return fail({ ...m.error, message: `map ${spec.name ?? handles.length}: ${m.error.message}` })
    handles.push(m.value)
  }
  for (const link of s.mapLinks ?? []) {
    const key = new Uint8Array(4)
    const value = new Uint8Array(4)
    new DataView(key.buffer).setUint32(0, link.key, true)
    new DataView(value.buffer).setUint32(0, handles[link.inner]!.fd, true)
    const u = await oracle.updateMap(handles[link.outer]!, key, value)
    if (!u.ok)
      return fail({
        ...u.error,
        message: `storing map ${link.inner} in map ${link.outer}: ${u.error.message}`
      })
  }
  for (const [i, entries] of s.mapEntries.entries())
    for (const e of entries ?? []) {
      const u = await oracle.updateMap(handles[i]!, e.key, e.value)
      if (!u.ok) return u
    }
  for (const h of handles) {
    if (h.spec.freeze !== true) continue
    const f = await oracle.freezeMap(h)
    if (!f.ok) return f
  }
  return ok(undefined)
}

/** Loads a raw subject with Summit's own loader (`notes` are carried into the result). */
export async function loadRaw(
  oracle: KernelOracle,
  s: RawSubject,
  logLevel: number,
  notes: readonly string[] = []
): Promise<Result<LoadedSubject, KernelError>> {
  const handles: MapHandle[] = []
  const closeAll = async (): Promise<void> => {
    for (const h of handles.splice(0)) await oracle.close(h)
  }
  const created = await createMaps(oracle, s, handles)
  if (!created.ok) {
    await closeAll()
    return created
  }
  const loaded = await oracle.load(s.insns, handles, {
    progType: s.progType,
    license: s.license,
    logLevel,
    ...(s.expectedAttachType !== undefined ? { expectedAttachType: s.expectedAttachType } : {})
  })
  if (!loaded.ok) {
    await closeAll()
    return loaded
  }
  const maps = handles.map((h, i) => ({ name: s.maps[i]?.name ?? `map${i}`, handle: h }))
  return ok({
    program: loaded.value,
    progType: s.progType,
    maps,
    loader: 'summit',
    notes,
    mapNamed: byModelName(maps, (n) => n),
    close: async () => {
      await oracle.close(loaded.value)
      await closeAll()
    }
  })
}

/** Failures of libbpf (not of the verifier) after which Summit's own loader is tried. */
function libbpfRefused(e: KernelError): boolean {
  return e.code === 'KERNEL_OBJECT_OPEN' || e.code === 'KERNEL_OBJECT_LOAD'
}

function fallbackNote(e: KernelError): string {
  return `libbpf refused the object (${e.message}); loaded by Summit's own loader instead`
}

function libbpfMaps(obj: LoadedObject): SubjectMap[] {
  return obj.maps.map((m) => ({ name: m.name, handle: m.handle }))
}

/** Loads an object with libbpf, or with Summit's loader when libbpf refuses it and there is a fallback. */
export async function loadObject(
  oracle: KernelOracle,
  s: ObjectSubject,
  logLevel: number
): Promise<Result<LoadedSubject, KernelError>> {
  const override =
    s.progType !== undefined || s.expectedAttachType !== undefined
      ? [
          {
            name: s.program,
            ...(s.progType !== undefined ? { progType: s.progType } : {}),
            ...(s.expectedAttachType !== undefined
              ? { expectedAttachType: s.expectedAttachType }
              : {})
          }
        ]
      : []
  if (s.model !== undefined) {
    const simulated = simulatedRejection(s.model.slots, s.model.progType, s.model.mapTypes)
    if (simulated !== undefined) return fail(simulated)
  }
  const opened = await oracle.openObject(s.bytes, {
    programs: override,
    load: [s.program],
    logLevel
  })
  if (!opened.ok) {
    if (s.fallback !== undefined && libbpfRefused(opened.error))
      return loadRaw(oracle, s.fallback, logLevel, [fallbackNote(opened.error)])
    return opened
  }
  const obj = opened.value
  const prog = obj.programs.find((p) => p.name === s.program)
  if (prog?.program === undefined) {
    await oracle.closeObject(obj)
    return fail({ code: 'KERNEL_HELPER', message: `libbpf did not load program ${s.program}` })
  }
  const notes = [
    ...obj.maps
      .filter((m) => m.pinning)
      .map(
        (m) => `map ${m.name} asks to be pinned: created fresh instead, nothing under /sys/fs/bpf`
      ),
    ...obj.adjusted
  ]
  const maps = libbpfMaps(obj)
  return ok({
    program: prog.program,
    progType: prog.progType,
    maps,
    loader: 'libbpf',
    notes,
    mapNamed: byModelName(maps, libbpfMapName),
    close: () => oracle.closeObject(obj)
  })
}

/** Loads a candidate into maps created as its base's loader creates them. */
export async function loadCandidate(
  oracle: KernelOracle,
  s: CandidateSubject,
  logLevel: number
): Promise<Result<LoadedSubject, KernelError>> {
  const base = s.base
  if (base.kind === 'raw')
    return loadRaw(oracle, { ...base, insns: s.insns, progType: s.progType }, logLevel)
  // libbpf creates (and fills) the maps; no program of the object is loaded.
  const opened = await oracle.openObject(base.bytes, { load: [] })
  if (!opened.ok) {
    if (base.fallback !== undefined && libbpfRefused(opened.error))
      return loadRaw(oracle, { ...base.fallback, insns: s.insns, progType: s.progType }, logLevel, [
        fallbackNote(opened.error)
      ])
    return opened
  }
  const obj = opened.value
  const maps = libbpfMaps(obj)
  const mapNamed = byModelName(maps, libbpfMapName)
  const handles: MapHandle[] = []
  for (const name of s.mapNames) {
    const m = mapNamed(name)
    if (m === undefined) {
      await oracle.closeObject(obj)
      return fail({ code: 'KERNEL_BAD_INPUT', message: `libbpf created no map ${name}` })
    }
    handles.push(m.handle)
  }
  const attach =
    base.expectedAttachType ?? obj.programs.find((p) => p.name === base.program)?.expectedAttachType
  const loaded = await oracle.load(s.insns, handles, {
    progType: s.progType,
    license: s.license,
    logLevel,
    ...(attach !== undefined ? { expectedAttachType: attach } : {})
  })
  if (!loaded.ok) {
    await oracle.closeObject(obj)
    return loaded
  }
  return ok({
    program: loaded.value,
    progType: s.progType,
    maps,
    loader: 'libbpf',
    notes: [],
    mapNamed,
    close: async () => {
      await oracle.close(loaded.value)
      await oracle.closeObject(obj)
    }
  })
}

/** libbpf's names of the maps it makes for global data sections (object name "o"). */
const LIBBPF_PREFIXED = new Set(['.data', '.rodata', '.bss', '.kconfig'])

/**
 * libbpf's name of the map a program model calls `modelName`: the same, except for the maps of
 * `.data`, `.rodata`, `.bss` and `.kconfig`, named after the object (`o.data`, ...).
 */
export function libbpfMapName(modelName: string): string {
  return LIBBPF_PREFIXED.has(modelName) ? `o${modelName}` : modelName
}
