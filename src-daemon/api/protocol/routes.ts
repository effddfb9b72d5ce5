/**
 * @fileoverview The API's routes: method, path, body and answer schema of each. The server
 * registers exactly these and the client calls them, so the two cannot drift apart.
 */
import { Type, type TSchema } from '@sinclair/typebox'
import {
  CandidateDetail,
  CandidateInfo,
  CreateJobRequest,
  Disassembly,
  Health,
  ImportRequest,
  Job,
  KernelCheckQueued,
  MetricPoint,
  PriorityRequest,
  ProgramInfo
} from './schemas'

/** One route. `:id` in the path is a path parameter. */
export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'DELETE'
  readonly path: string
  /** JSON body schema (POST). */
  readonly body?: TSchema
  /** JSON answer schema; absent for byte downloads. */
  readonly response?: TSchema
}

/** Answer of the config-schema route: the search options and the other job fields. */
export const ConfigSchemaAnswer = Type.Object({
  /** The SearchConfig JSON Schema (core/search/config.ts). */
  searchConfig: Type.Unknown(),
  /** The JobExtras JSON Schema (schemas.ts). */
  jobExtras: Type.Unknown()
})

/** Job actions (POST /api/jobs/:id/<action>). */
export const JOB_ACTIONS = ['start', 'pause', 'resume', 'cancel'] as const
/** A job action. */
export type JobAction = (typeof JOB_ACTIONS)[number]

/** Export formats: the program's own format (for objects, the patched `.o`) or assembly text. */
export const EXPORT_FORMATS = ['native', 'asm'] as const
/** An export format. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** Every route of the API. */
export const ROUTES = {
  health: { method: 'GET', path: '/api/health', response: Health },
  configSchema: { method: 'GET', path: '/api/config-schema', response: ConfigSchemaAnswer },
  importProgram: {
    method: 'POST',
    path: '/api/programs',
    body: ImportRequest,
    response: ProgramInfo
  },
  listPrograms: { method: 'GET', path: '/api/programs', response: Type.Array(ProgramInfo) },
  getProgram: { method: 'GET', path: '/api/programs/:id', response: ProgramInfo },
  /** Query: `section`. */
  disassemble: { method: 'GET', path: '/api/programs/:id/disasm', response: Disassembly },
  listJobs: { method: 'GET', path: '/api/jobs', response: Type.Array(Job) },
  createJob: { method: 'POST', path: '/api/jobs', body: CreateJobRequest, response: Job },
  getJob: { method: 'GET', path: '/api/jobs/:id', response: Job },
  deleteJob: {
    method: 'DELETE',
    path: '/api/jobs/:id',
    response: Type.Object({ deleted: Type.Integer() })
  },
  /** `:action` is one of {@link JOB_ACTIONS}. */
  jobAction: {
    method: 'POST',
    path: '/api/jobs/:id/:action',
    body: Type.Object({}, { additionalProperties: false }),
    response: Job
  },
  setPriority: {
    method: 'POST',
    path: '/api/jobs/:id/priority',
    body: PriorityRequest,
    response: Job
  },
  /** Query: `maxPoints` (default 2000): the series, downsampled to at most that many points. */
  metrics: { method: 'GET', path: '/api/jobs/:id/metrics', response: Type.Array(MetricPoint) },
  /** Every best a chain reported, with its final-check verdict. */
  candidates: {
    method: 'GET',
    path: '/api/jobs/:id/candidates',
    response: Type.Array(CandidateInfo)
  },
  /** The improvements: sound candidates that each beat all earlier ones, in time order. */
  improvements: {
    method: 'GET',
    path: '/api/jobs/:id/improvements',
    response: Type.Array(CandidateInfo)
  },
  getCandidate: { method: 'GET', path: '/api/candidates/:id', response: CandidateDetail },
  /**
   * Queues a kernel check of the candidate against its job's original (one at a time, tens of
   * seconds); the verdict arrives as a `kernelCheck` event and in the candidate's `kernel`.
   */
  kernelCheck: {
    method: 'POST',
    path: '/api/candidates/:id/kernel-check',
    body: Type.Object({}, { additionalProperties: false }),
    response: KernelCheckQueued
  },
  /** Query: `format` (native | asm). Answers the file's bytes with a Content-Disposition name. */
  exportCandidate: { method: 'GET', path: '/api/candidates/:id/export' },
  /** WebSocket upgrade; the token may come as `?token=` (browsers cannot set headers there). */
  events: { method: 'GET', path: '/api/events' }
} as const satisfies Readonly<Record<string, RouteSpec>>

/** A route name. */
export type RouteName = keyof typeof ROUTES
