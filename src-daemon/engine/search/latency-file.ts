/** @fileoverview Reads and writes the calibrated latency table in a data directory. */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LatencyTable } from '../../core/search/latency'
import { LATENCY_FILE, parseLatencyTable } from '../../core/search/latency-table'
import { fail, ok, type Result } from '../../core/util/result'

/** Path of the latency table in `dataDir`. */
export function latencyTablePath(dataDir: string): string {
  return join(dataDir, LATENCY_FILE)
}

/** The stored table of `dataDir`; undefined when there is none (the built-in table applies). */
export function readLatencyTable(dataDir: string): Result<LatencyTable | undefined> {
  const path = latencyTablePath(dataDir)
  if (!existsSync(path)) return ok(undefined)
  let doc: unknown
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    return fail({
      code: 'LATENCY_TABLE_INVALID',
      message: `${path}: ${e instanceof Error ? e.message : String(e)}; run summit calibrate again or delete it`
    })
  }
  return parseLatencyTable(doc, path)
}

/** Writes `table` into `dataDir` (atomically: a temporary file renamed over the old one). */
export function writeLatencyTable(dataDir: string, table: LatencyTable): string {
  mkdirSync(dataDir, { recursive: true })
  const path = latencyTablePath(dataDir)
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(table, null, 2) + '\n')
  renameSync(tmp, path)
  return path
}
