/**
 * @fileoverview The SQLite store (better-sqlite3): WAL, synchronous=FULL, foreign keys, numbered
 * migrations, `PRAGMA quick_check` on open. One connection, one writer (the daemon's main thread).
 */
import Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import type {
  CandidateInfo,
  JobState,
  KernelCheck,
  MetricPoint,
  ProgramInfo
} from '../api/protocol/schemas'
import { MIGRATIONS, SCHEMA_VERSION } from './migrations'
import { storeErrorOf } from './sqlite-errors'
import {
  StoreError,
  type CandidateRow,
  type CheckpointRow,
  type JobPatch,
  type JobRow,
  type NewCandidate,
  type NewJob,
  type StoredProgram,
  type SummitStore
} from './store'

/** Open options. */
export interface SqliteStoreOptions {
  /** Migrate only up to this version (tests of upgrades from earlier versions). */
  readonly upTo?: number
}

/** Downsampling tiers: points older than `age` (job time) keep one per `bucket` ms. */
export const METRIC_TIERS = [
  { tier: 1, age: 3_600_000, bucket: 60_000 },
  { tier: 2, age: 86_400_000, bucket: 600_000 }
] as const

type Row = Record<string, unknown>

const JOB_COLUMNS: Readonly<Record<keyof JobPatch, string>> = {
  state: 'state',
  priority: 'priority',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  elapsedMs: 'elapsed_ms',
  iterations: 'iterations',
  evaluations: 'evaluations',
  bestSlots: 'best_slots',
  bestPerf: 'best_perf',
  error: 'error'
}

function jobOf(r: Row): JobRow {
  return {
    id: r.id as number,
    programId: r.program_id as string,
    section: r.section as string,
    name: r.name as string,
    state: r.state as JobState,
    priority: r.priority as number,
    config: JSON.parse(r.config_json as string) as Record<string, unknown>,
    extras: JSON.parse(r.extras_json as string) as Record<string, unknown>,
    createdAt: r.created_at as number,
    startedAt: (r.started_at as number | null) ?? null,
    updatedAt: r.updated_at as number,
    finishedAt: (r.finished_at as number | null) ?? null,
    elapsedMs: r.elapsed_ms as number,
    iterations: r.iterations as number,
    evaluations: r.evaluations as number,
    originalSlots: r.original_slots as number,
    bestSlots: r.best_slots as number,
    bestPerf: r.best_perf as number,
    error: (r.error as string | null) ?? null
  }
}

/** The stored kernel check (JSON); anything else in the column reads as not checked. */
function kernelOf(v: unknown): KernelCheck | null {
  if (typeof v !== 'string') return null
  try {
    const k = JSON.parse(v) as unknown
    return typeof k === 'object' && k !== null && 'status' in k ? (k as KernelCheck) : null
  } catch {
    return null
  }
}

function candidateOf(r: Row): CandidateInfo {
  return {
    id: r.id as number,
    jobId: r.job_id as number,
    chain: r.chain as number,
    foundAt: r.found_at as number,
    elapsedMs: r.elapsed_ms as number,
    slots: r.slots as number,
    perf: r.perf as number,
    proof: r.proof as string,
    proofDetail: r.proof_detail as string,
    safety: r.safety as string,
    kernel: kernelOf(r.kernel),
    sound: r.sound === 1
  }
}

/** Thins `xs` to at most `max` items, keeping the first and the last. */
export function thin<T>(xs: readonly T[], max: number): T[] {
  if (xs.length <= max || max < 2) return xs.slice(0, Math.max(max, 0) || xs.length)
  const out: T[] = []
  for (let i = 0; i < max; i++) out.push(xs[Math.round((i * (xs.length - 1)) / (max - 1))]!)
  return out
}

/** The SQLite implementation of {@link SummitStore}. */
export class SqliteStore implements SummitStore {
  private readonly db: Database.Database

