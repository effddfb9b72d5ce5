/** @fileoverview Public API of the search layer. */
export { Candidate, SlotKind, NO_ROW } from './candidate'
export type { SlotKindValue } from './candidate'
export { Chain } from './chain'
export type {
  ChainCounters,
  ChainDeps,
  ChainEvent,
  ProofResult,
  Prover,
  SyncProver,
  Window
} from './chain-types'
export { serializeChain, restoreChain } from './checkpoint'
export type { ChainCheckpoint } from './checkpoint'
export { SearchConfig, defaultSearchOptions, resolveSearchOptions } from './config'
export type { SearchOptions, SearchConfigKey, FieldSchema } from './config'
export { CostModel, instructionCountPerf, latencyPerf } from './cost'
export type { ErrorEvaluator, SafetyCheck, PerfModel, JsonValue, CostBreakdown } from './cost'
export { drive, driveSync } from './drive'
export { ErrorAccumulator } from './error-metric'
export type { ErrorMetricOptions } from './error-metric'
export { latencyOf, ROW_LATENCY } from './latency'
export { Proposer, Move, MOVE_NAMES } from './proposals'
export { Rng } from './rng'
export type { RngState } from './rng'
export { selectWindows, windowSchedule, basicBlocks, liveOut } from './windows'
export type { WindowChoice, WindowOptions } from './windows'
