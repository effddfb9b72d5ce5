/**
 * @fileoverview What the kernel loads for a check: a whole ELF object through libbpf (as users'
 * loaders do), or instructions with maps Summit creates (K2 triples, raw code, the search's
 * candidates, objects libbpf refuses). Both load into the same shape: a program fd and named maps.
 */
import type { Insn } from '../../core/isa/insn'
import { fail, ok, type Result } from '../../core/util/result'
import { progTypeName } from './bpf-constants'
import type { MapLink } from './iproute2-maps'
import type { KernelError } from './kernel-error'
import type { KernelOracle } from './oracle'
import type { LoadedProgram, MapHandle, MapInitEntry, MapSpec } from './oracle-types'

/** A whole object loaded with libbpf; `program` is the function to check. */
export interface ObjectSubject {
  readonly kind: 'object'
  /** The ELF image. */
  readonly bytes: Uint8Array
  /** Function name of the program to load. */
  readonly program: string
  /** Program type, overriding libbpf's guess from the section name. */
  readonly progType?: number
  /** Expected attach type, overriding libbpf's guess. */
  readonly expectedAttachType?: number
}

/** Instructions whose ld_imm64 map references hold indices into `maps`. */
export interface RawSubject {
  readonly kind: 'raw'
  readonly insns: readonly Insn[]
  /** Maps to create, in index order (names are used to pair maps across subjects). */
  readonly maps: readonly MapSpec[]
  /** Initial contents by map index (global data sections start with their bytes). */
  readonly mapEntries: readonly (readonly MapInitEntry[] | undefined)[]
  readonly progType: number
  readonly expectedAttachType?: number
  readonly license: string
  /** Inner maps to store into outer maps after creation (iproute2's map-in-map), by map index. */
  readonly mapLinks?: readonly MapLink[]
}

/**
 * Instructions (map references by index into `mapNames`) loaded into the maps of `base`, created
 * as `base` would create them: the search's candidates of an object get libbpf's maps.
 */
export interface CandidateSubject {
  readonly kind: 'candidate'
  readonly base: ObjectSubject | RawSubject
  readonly insns: readonly Insn[]
  /** Names of the maps the instructions refer to, by index (model names). */
  readonly mapNames: readonly string[]
  readonly progType: number
  readonly license: string
}

/** Something the kernel can load. */
export type KernelSubject = ObjectSubject | RawSubject | CandidateSubject

/** A map of a loaded subject. */
export interface SubjectMap {
  /** Name (libbpf's for objects: internal maps are `o.data`, `o.rodata`, `o.bss`, ...). */
  readonly name: string
  readonly handle: MapHandle
}

/** A loaded subject; `close` frees the program and its maps. */
export interface LoadedSubject {
  readonly program: LoadedProgram
  /** The type it was loaded as. */
  readonly progType: number
  readonly maps: readonly SubjectMap[]
  /** Who created the maps and relocated the program: libbpf, or Summit's own loader. */
  readonly loader: 'libbpf' | 'summit'
  /** libbpf's warnings (objects only). */
  readonly notes: readonly string[]
  close(): Promise<void>
}

/** BPF_F_RDONLY_PROG: the program may only read the map (libbpf also freezes `.rodata`). */
const RDONLY_PROG = 1 << 7

/** Whether user space may write the map (frozen `.rodata` maps refuse). */
export function isWritableMap(spec: MapSpec): boolean {
  return ((spec.flags ?? 0) & RDONLY_PROG) === 0
}

async function loadRaw(
  oracle: KernelOracle,
  s: RawSubject,
  logLevel: number
): Promise<Result<LoadedSubject, KernelError>> {
  const handles: MapHandle[] = []
  const closeAll = async (): Promise<void> => {
    for (const h of handles.splice(0)) await oracle.close(h)
  }
  for (const spec of s.maps) {
    const m = await oracle.createMap(spec)
    if (!m.ok) {
      await closeAll()
      return fail({ ...m.error, message: `map ${spec.name ?? handles.length}: ${m.error.message}` })
    }
    handles.push(m.value)
  }
  for (const link of s.mapLinks ?? []) {
    const key = new Uint8Array(4)
    const value = new Uint8Array(4)
    new DataView(key.buffer).setUint32(0, link.key, true)
    new DataView(value.buffer).setUint32(0, handles[link.inner]!.fd, true)
    const u = await oracle.updateMap(handles[link.outer]!, key, value)
    if (!u.ok) {
      await closeAll()
      return fail({
        ...u.error,
        message: `storing map ${link.inner} in map ${link.outer}: ${u.error.message}`
      })
    }
  }
  for (const [i, entries] of s.mapEntries.entries())
    for (const e of entries ?? []) {
      const u = await oracle.updateMap(handles[i]!, e.key, e.value)
      if (!u.ok) {
        await closeAll()
        return u
      }
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
    notes: [],
    close: async () => {
      await oracle.close(loaded.value)
      await closeAll()
    }
  })
}