  private constructor(
    readonly file: string,
    opts: SqliteStoreOptions
  ) {
    const existed = existsSync(file) && statSync(file).size > 0
    try {
      this.db = new Database(file)
    } catch (e) {
      throw storeErrorOf(e, file)
    }
    try {
      this.db.pragma('busy_timeout = 5000')
      if (existed) {
        const check = this.quickCheck()
        if (check !== 'ok')
          throw new StoreError(
            'STORE_DAMAGED',
            `${file}: the database is damaged (quick_check: ${check.slice(0, 300)}); it was left untouched: restore a backup or move it away`
          )
      }
      this.db.pragma('journal_mode = WAL')
      this.db.pragma('synchronous = FULL')
      this.db.pragma('foreign_keys = ON')
      this.migrate(opts.upTo ?? SCHEMA_VERSION)
    } catch (e) {
      this.db.close()
      throw storeErrorOf(e, file)
    }
  }

  /** Opens (creating and migrating as needed) the database at `file`. */
  static open(file: string, opts: SqliteStoreOptions = {}): SqliteStore {
    return new SqliteStore(file, opts)
  }

  /** The schema version of the open database. */
  get version(): number {
    return this.db.pragma('user_version', { simple: true }) as number
  }

  private migrate(upTo: number): void {
    const have = this.version
    if (have > SCHEMA_VERSION)
      throw new StoreError(
        'STORE_VERSION',
        `${this.file}: schema version ${have} is newer than this Summit (${SCHEMA_VERSION}); use a newer Summit`
      )
    for (const m of MIGRATIONS) {
      if (m.version <= have || m.version > upTo) continue
      this.db.transaction(() => {
        this.db.exec(m.sql)
        this.db.pragma(`user_version = ${m.version}`)
      })()
    }
  }

  /** Runs `f`, mapping SQLite failures to StoreErrors. */
  private run<T>(f: () => T): T {
    try {
      return f()
    } catch (e) {
      throw storeErrorOf(e, this.file)
    }
  }

  putProgram(p: StoredProgram): void {
    this.run(() =>
      this.db.transaction(() => {
        const r = this.db
          .prepare(
            'INSERT OR IGNORE INTO programs (id, file_name, format, imported_at, info_json) VALUES (?, ?, ?, ?, ?)'
          )
          .run(p.info.id, p.info.fileName, p.info.format, p.info.importedAt, JSON.stringify(p.info))
        if (r.changes === 0) return
        const ins = this.db.prepare(
          'INSERT INTO program_files (program_id, idx, name, bytes) VALUES (?, ?, ?, ?)'
        )
        p.files.forEach((f, i) => ins.run(p.info.id, i, f.name, Buffer.from(f.bytes)))
      })()
    )
  }

  getProgram(id: string): StoredProgram | undefined {
    return this.run(() => {
      const r = this.db.prepare('SELECT info_json FROM programs WHERE id = ?').get(id) as
        Row | undefined
      if (r === undefined) return undefined
      const files = (
        this.db
          .prepare('SELECT name, bytes FROM program_files WHERE program_id = ? ORDER BY idx')
          .all(id) as Row[]
      ).map((f) => ({ name: f.name as string, bytes: new Uint8Array(f.bytes as Buffer) }))
      return { info: JSON.parse(r.info_json as string) as ProgramInfo, files }
    })
  }

  listPrograms(): ProgramInfo[] {
    return this.run(() =>
      (this.db.prepare('SELECT info_json FROM programs ORDER BY imported_at').all() as Row[]).map(
        (r) => JSON.parse(r.info_json as string) as ProgramInfo
      )
    )
  }

