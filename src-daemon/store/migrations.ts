/**
 * @fileoverview The store's schema as numbered migrations. Migration N moves a database from
 * `user_version` N-1 to N inside one transaction; a database is never reset. Plain SQL that a
 * server database could also run (no SQLite-only types beyond INTEGER/REAL/TEXT/BLOB).
 */

/** One schema step. */
export interface Migration {
  readonly version: number
  readonly description: string
  readonly sql: string
}

/** Every migration, in order; append only (never edit a released one). */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'programs, jobs, chains, checkpoints, candidates, tests',
    sql: `
      CREATE TABLE programs (
        id TEXT PRIMARY KEY,
        file_name TEXT NOT NULL,
        format TEXT NOT NULL,
        imported_at INTEGER NOT NULL,
        info_json TEXT NOT NULL
      );
      CREATE TABLE program_files (
        program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        name TEXT NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (program_id, idx)
      );
      CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        program_id TEXT NOT NULL REFERENCES programs(id),
        section TEXT NOT NULL,
        name TEXT NOT NULL,
        state TEXT NOT NULL,
        priority INTEGER NOT NULL DEFAULT 0,
        config_json TEXT NOT NULL,
        config_schema_json TEXT NOT NULL,
        extras_json TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        updated_at INTEGER NOT NULL,
        finished_at INTEGER,
        elapsed_ms REAL NOT NULL DEFAULT 0,
        iterations REAL NOT NULL DEFAULT 0,
        evaluations REAL NOT NULL DEFAULT 0,
        original_slots INTEGER NOT NULL,
        best_slots INTEGER NOT NULL,
        best_perf REAL NOT NULL,
        error TEXT
      );
      CREATE TABLE chains (
        job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        seed INTEGER NOT NULL,
        rng_json TEXT,
        iterations REAL NOT NULL DEFAULT 0,
        finished INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (job_id, idx)
      );
      CREATE TABLE checkpoints (
        job_id INTEGER NOT NULL,
        chain INTEGER NOT NULL,
        saved_at INTEGER NOT NULL,
        iterations REAL NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (job_id, chain),
        FOREIGN KEY (job_id, chain) REFERENCES chains(job_id, idx) ON DELETE CASCADE
      );
      CREATE TABLE candidates (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        chain INTEGER NOT NULL,
        found_at INTEGER NOT NULL,
        elapsed_ms REAL NOT NULL,
        slots INTEGER NOT NULL,
        perf REAL NOT NULL,
        program_json TEXT NOT NULL,
        proof TEXT NOT NULL,
        proof_detail TEXT NOT NULL,
        safety TEXT NOT NULL,
        kernel TEXT,
        sound INTEGER NOT NULL
      );
      CREATE INDEX candidates_job ON candidates(job_id, id);
      CREATE TABLE tests (
        job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        hash TEXT NOT NULL,
        seq INTEGER NOT NULL,
        test_json TEXT NOT NULL,
        PRIMARY KEY (job_id, hash)
      );
    `
  },
  {
    version: 2,
    description: 'metrics: a progress series per job, downsampled in tiers as it ages',
    sql: `
      CREATE TABLE metrics (
        job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        t REAL NOT NULL,
        at INTEGER NOT NULL,
        tier INTEGER NOT NULL DEFAULT 0,
        point_json TEXT NOT NULL,
        PRIMARY KEY (job_id, t)
      );
    `
  }
]

/** The newest schema version. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version
