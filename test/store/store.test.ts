/** @fileoverview The SQLite store: migrations from empty and from every earlier version, damage detection, metrics tiers. */
import { describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { SqliteStore } from '../../src-daemon/store/sqlite-store'
import { MIGRATIONS, SCHEMA_VERSION } from '../../src-daemon/store/migrations'
import { StoreError } from '../../src-daemon/store/store'
import type { MetricPoint, ProgramInfo } from '../../src-daemon/api/protocol/schemas'

const dir = (): string => mkdtempSync(join(tmpdir(), 'summit-store-'))

const INFO: ProgramInfo = {
  id: 'abc',
  fileName: 'x.o',
  format: 'elf',
  importedAt: 1,
  sections: [],
  maps: []
}

function point(t: number): MetricPoint {
  return {
    t,
    at: 1e12 + t,
    iterations: t,
    evaluations: t,
    candidatesPerSecond: 1,
    acceptance: 0.5,
    bestSlots: 10,
    bestPerf: 10,
    proverCalls: 0,
    proofsEqual: 0,
    proofsNotEqual: 0,
    proofsUnknown: 0,
    cacheHits: 0,
    tests: 32
  }
}

function seed(s: SqliteStore): number {
  s.putProgram({ info: INFO, files: [{ name: 'x.o', bytes: new Uint8Array([1, 2, 3]) }] })
  const j = s.createJob({
    programId: 'abc',
    section: 'xdp',
    name: 'j',
    state: 'running',
    priority: 0,
    config: { seed: 3 },
    extras: {},
    configSchema: {},
    originalSlots: 10,
    bestSlots: 10,
    bestPerf: 10
  })
  return j.id
}

describe('SqliteStore', () => {
  it('creates the newest schema from an empty file and keeps what it is given', () => {
    const file = join(dir(), 's.db')
    const s = SqliteStore.open(file)
    expect(s.version).toBe(SCHEMA_VERSION)
    const id = seed(s)
    s.putProgram({ info: INFO, files: [{ name: 'other', bytes: new Uint8Array([9]) }] })
    expect(s.getProgram('abc')?.files[0]?.bytes).toEqual(new Uint8Array([1, 2, 3]))
    s.saveProgress(
      id,
      [
        { chain: 0, seed: 3, savedAt: 5, iterations: 7, finished: false, data: '{"rng":[1,2,3,4]}' }
      ],
      point(1000),
      { iterations: 7 }
    )
    const c = s.addCandidate({
      jobId: id,
      chain: 0,
      foundAt: 6,
      elapsedMs: 1000,
      slots: 8,
      perf: 8,
      proof: 'equal',
      proofDetail: '',
      safety: 'accepted',
      kernel: null,
      sound: true,
      program: { code: [1] }
    })
    s.addTests(id, ['{"a":1}', '{"b":2}', '{"a":1}'])
    s.close()
    const r = SqliteStore.open(file)
    expect(r.getJob(id)).toMatchObject({
      iterations: 7,
      bestSlots: 8,
      bestPerf: 8,
      state: 'running'
    })
    expect(r.checkpoints(id)).toEqual([
      { chain: 0, seed: 3, savedAt: 5, iterations: 7, finished: false, data: '{"rng":[1,2,3,4]}' }
    ])
    expect(r.getCandidate(c.id)?.program).toEqual({ code: [1] })
    expect(r.getCandidate(c.id)?.kernel).toBeNull()
    const check = {
      status: 'rejected' as const,
      checkedAt: 9,
      kernelRelease: '6.1.0',
      candidate: {
        accepted: false,
        progType: 'xdp',
        loader: 'libbpf',
        logTail: 'R1 invalid mem access',
        notes: []
      },
      inputs: 0,
      refused: 0,
      reachingChange: [],
      mismatches: [],
      notes: ['the verifier rejected a program'],
      warnings: []
    }
    expect(r.setCandidateKernel(c.id, check)?.kernel).toEqual(check)
    expect(r.candidates(id)[0]?.kernel).toEqual(check)
    expect(r.setCandidateKernel(c.id + 1000, check)).toBeUndefined()
    expect(r.tests(id)).toEqual(['{"a":1}', '{"b":2}'])
    expect(r.metrics(id, 10)).toEqual([point(1000)])
    expect(r.quickCheck()).toBe('ok')
    expect(r.deleteJob(id)).toBe(true)
    expect(r.checkpoints(id)).toEqual([])
    expect(r.tests(id)).toEqual([])
    r.close()
  })

  for (const m of MIGRATIONS.slice(0, -1)) {
    it(`upgrades a version ${m.version} database without losing its rows`, () => {
      const file = join(dir(), 'old.db')
      const old = SqliteStore.open(file, { upTo: m.version })
      expect(old.version).toBe(m.version)
      const id = seed(old)
      old.close()
      const s = SqliteStore.open(file)
      expect(s.version).toBe(SCHEMA_VERSION)
      expect(s.getJob(id)?.config).toEqual({ seed: 3 })
      expect(s.listPrograms().map((p) => p.id)).toEqual(['abc'])
      s.saveProgress(id, [], point(1), {})
      expect(s.metrics(id, 5)).toHaveLength(1)
      s.close()
    })
  }

  it('refuses a damaged file with a clear error and leaves it untouched', () => {
    const d = dir()
    const garbage = join(d, 'garbage.db')
    writeFileSync(garbage, 'this is not a database, it is a text file '.repeat(200))
    const before = readFileSync(garbage)
    expect(() => SqliteStore.open(garbage)).toThrow(/damaged/)
    try {
      SqliteStore.open(garbage)
    } catch (e) {
      expect(e instanceof StoreError && e.code).toBe('STORE_DAMAGED')
    }
    expect(readFileSync(garbage).equals(before)).toBe(true)

    // A real database whose table pages are overwritten: quick_check finds it.
    const file = join(d, 'hurt.db')
    const s = SqliteStore.open(file)
    const id = seed(s)
    s.addTests(
      id,
      Array.from({ length: 2000 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(200) }))
    )
    s.close()
    const db = new Database(file)
    db.pragma('wal_checkpoint(TRUNCATE)')
    const pageSize = db.pragma('page_size', { simple: true }) as number
    const root = (
      db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'tests'").get() as {
        rootpage: number
      }
    ).rootpage
    db.close()
    const bytes = readFileSync(file)
    bytes.fill(0x41, (root - 1) * pageSize + 8, root * pageSize)
    writeFileSync(file, bytes)
    expect(() => SqliteStore.open(file)).toThrow(StoreError)
    expect(readFileSync(file).equals(bytes)).toBe(true)
  })

  it('refuses a database from a newer Summit', () => {
    const file = join(dir(), 'new.db')
    const db = new Database(file)
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    expect(() => SqliteStore.open(file)).toThrow(/newer than this Summit/)
  })

  it('downsamples old metrics in tiers: a day at one point a second stays small', () => {
    const file = join(dir(), 'm.db')
    const s = SqliteStore.open(file)
    const id = seed(s)
    const day = 86_400
    // Written in bulk beside the store (one transaction), then compacted by the store.
    const db = new Database(file)
    const ins = db.prepare(
      'INSERT INTO metrics (job_id, t, at, tier, point_json) VALUES (?, ?, ?, 0, ?)'
    )
    db.transaction(() => {
      for (let sec = 0; sec <= day + 7200; sec += 1)
        ins.run(id, sec * 1000, 0, JSON.stringify(point(sec * 1000)))
    })()
    db.close()
    s.compactMetrics(id)
    const all = s.metrics(id, 1e9)
    // last hour at 1 s, the rest of the last day at 1 min, older at 10 min
    expect(all.length).toBeGreaterThan(3600 + 23 * 60)
    expect(all.length).toBeLessThan(3600 + 24 * 60 + 3 * 6 + 10)
    expect(all[all.length - 1]?.t).toBe((day + 7200) * 1000)
    const thinned = s.metrics(id, 500)
    expect(thinned).toHaveLength(500)
    expect(thinned[0]).toEqual(all[0])
    expect(thinned[499]).toEqual(all[all.length - 1])
    s.close()
  })
})
