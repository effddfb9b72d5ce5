/** @fileoverview The interpreter's public surface (see api.ts for the entry points). */
export { BpfMachine, createMachine, ctxKindForK2, resultEquals, runOnce } from './api'
export { compileInto, compileProgram, type CompiledProgram } from './compile'
export { Status } from './machine'
export {
  conformanceProgram,
  runConformanceProgram,
  runConformanceTest,
  type ConformanceVerdict
} from './conformance'
export {
  captureOutcome,
  outcomeDistance,
  outcomeEquals,
  STATUS_MISMATCH_COST,
  type Outcome
} from './outcome'
export { Helper, helperName } from './helper-ids'
export { MapType } from './layout'
export type {
  CtxFields,
  CtxKind,
  Effect,
  ExitResult,
  FaultResult,
  MachineOptions,
  MapDef,
  MapEntryInput,
  MapSnapshot,
  RunInput,
  RunResult
} from './types'