async function loadObject(
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
  const opened = await oracle.openObject(s.bytes, {
    programs: override,
    load: [s.program],
    logLevel
  })
  if (!opened.ok) return opened
  const obj = opened.value
  const prog = obj.programs.find((p) => p.name === s.program)
  if (prog?.program === undefined) {
    await oracle.closeObject(obj)
    return fail({ code: 'KERNEL_HELPER', message: `libbpf did not load program ${s.program}` })
  }
  const notes = obj.maps
    .filter((m) => m.pinning)
    .map((m) => `map ${m.name} asks to be pinned: created fresh instead, nothing under /sys/fs/bpf`)
  return ok({
    program: prog.program,
    progType: prog.progType,
    maps: obj.maps.map((m) => ({ name: m.name, handle: m.handle })),
    loader: 'libbpf',
    notes,
    close: () => oracle.closeObject(obj)
  })
}

async function loadCandidate(
  oracle: KernelOracle,
  s: CandidateSubject,
  logLevel: number
): Promise<Result<LoadedSubject, KernelError>> {
  const base = s.base
  if (base.kind === 'raw')
    return loadRaw(oracle, { ...base, insns: s.insns, progType: s.progType }, logLevel)
  // libbpf creates (and fills) the maps; no program of the object is loaded.
  const opened = await oracle.openObject(base.bytes, { load: [] })
  if (!opened.ok) return opened
  const obj = opened.value
  const handles: MapHandle[] = []
  for (const name of s.mapNames) {
    const m = obj.maps.find((x) => x.name === kernelMapName(base, name))
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
    maps: obj.maps.map((m) => ({ name: m.name, handle: m.handle })),
    loader: 'libbpf',
    notes: [],
    close: async () => {
      await oracle.close(loaded.value)
      await oracle.closeObject(obj)
    }
  })
}

/** Loads a subject fresh (new maps); a verifier rejection is KERNEL_VERIFIER_REJECTED with the log. */
export function loadSubject(
  oracle: KernelOracle,
  subject: KernelSubject,
  logLevel = 0
): Promise<Result<LoadedSubject, KernelError>> {
  switch (subject.kind) {
    case 'object':
      return loadObject(oracle, subject, logLevel)
    case 'raw':
      return loadRaw(oracle, subject, logLevel)
    case 'candidate':
      return loadCandidate(oracle, subject, logLevel)
  }
}

/** libbpf's names of the maps it makes for global data sections (object name "o"). */
const LIBBPF_PREFIXED = new Set(['.data', '.rodata', '.bss', '.kconfig'])

/**
 * The kernel name of the map a program model calls `modelName`: the same, except that libbpf
 * names the maps of `.data`, `.rodata`, `.bss` and `.kconfig` after the object (`o.data`, ...).
 */
export function kernelMapName(subject: KernelSubject, modelName: string): string {
  const base = subject.kind === 'candidate' ? subject.base : subject
  return base.kind === 'object' && LIBBPF_PREFIXED.has(modelName) ? `o${modelName}` : modelName
}

/** How the verifier took a program: the type and loader, sizes, and the log of a rejection. */
export interface VerifierVerdict {
  readonly progType: string
  readonly loader: 'libbpf' | 'summit'
  readonly accepted: boolean
  readonly verifiedInsns?: number
  readonly xlatedBytes?: number
  readonly jitedBytes?: number
  /** The verifier's log (a rejection's reasons). */
  readonly log?: string
  readonly notes: readonly string[]
}

/** The verdict of a loaded (accepted) subject. */
export function acceptedVerdict(l: LoadedSubject): VerifierVerdict {
  return {
    progType: progTypeName(l.progType),
    loader: l.loader,
    accepted: true,
    verifiedInsns: l.program.verifiedInsns,
    xlatedBytes: l.program.xlatedBytes,
    jitedBytes: l.program.jitedBytes,
    notes: l.notes
  }
}

/** The verdict of a subject the verifier rejected with `error` (KERNEL_VERIFIER_REJECTED). */
export function rejectedVerdict(
  subject: KernelSubject,
  progType: number,
  error: KernelError
): VerifierVerdict {
  const base = subject.kind === 'candidate' ? subject.base : subject
  return {
    progType: progTypeName(progType),
    loader: base.kind === 'object' ? 'libbpf' : 'summit',
    accepted: false,
    log: error.log ?? error.message,
    notes: []
  }
}