  createJob(j: NewJob): JobRow {
    return this.run(() => {
      const now = Date.now()
      const r = this.db
        .prepare(
          `INSERT INTO jobs (program_id, section, name, state, priority, config_json, config_schema_json,
             extras_json, created_at, updated_at, original_slots, best_slots, best_perf)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
        )
        .run(
          j.programId,
          j.section,
          j.name,
          j.state,
          j.priority,
          JSON.stringify(j.config),
          JSON.stringify(j.configSchema),
          JSON.stringify(j.extras),
          now,
          now,
          j.originalSlots,
          j.bestSlots,
          j.bestPerf
        )
      return this.getJob(Number(r.lastInsertRowid))!
    })
  }

  getJob(id: number): JobRow | undefined {
    return this.run(() => {
      const r = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined
      return r === undefined ? undefined : jobOf(r)
    })
  }

  listJobs(): JobRow[] {
    return this.run(() =>
      (this.db.prepare('SELECT * FROM jobs ORDER BY id').all() as Row[]).map(jobOf)
    )
  }

  private patchJob(id: number, patch: JobPatch): void {
    const keys = (Object.keys(patch) as (keyof JobPatch)[]).filter((k) => patch[k] !== undefined)
    const sets = keys.map((k) => `${JOB_COLUMNS[k]} = ?`)
    this.db
      .prepare(`UPDATE jobs SET ${[...sets, 'updated_at = ?'].join(', ')} WHERE id = ?`)
      .run(...keys.map((k) => patch[k] as unknown), Date.now(), id)
  }

  updateJob(id: number, patch: JobPatch): JobRow | undefined {
    return this.run(() => {
      this.patchJob(id, patch)
      return this.getJob(id)
    })
  }

  deleteJob(id: number): boolean {
    return this.run(() => this.db.prepare('DELETE FROM jobs WHERE id = ?').run(id).changes > 0)
  }

  saveProgress(
    jobId: number,
    checkpoints: readonly CheckpointRow[],
    point: MetricPoint | undefined,
    patch: JobPatch
  ): void {
    this.run(() =>
      this.db.transaction(() => {
        const chain = this.db.prepare(
          `INSERT INTO chains (job_id, idx, seed, rng_json, iterations, finished) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (job_id, idx) DO UPDATE SET rng_json = excluded.rng_json,
             iterations = excluded.iterations, finished = excluded.finished`
        )
        const cp = this.db.prepare(
          `INSERT INTO checkpoints (job_id, chain, saved_at, iterations, data) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (job_id, chain) DO UPDATE SET saved_at = excluded.saved_at,
             iterations = excluded.iterations, data = excluded.data`
        )
        for (const c of checkpoints) {
          const rng = (JSON.parse(c.data) as { rng?: unknown }).rng ?? null
          chain.run(jobId, c.chain, c.seed, JSON.stringify(rng), c.iterations, c.finished ? 1 : 0)
          cp.run(jobId, c.chain, c.savedAt, c.iterations, c.data)
        }
        if (point !== undefined)
          this.db
            .prepare(
              'INSERT OR REPLACE INTO metrics (job_id, t, at, tier, point_json) VALUES (?, ?, ?, 0, ?)'
            )
            .run(jobId, point.t, point.at, JSON.stringify(point))
        if (Object.keys(patch).length > 0) this.patchJob(jobId, patch)
      })()
    )
  }

  checkpoints(jobId: number): CheckpointRow[] {
    return this.run(() =>
      (
        this.db
          .prepare(
            `SELECT c.chain, h.seed, c.saved_at, c.iterations, h.finished, c.data
             FROM checkpoints c JOIN chains h ON h.job_id = c.job_id AND h.idx = c.chain
             WHERE c.job_id = ? ORDER BY c.chain`
          )
          .all(jobId) as Row[]
      ).map((r) => ({
        chain: r.chain as number,
        seed: r.seed as number,
        savedAt: r.saved_at as number,
        iterations: r.iterations as number,
        finished: r.finished === 1,
        data: r.data as string
      }))
    )
  }

  addCandidate(c: NewCandidate): CandidateInfo {
    return this.run(() =>
      this.db.transaction(() => {
        const r = this.db
          .prepare(
            `INSERT INTO candidates (job_id, chain, found_at, elapsed_ms, slots, perf, program_json,
               proof, proof_detail, safety, kernel, sound) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
          )
          .run(
            c.jobId,
            c.chain,
            c.foundAt,
            c.elapsedMs,
            c.slots,
            c.perf,
            JSON.stringify(c.program),
            c.proof,
            c.proofDetail,
            c.safety,
            c.kernel === null ? null : JSON.stringify(c.kernel),
            c.sound ? 1 : 0
          )
        if (c.sound)
          this.db
            .prepare(
              'UPDATE jobs SET best_slots = ?, best_perf = ?, updated_at = ? WHERE id = ? AND best_perf > ?'
            )
            .run(c.slots, c.perf, Date.now(), c.jobId, c.perf)
        const { program: _p, ...info } = c
        return { id: Number(r.lastInsertRowid), ...info }
      })()
    )
  }

  setCandidateKernel(id: number, check: KernelCheck): CandidateInfo | undefined {
    return this.run(() => {
      this.db
        .prepare('UPDATE candidates SET kernel = ? WHERE id = ?')
        .run(JSON.stringify(check), id)
      const r = this.db.prepare('SELECT * FROM candidates WHERE id = ?').get(id) as Row | undefined
      return r === undefined ? undefined : candidateOf(r)
    })
  }

  candidates(jobId: number): CandidateInfo[] {
    return this.run(() =>
      (
        this.db.prepare('SELECT * FROM candidates WHERE job_id = ? ORDER BY id').all(jobId) as Row[]
      ).map(candidateOf)
    )
  }

  getCandidate(id: number): CandidateRow | undefined {
    return this.run(() => {
      const r = this.db.prepare('SELECT * FROM candidates WHERE id = ?').get(id) as Row | undefined
      if (r === undefined) return undefined
      return { ...candidateOf(r), program: JSON.parse(r.program_json as string) as unknown }
    })
  }

  addTests(jobId: number, tests: readonly string[]): void {
    if (tests.length === 0) return
    this.run(() =>
      this.db.transaction(() => {
        const next =
          ((
            this.db
              .prepare('SELECT COALESCE(MAX(seq), -1) + 1 AS n FROM tests WHERE job_id = ?')
              .get(jobId) as Row
          ).n as number) ?? 0
        const ins = this.db.prepare(
          'INSERT OR IGNORE INTO tests (job_id, hash, seq, test_json) VALUES (?, ?, ?, ?)'
        )
        let seq = next
        for (const t of tests) {
          const h = createHash('sha256').update(t).digest('hex')
          if (ins.run(jobId, h, seq, t).changes > 0) seq++
        }
      })()
    )
  }

  tests(jobId: number): string[] {
    return this.run(() =>
      (
        this.db
          .prepare('SELECT test_json FROM tests WHERE job_id = ? ORDER BY seq')
          .all(jobId) as Row[]
      ).map((r) => r.test_json as string)
    )
  }

  metrics(jobId: number, maxPoints: number): MetricPoint[] {
    return this.run(() => {
      const rows = this.db
        .prepare('SELECT point_json FROM metrics WHERE job_id = ? ORDER BY t')
        .all(jobId) as Row[]
      return thin(rows, maxPoints).map((r) => JSON.parse(r.point_json as string) as MetricPoint)
    })
  }

  compactMetrics(jobId: number): void {
    this.run(() =>
      this.db.transaction(() => {
        const last = (
          this.db.prepare('SELECT MAX(t) AS t FROM metrics WHERE job_id = ?').get(jobId) as Row
        ).t as number | null
        if (last === null) return
        for (const { tier, age, bucket } of METRIC_TIERS) {
          const cutoff = last - age
          this.db
            .prepare(
              `DELETE FROM metrics WHERE job_id = ? AND tier < ? AND t < ? AND t NOT IN (
                 SELECT MAX(t) FROM metrics WHERE job_id = ? AND tier < ? AND t < ?
                 GROUP BY CAST(t / ? AS INTEGER))`
            )
            .run(jobId, tier, cutoff, jobId, tier, cutoff, bucket)
          this.db
            .prepare('UPDATE metrics SET tier = ? WHERE job_id = ? AND tier < ? AND t < ?')
            .run(tier, jobId, tier, cutoff)
        }
      })()
    )
  }

  quickCheck(): string {
    const rows = this.db.pragma('quick_check') as { quick_check: string }[]
    return rows.map((r) => r.quick_check).join('; ')
  }

  sizeBytes(): number {
    const size = (f: string): number => (existsSync(f) ? statSync(f).size : 0)
    return size(this.file) + size(`${this.file}-wal`)
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}
