/**
 * @fileoverview Loads the K2 benchmark programs (and K2's outputs, and assembled variants) as
 * corpus programs: slots with map references by index, interpreter maps, the input model, the
 * safety-analysis program type and the kernel run plan.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { AnalyzeOptions } from '../../src-daemon/core/analysis/types'
import { analyze } from '../../src-daemon/core/analysis/verifier'
import { parseK2Program, type K2Program } from '../../src-daemon/core/formats/k2'
import { ctxKindForK2 } from '../../src-daemon/core/interp/api'
import { compileProgram, type CompiledProgram } from '../../src-daemon/core/interp/compile'
import type { MapDef } from '../../src-daemon/core/interp/types'
import { assemble } from '../../src-daemon/core/isa/asm'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { ProgType } from '../../src-daemon/engine/kernel/bpf-constants'
import { k2KernelRun, type K2KernelRun } from '../../src-daemon/engine/kernel/k2-run-type'
import { programConstants, programFieldOffsets, type InputModel } from './inputs'
import { k2BenchDir, k2OutputsDir } from '../support/environment'

/** The shared K2 benchmark folder (undefined, with a printed skip, when absent). */
export const K2_DIR = k2BenchDir()
/** K2's own outputs for the benchmark. */
export const K2_OUT_DIR = k2OutputsDir()
/** True when the K2 benchmark and K2's outputs are beside the checkout. */
export const HAVE_K2 = K2_DIR !== undefined && K2_OUT_DIR !== undefined
/** This corpus's fixtures. */
export const EQUIV_DIR = fileURLToPath(new URL('../fixtures/equiv/', import.meta.url))

/** The 11 benchmark names. */
export const BENCH_NAMES = [
  'socket-0',
  'socket-1',
  'sys_enter_open',
  'xdp1',
  'xdp_cpumap_enqueue',
  'xdp_devmap_xmit',
  'xdp_exception',
  'xdp_fw',
  'xdp_map_access',
  'xdp_pktcntr',
  'xdp_redirect_err'
] as const

/** The environment a benchmark's programs run in (shared by the original and every variant). */
export interface BenchEnv {
  /** Benchmark name. */
  readonly name: string
  /** Maps in `.maps` order; programs refer to them by index. */
  readonly maps: readonly MapDef[]
  /** What inputs look like. */
  readonly model: InputModel
  /** Options for the safety analysis. */
  readonly analysis: AnalyzeOptions
  /** How the kernel oracle loads and runs the programs. */
  readonly kernel: K2KernelRun
}

/** A program of the corpus in its benchmark's environment. */
export interface CorpusProgram {
  /** Label for messages (e.g. `xdp1`, `xdp1/k2`, `xdp1/opt-1`). */
  readonly label: string
  /** Instruction slots; ld_imm64 map references carry the map index. */
  readonly slots: readonly Insn[]
  /** The environment. */
  readonly env: BenchEnv
}

/** Rewrites ld_imm64 map references from `fd =` values to map indices. */
function fdsToIndices(k2: K2Program): Insn[] {
  const out = k2.slots.map((s) => ({ ...s }))
  for (let i = 0; i < out.length; i++) {
    const s = out[i]!
    if (s.code !== 0x18) continue
    if (s.src === 1) {
      const index = k2.maps.findIndex((m) => m.fd === s.imm)
      if (index >= 0) s.imm = index
    }
    i++
  }
  return out
}

function readTriple(insnsPath: string, name: string): K2Program {
  const r = parseK2Program(
    new Uint8Array(readFileSync(insnsPath)),
    readFileSync(`${K2_DIR ?? ''}${name}.maps`, 'utf8'),
    readFileSync(`${K2_DIR ?? ''}${name}.desc`, 'utf8'),
    insnsPath
  )
  if (!r.ok) throw new Error(`${insnsPath}: ${r.error.code} ${r.error.message}`)
  return r.value
}

function envOf(name: string, k2: K2Program, slots: readonly Insn[]): BenchEnv {
  const maps: MapDef[] = k2.maps.map((m) => ({
    name: m.name,
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries
  }))
  const kernel = k2KernelRun(k2.desc.pgmInputType, k2.slots)
  const progType =
    kernel.progType === ProgType.xdp
      ? 'xdp'
      : kernel.progType === ProgType.socketFilter
        ? 'socket_filter'
        : 'raw_tracepoint'
  return {
    name,
    maps,
    model: {
      ctxKind: ctxKindForK2(k2.desc.pgmInputType),
      maxPktSz: k2.desc.maxPktSz,
      maps,
      constants: programConstants(slots),
      fieldOffsets: programFieldOffsets(slots)
    },
    analysis: { progType, maps, ctxSize: k2.desc.maxPktSz },
    kernel
  }
}

/** The original benchmark program. */
export function loadOriginal(name: string): CorpusProgram {
  const k2 = readTriple(`${K2_DIR ?? ''}${name}.insns`, name)
  const slots = fdsToIndices(k2)
  return { label: name, slots, env: envOf(name, k2, slots) }
}

/** K2's output for a benchmark, in the original's environment. */
export function loadK2Output(name: string): CorpusProgram {
  const original = loadOriginal(name)
  const k2 = readTriple(`${K2_OUT_DIR ?? ''}${name}.insns`, name)
  return { label: `${name}/k2`, slots: fdsToIndices(k2), env: original.env }
}

/** Assembles LLVM-syntax text (map loads `ld_pseudo rN, 1, INDEX`); throws on a bad fixture. */
export function assembleLlvm(text: string, file: string): Insn[] {
  const r = assemble(text, 'llvm', { file })
  if (!r.ok) throw new Error(`${file}:${r.error.line ?? '?'}: ${r.error.code} ${r.error.message}`)
  return r.value
}

/** A variant of a benchmark program: other slots in the same environment. */
export function variant(of: CorpusProgram, label: string, slots: readonly Insn[]): CorpusProgram {
  return { label, slots, env: of.env }
}

/** Compiles a corpus program for the interpreter. */
export function compile(p: CorpusProgram): CompiledProgram {
  return compileProgram(p.slots, p.env.maps, p.env.model.ctxKind)
}

/** Runs the safety analysis; undefined when accepted, else the rejection message. */
export function safetyRejection(p: CorpusProgram): string | undefined {
  const r = analyze(p.slots, { ...p.env.analysis, collectStates: false })
  return r.ok
    ? undefined
    : `${r.error.code}: ${r.error.message}${r.error.index !== undefined ? ` (insn ${r.error.index})` : ''}`
}
