/** @fileoverview Public API of the safety analysis (verifier-like abstract interpretation). */

/** `analyze(program, {progType, maps, ctxSize?})` → accepted with per-instruction states, or a kernel-style reason. */
export { analyze } from './verifier'
export type { AnalysisResult, AnalysisStats, InsnState } from './verifier'
/** Control-flow graph and liveness. */
export { buildCfg } from './cfg'
export type { Block, Cfg, Subprog } from './cfg'
export { liveness, useDef } from './liveness'
export type { UseDef } from './liveness'
/** Types shared with the rest of core. */
export { MapType, T, TYPE_NAMES } from './types'
export type { AnalysisCode, AnalysisError, AnalyzeOptions, MapDef, ProgType, Reg } from './types'
/** Helper prototypes and context rules (for proposal filters and the interpreter). */
export { HELPERS } from './helpers'
export type { ArgKind, HelperSpec } from './helpers'
export { ctxAccess, defaultCtxSize } from './ctx-access'
/** Seeded mutants for the kernel-agreement benchmark. */
export { makeMutants, seededRandom } from './mutants'
export type { Mutant, Mutation } from './mutants'
