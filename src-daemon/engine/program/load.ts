/** @fileoverview Reads any input Summit accepts (ELF, K2 triple, assembly, raw, conformance) into one model. */
import { readFileSync, statSync, existsSync } from 'node:fs'
import { basename } from 'node:path'
import type { Insn } from '../../core/isa/insn'
import { slotsFromBytes } from '../../core/isa/insn'
import { assemble } from '../../core/isa/asm'
import {
  decodeUtf8,
  detectInput,
  k2CompanionNames,
  k2InnerMap,
  parseConformanceData,
  parseK2Program,
  readBpfObject,
  sectionBytes,
  STT,
  type BpfObject,
  type InputKind,
  type MapSlot,
  type K2Program
} from '../../core/formats'
import { InputError } from './input-error'

/** Largest input Summit reads (eBPF objects are small; this guards against mistakes). */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024

/** A map as every command sees it, whatever the input format. */
export interface LoadedMap {
  readonly name: string
  readonly type: number
  readonly keySize: number
  readonly valueSize: number
  readonly maxEntries: number
  /** map_flags, when the format has them. */
  readonly flags?: number
  /** Pinning (0 none; see `BpfMap.pinning`). */
  readonly pinning?: number
  /** Inner map template of a map-in-map. */
  readonly inner?: LoadedMap
  /** What the loader stores in it at creation (map-in-maps and program arrays). */
  readonly initial?: readonly MapSlot[]
}

/** A function symbol inside a section (for llvm-objdump's `<name>:` headers). */
export interface LoadedSymbol {
  readonly name: string
  /** Byte offset within the section. */
  readonly offset: number
}

/** One program: an entry point Summit can run or optimize. */
export interface LoadedProgram {
  /** Function name (or the section name where there is none). */
  readonly name: string
  /** Section name (`.insns` file name for K2 triples, `text` for assembly/raw). */
  readonly section: string
  /** Instruction slots. */
  readonly slots: readonly Insn[]
  /** Program type name (`xdp`, `socket_filter`, `tracepoint`, ... or `unknown`). */
  readonly progType: string
  /** True for `.text` subprograms. */
  readonly isSubprogram: boolean
}

/** A code section as a disassembler lays it out. */
export interface LoadedSection {
  readonly name: string
  readonly slots: readonly Insn[]
  readonly symbols: readonly LoadedSymbol[]
}

/** A loaded input. */
export interface LoadedInput {
  readonly file: string
  readonly kind: InputKind
  readonly programs: readonly LoadedProgram[]
  readonly sections: readonly LoadedSection[]
  readonly maps: readonly LoadedMap[]
  /** License (ELF only). */
  readonly license?: string
  /** The parsed object, for ELF inputs. */
  readonly object?: BpfObject
  /** The parsed triple, for K2 inputs. */
  readonly k2?: K2Program
}

/** Reads a file with size and existence checks. */
export function readInputFile(file: string): Uint8Array {
  if (!existsSync(file))
    throw new InputError({ code: 'INPUT_NOT_FOUND', message: 'no such file', file })
  const st = statSync(file)
  if (!st.isFile())
    throw new InputError({ code: 'INPUT_NOT_FILE', message: 'not a regular file', file })
  if (st.size > MAX_INPUT_BYTES)
    throw new InputError({
      code: 'INPUT_TOO_LARGE',
      message: `${st.size} bytes is more than the ${MAX_INPUT_BYTES}-byte limit`,
      file
    })
  return new Uint8Array(readFileSync(file))
}

/** Where an input and its companions are read from: the file system, or uploaded bytes. */
export interface InputSource {
  /** The bytes of `path`, or undefined when there is no such file. */
  read(path: string): Uint8Array | undefined
}

/** Reads from the file system (size and type checked). */
export const FILE_SYSTEM: InputSource = {
  read: (path) => (existsSync(path) ? readInputFile(path) : undefined)
}

/** Reads from files held in memory (an upload), found by base name. */
export function memorySource(files: readonly { name: string; bytes: Uint8Array }[]): InputSource {
  return { read: (path) => files.find((f) => f.name === basename(path))?.bytes }
}

const K2_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'plain',
  1: 'flat',
  2: 'xdp',
  3: 'sched_cls'
}

/** Loads an ELF object. */
function loadElf(file: string, bytes: Uint8Array): LoadedInput {
  const r = readBpfObject(bytes, { file })
  if (!r.ok) throw new InputError(r.error)
  const obj = r.value
  const sections: LoadedSection[] = []
  for (const s of obj.sections) {
    const fns = obj.programs.filter((p) => p.sectionIndex === s.index)
    if (fns.length === 0) continue
    const slots = slotsFromBytes(sectionBytes(obj.elf, s))
    // llvm-objdump labels every named function or local label (LBB*) symbol of the section.
    const symbols = obj.symbols
      .filter(
        (y) =>
          y.shndx === s.index && y.name !== '' && (y.type === STT.FUNC || y.type === STT.NOTYPE)
      )
      .map((y) => ({ name: y.name, offset: y.value }))
    sections.push({ name: s.name, slots, symbols })
  }
  return {
    file,
    kind: 'elf',
    programs: obj.programs.map((p) => ({
      name: p.name,
      section: p.section,
      slots: p.slots,
      progType: p.progType.name,
      isSubprogram: p.isSubprogram
    })),
    sections,
    maps: obj.maps,
    ...(obj.license !== undefined ? { license: obj.license } : {}),
    object: obj
  }
}

