/**
 * @fileoverview What the kernel loads for a check: a whole ELF object through libbpf (as users'
 * loaders do), or instructions with maps Summit creates (K2 triples, raw code, the search's
 * candidates, objects libbpf refuses). Both load into the same shape: a program fd and named
 * maps. The loaders are in subject-load.ts.
 */
import type { Insn } from '../../core/isa/insn'
import type { Result } from '../../core/util/result'
import { progTypeName } from './bpf-constants'
import type { MapLink } from './legacy-maps'
import type { KernelError } from './kernel-error'
import type { KernelOracle } from './oracle'
import type { LoadedProgram, MapHandle, MapInitEntry, MapSpec } from './oracle-types'
import { loadCandidate, loadObject, loadRaw } from './subject-load'

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
  /**
   * How Summit's own loader loads the program, for objects libbpf refuses (static entry
   * programs, pinning values only iproute2 knows, programs without symbols, ring buffers with a
   * value type): the other loaders users run accept them.
   */
  readonly fallback?: RawSubject
  /** The program as Summit reads it, for SUMMIT_KERNEL_FEATURES_OFF's simulated kernels. */
  readonly model?: {
    readonly slots: readonly Insn[]
    readonly progType: number
    readonly mapTypes: readonly number[]
  }
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
  /** What the loader did differently from a production loader (pinning, fallbacks). */
  readonly notes: readonly string[]
  /** The map a program model calls `modelName` (libbpf names global data `o.data`, ...). */
  mapNamed(modelName: string): SubjectMap | undefined
  close(): Promise<void>
}

/** BPF_F_RDONLY_PROG: the program may only read the map (libbpf also freezes `.rodata`). */
const RDONLY_PROG = 1 << 7

/** Whether user space may write the map (frozen `.rodata` maps refuse). */
export function isWritableMap(spec: MapSpec): boolean {
  return ((spec.flags ?? 0) & RDONLY_PROG) === 0
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
