/**
 * @fileoverview The daemon's data as schemas (TypeBox, i.e. JSON Schema): programs, jobs,
 * candidates, metrics, health and events. Each schema gives the TypeScript type (`Static`) and
 * validates at run time; the CLI and the renderer use the same definitions.
 */
import { Type, type Static } from '@sinclair/typebox'

/** Protocol version, sent in health answers; bumped on incompatible changes. */
export const PROTOCOL_VERSION = 1

/** An API error body. */
export const ErrorBody = Type.Object({ code: Type.String(), message: Type.String() })
export type ErrorBody = Static<typeof ErrorBody>

/** A map of an imported program. */
export const MapInfo = Type.Object({
  name: Type.String(),
  type: Type.String(),
  keySize: Type.Integer(),
  valueSize: Type.Integer(),
  maxEntries: Type.Integer()
})
export type MapInfo = Static<typeof MapInfo>

/** One program (section) of an imported file. */
export const SectionInfo = Type.Object({
  section: Type.String(),
  name: Type.String(),
  type: Type.String({ description: 'Program type (xdp, socket_filter, ...).' }),
  subprogram: Type.Boolean(),
  slots: Type.Integer(),
  instructions: Type.Integer(),
  /** Bytes of code. */
  size: Type.Integer(),
  /** Estimated latency (ns, the search's latency table). */
  latency: Type.Number()
})
export type SectionInfo = Static<typeof SectionInfo>

/** An imported file (content-addressed). */
export const ProgramInfo = Type.Object({
  id: Type.String({ description: 'SHA-256 of the file and its companions.' }),
  fileName: Type.String(),
  format: Type.String({ description: 'elf, k2, asm, raw or conformance.' }),
  license: Type.Optional(Type.String()),
  importedAt: Type.Number({ description: 'Milliseconds since the epoch.' }),
  sections: Type.Array(SectionInfo),
  maps: Type.Array(MapInfo)
})
export type ProgramInfo = Static<typeof ProgramInfo>

/** One uploaded file: the program first, then companions (K2's `.maps` and `.desc`). */
export const UploadFile = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  base64: Type.String()
})

/** Import request. */
export const ImportRequest = Type.Object(
  { files: Type.Array(UploadFile, { minItems: 1, maxItems: 3 }) },
  { additionalProperties: false }
)
export type ImportRequest = Static<typeof ImportRequest>

/** One instruction of a listing: slot, llvm-syntax text and, for jumps and local calls, the target. */
export const InsnLine = Type.Object({
  slot: Type.Integer(),
  text: Type.String(),
  /** Slot a jump (or bpf-to-bpf call) goes to; absent for other instructions. */
  target: Type.Optional(Type.Integer())
})
export type InsnLine = Static<typeof InsnLine>

/** Disassembly of one section. */
export const Disassembly = Type.Object({
  section: Type.String(),
  /** llvm-objdump -d text of the section. */
  text: Type.String(),
  /** One line per instruction. */
  lines: Type.Array(InsnLine),
  /** Estimated latency (ns, the search's latency table; not measured). */
  latency: Type.Number()
})
export type Disassembly = Static<typeof Disassembly>

/** Job states. `running` jobs want CPU (they may wait for a free core). */
export const JobState = Type.Union([
  Type.Literal('created'),
  Type.Literal('running'),
  Type.Literal('paused'),
  Type.Literal('completed'),
  Type.Literal('cancelled'),
  Type.Literal('failed')
])
export type JobState = Static<typeof JobState>

/** Job fields that are not search options. */
export const JobExtras = Type.Object(
  {
    proofTimeoutMs: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 3_600_000,
        default: 20_000,
        description: 'Time limit of one equivalence proof (ms).'
      })
    ),
    windows: Type.Optional(
      Type.Array(Type.Tuple([Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 0 })]), {
        maxItems: 4096,
        description: 'Explicit windows (inclusive slot ranges) instead of the automatic choice.'
      })
    )
  },
  { additionalProperties: false }
)
export type JobExtras = Static<typeof JobExtras>

/** A job as the API shows it. */
export const Job = Type.Object({
  id: Type.Integer(),
  programId: Type.String(),
  section: Type.String(),
  name: Type.String(),
  state: JobState,
  priority: Type.Integer(),
  config: Type.Record(Type.String(), Type.Unknown(), {
    description: 'Resolved search options (see the config schema).'
  }),
  extras: JobExtras,
  createdAt: Type.Number(),
  startedAt: Type.Union([Type.Number(), Type.Null()]),
  updatedAt: Type.Number(),
  finishedAt: Type.Union([Type.Number(), Type.Null()]),
  /** Milliseconds the job has had at least one chain running. */
  elapsedMs: Type.Number(),
  iterations: Type.Number(),
  evaluations: Type.Number(),
  originalSlots: Type.Integer(),
  bestSlots: Type.Integer(),
  bestPerf: Type.Number(),
  /** Chains running now (0 while waiting for a core or not running). */
  runningChains: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()])
})
export type Job = Static<typeof Job>