/** Loads a K2 triple (`X.insns` with `X.maps` and `X.desc` beside it). */
function loadK2(file: string, bytes: Uint8Array, source: InputSource): LoadedInput {
  const names = k2CompanionNames(file)
  const companion = (path: string, what: string): string => {
    const b = source.read(path)
    if (b === undefined)
      throw new InputError({
        code: 'K2_MISSING_COMPANION',
        message: `missing ${what} file ${path}`,
        file
      })
    return decodeUtf8(b)
  }
  const r = parseK2Program(
    bytes,
    companion(names.maps, '.maps'),
    companion(names.desc, '.desc'),
    file
  )
  if (!r.ok) throw new InputError(r.error)
  const k2 = r.value
  const section = basename(file)
  const progType = K2_TYPE_NAMES[k2.desc.pgmInputType] ?? 'unknown'
  return {
    file,
    kind: 'k2',
    programs: [{ name: section, section, slots: k2.slots, progType, isSubprogram: false }],
    sections: [{ name: section, slots: k2.slots, symbols: [] }],
    maps: k2.maps.map((m) => {
      const inner = k2InnerMap(k2.maps, m)
      return inner === undefined ? m : { ...m, inner }
    }),
    k2
  }
}

/** Wraps plain slots (assembly, raw bytecode, conformance programs) as one program. */
function plain(file: string, kind: InputKind, slots: readonly Insn[]): LoadedInput {
  const section = 'text'
  return {
    file,
    kind,
    programs: [{ name: section, section, slots, progType: 'plain', isSubprogram: false }],
    sections: [{ name: section, slots, symbols: [] }],
    maps: []
  }
}

/** Loads `file` from the file system, detecting its format from its content. */
export function loadInput(file: string): LoadedInput {
  return loadInputFrom(file, readInputFile(file), FILE_SYSTEM)
}

/** Loads `file` (whose bytes are `bytes`; companions come from `source`). */
export function loadInputFrom(file: string, bytes: Uint8Array, source: InputSource): LoadedInput {
  if (bytes.length > MAX_INPUT_BYTES)
    throw new InputError({
      code: 'INPUT_TOO_LARGE',
      message: `${bytes.length} bytes is more than the ${MAX_INPUT_BYTES}-byte limit`,
      file
    })
  const kind = detectInput(bytes, file)
  switch (kind.kind) {
    case 'elf':
      return loadElf(file, bytes)
    case 'k2': {
      // K2 writes its outputs as bare `.insns`: without companions it is plain bytecode.
      const names = k2CompanionNames(file)
      if (source.read(names.maps) === undefined && source.read(names.desc) === undefined)
        return plain(file, 'raw', slotsFromBytes(bytes))
      return loadK2(file, bytes, source)
    }
    case 'raw':
      return plain(file, 'raw', slotsFromBytes(bytes))
    case 'asm': {
      const r = assemble(decodeUtf8(bytes), 'auto', { file })
      if (!r.ok) throw new InputError(r.error)
      return plain(file, 'asm', r.value)
    }
    case 'conformance': {
      const r = parseConformanceData(decodeUtf8(bytes), file)
      if (!r.ok) throw new InputError(r.error)
      const t = r.value
      if (t.raw !== undefined) return plain(file, 'conformance', t.raw)
      if (t.asm === undefined)
        throw new InputError({
          code: 'CONFORMANCE_NO_PROGRAM',
          message: 'no -- asm or -- raw section',
          file
        })
      const a = assemble(t.asm, 'ubpf', { file })
      if (!a.ok) throw new InputError(a.error)
      return plain(file, 'conformance', a.value)
    }
    case 'unknown':
      throw new InputError({
        code: 'INPUT_UNKNOWN_FORMAT',
        message: `unrecognised input: ${kind.reason}`,
        file
      })
  }
}

/** Selects the programs named by `--section` (section or function name), or all entry programs. */
export function selectPrograms(input: LoadedInput, section: string | undefined): LoadedProgram[] {
  if (section === undefined) {
    const entries = input.programs.filter((p) => !p.isSubprogram)
    return entries.length > 0 ? entries : [...input.programs]
  }
  const found = input.programs.filter((p) => p.section === section || p.name === section)
  if (found.length === 0) {
    const known = input.programs.map((p) => p.section).join(', ')
    throw new InputError({
      code: 'SECTION_NOT_FOUND',
      message: `no program section '${section}' (sections: ${known || 'none'})`,
      file: input.file
    })
  }
  return found
}
