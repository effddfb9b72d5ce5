/**
 * @fileoverview Imported programs: reading uploaded files with the same loader and errors as the
 * CLI, content addressing, the summary the API shows, disassembly, and export of a candidate in
 * the program's own format.
 */
import { createHash } from 'node:crypto'
import { decodeLenient, jumpTarget } from '../core/isa/decode'
import { disasmInsn } from '../core/isa/disasm'
import type { Insn } from '../core/isa/insn'
import { formatObjdumpSection } from '../core/isa/objdump-layout'
import { Candidate } from '../core/search/candidate'
import { BUILTIN_MODEL, latencyOf, type LatencyModel } from '../core/search/latency'
import { InputError } from '../engine/program/input-error'
import {
  loadInputFrom,
  memorySource,
  selectPrograms,
  type LoadedInput
} from '../engine/program/load'
import { mapTypeName } from '../engine/program/map-types'
import { outputBytes } from '../engine/program/output'
import { runnable, type RunnableProgram } from '../engine/program/program-model'
import type { Disassembly, InsnLine, ProgramInfo } from '../api/protocol/schemas'
import type { ExportFormat } from '../api/protocol/routes'
import type { StoredFile, StoredProgram } from '../store/store'

/** Content address of a set of files (names and bytes, in order). */
function contentId(files: readonly StoredFile[]): string {
  const h = createHash('sha256')
  for (const f of files) {
    h.update(`${f.name}\0${f.bytes.length}\0`)
    h.update(f.bytes)
  }
  return h.digest('hex')
}

/** Loads stored (or uploaded) files: the first is the program, the others its companions. */
export function loadFiles(files: readonly StoredFile[]): LoadedInput {
  const main = files[0]
  if (main === undefined) throw new InputError({ code: 'INPUT_EMPTY', message: 'no file given' })
  if (!/^[^/\\\0]+$/.test(main.name) || main.name === '.' || main.name === '..')
    throw new InputError({ code: 'INPUT_NAME', message: `bad file name '${main.name}'` })
  return loadInputFrom(main.name, main.bytes, memorySource(files))
}

/**
 * Reads uploaded files into a program to store (estimated latencies under `latency`); throws
 * InputError as the CLI would.
 */
export function importFiles(
  files: readonly StoredFile[],
  now = Date.now(),
  latency: LatencyModel = BUILTIN_MODEL
): StoredProgram {
  const input = loadFiles(files)
  const info: ProgramInfo = {
    id: contentId(files),
    fileName: input.file,
    format: input.kind,
    ...(input.license !== undefined ? { license: input.license } : {}),
    importedAt: now,
    sections: input.programs.map((p) => ({
      section: p.section,
      name: p.name,
      type: p.progType,
      subprogram: p.isSubprogram,
      slots: p.slots.length,
      instructions: decodeLenient(p.slots).length,
      size: p.slots.length * 8,
      latency: estimatedLatency(p.slots, latency)
    })),
    maps: input.maps.map((m) => ({
      name: m.name,
      type: mapTypeName(m.type),
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries
    }))
  }
  return { info, files }
}

/** The runnable form of one program (section) of a stored input. */
export function runnableOf(
  input: LoadedInput,
  section: string | undefined
): { program: LoadedInput['programs'][number]; runnable: RunnableProgram } {
  const progs = selectPrograms(input, section)
  if (progs.length > 1)
    throw new InputError({
      code: 'SECTION_AMBIGUOUS',
      message: `several programs (${progs.map((p) => p.section).join(', ')}); choose a section`,
      file: input.file
    })
  const program = progs[0]!
  return { program, runnable: runnable(input, program) }
}

/** One line per instruction (llvm syntax) with its slot index and, for jumps, the target slot. */
export function insnLines(slots: readonly Insn[]): InsnLine[] {
  return decodeLenient(slots).map((d) => {
    const t = disasmInsn(d, 'llvm')
    const target = d.spec !== undefined ? jumpTarget(d) : undefined
    return {
      slot: d.index,
      text: t.ok ? t.value : `<bad: ${t.error.message}>`,
      ...(target !== undefined ? { target } : {})
    }
  })
}

/** Estimated latency of a program's slots under `model` (the search's latency table). */
export function estimatedLatency(
  slots: readonly Insn[],
  model: LatencyModel = BUILTIN_MODEL
): number {
  return latencyOf(Candidate.fromSlots(slots), model)
}

/** llvm-objdump text and per-instruction lines of a section. */
export function disassemble(input: LoadedInput, section: string): Disassembly {
  const s = input.sections.find(
    (x) => x.name === section || x.symbols.some((f) => f.name === section)
  )
  if (s === undefined)
    throw new InputError({
      code: 'SECTION_NOT_FOUND',
      message: `no program section '${section}' (sections: ${input.sections.map((x) => x.name).join(', ')})`,
      file: input.file
    })
  return {
    section: s.name,
    text: formatObjdumpSection(s.name, s.slots, { symbols: s.symbols }),
    lines: insnLines(s.slots),
    latency: estimatedLatency(s.slots)
  }
}

/** A candidate as a file: the program's own format, or assembly text. */
export function exportBytes(
  input: LoadedInput,
  section: string,
  best: Candidate,
  format: ExportFormat
): { bytes: Uint8Array; fileName: string } {
  const { program, runnable: r } = runnableOf(input, section)
  const base = input.file.replace(/\.[^.]*$/, '')
  if (format === 'asm') {
    const text = insnLines(best.compact())
      .map((l) => `\t${l.text.trim()}`)
      .join('\n')
    return { bytes: new TextEncoder().encode(text + '\n'), fileName: `${base}.summit.s` }
  }
  const ext = /\.[^.]*$/.exec(input.file)?.[0] ?? ''
  return { bytes: outputBytes(input, program, r.slots, best), fileName: `${base}.summit${ext}` }
}