/** Create-job request. */
export const CreateJobRequest = Type.Object(
  {
    programId: Type.String({ minLength: 1, maxLength: 128 }),
    section: Type.Optional(Type.String({ maxLength: 1024 })),
    name: Type.Optional(Type.String({ maxLength: 256 })),
    priority: Type.Optional(Type.Integer({ minimum: -100, maximum: 100 })),
    config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    extras: Type.Optional(JobExtras),
    start: Type.Optional(Type.Boolean())
  },
  { additionalProperties: false }
)
export type CreateJobRequest = Static<typeof CreateJobRequest>

/** Set-priority request. */
export const PriorityRequest = Type.Object(
  { priority: Type.Integer({ minimum: -100, maximum: 100 }) },
  { additionalProperties: false }
)

/** A stored best candidate (every new best a chain proved). */
export const CandidateInfo = Type.Object({
  id: Type.Integer(),
  jobId: Type.Integer(),
  chain: Type.Integer(),
  foundAt: Type.Number(),
  elapsedMs: Type.Number(),
  slots: Type.Integer(),
  perf: Type.Number(),
  proof: Type.String({ description: 'equal, notEqual, unknown (final whole-program proof).' }),
  proofDetail: Type.String(),
  safety: Type.String({ description: 'accepted or rejected (safety analysis).' }),
  kernel: Type.Union([Type.String(), Type.Null()], { description: 'Kernel verdict if checked.' }),
  /** Proven equal and accepted: only these are results. */
  sound: Type.Boolean()
})
export type CandidateInfo = Static<typeof CandidateInfo>

/** A candidate with its program. */
export const CandidateDetail = Type.Composite([
  CandidateInfo,
  Type.Object({
    lines: Disassembly.properties.lines,
    /** Estimated latency (ns, the search's latency table). */
    latency: Type.Number()
  })
])
export type CandidateDetail = Static<typeof CandidateDetail>

/** One point of a job's progress series. */
export const MetricPoint = Type.Object({
  /** Job elapsed milliseconds (running time). */
  t: Type.Number(),
  /** Wall clock (ms since the epoch). */
  at: Type.Number(),
  iterations: Type.Number(),
  evaluations: Type.Number(),
  candidatesPerSecond: Type.Number(),
  acceptance: Type.Number(),
  bestSlots: Type.Integer(),
  bestPerf: Type.Number(),
  proverCalls: Type.Number(),
  proofsEqual: Type.Number(),
  proofsNotEqual: Type.Number(),
  proofsUnknown: Type.Number(),
  cacheHits: Type.Number(),
  tests: Type.Number()
})
export type MetricPoint = Static<typeof MetricPoint>

/** One chain's status in a progress event. */
export const ChainStatus = Type.Object({
  index: Type.Integer(),
  running: Type.Boolean(),
  iterations: Type.Number(),
  bestSlots: Type.Integer(),
  tests: Type.Number(),
  /** When its state was last saved (ms since the epoch; 0 = never). */
  checkpointAt: Type.Number()
})
export type ChainStatus = Static<typeof ChainStatus>

/** Daemon health. */
export const Health = Type.Object({
  protocol: Type.Integer(),
  version: Type.String(),
  pid: Type.Integer(),
  uptimeMs: Type.Number(),
  dataDir: Type.String(),
  coreLimit: Type.Integer(),
  busyWorkers: Type.Integer(),
  jobsRunning: Type.Integer(),
  rssBytes: Type.Number(),
  store: Type.Object({ ok: Type.Boolean(), error: Type.Union([Type.String(), Type.Null()]) })
})
export type Health = Static<typeof Health>

/** Events on the WebSocket. */
export const DaemonEvent = Type.Union([
  Type.Object({ type: Type.Literal('job'), job: Job }),
  Type.Object({
    type: Type.Literal('progress'),
    jobId: Type.Integer(),
    point: MetricPoint,
    chains: Type.Array(ChainStatus)
  }),
  Type.Object({ type: Type.Literal('best'), jobId: Type.Integer(), candidate: CandidateInfo }),
  Type.Object({ type: Type.Literal('jobDeleted'), jobId: Type.Integer() }),
  Type.Object({ type: Type.Literal('health'), health: Health })
])
export type DaemonEvent = Static<typeof DaemonEvent>
