/** @fileoverview Maps SQLite failures to the store's stable error codes. */
import { StoreError } from './store'

const DAMAGED = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_VTAB'])

/** The StoreError for a thrown SQLite error (other errors are passed through). */
export function storeErrorOf(e: unknown, file: string): unknown {
  if (e instanceof StoreError) return e
  const code = (e as { code?: unknown }).code
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return e
  const msg = e instanceof Error ? e.message : String(e)
  if (DAMAGED.has(code) || code.startsWith('SQLITE_CORRUPT'))
    return new StoreError(
      'STORE_DAMAGED',
      `${file}: the database is damaged (${code}: ${msg}); it was left untouched: restore a backup or move it away`
    )
  let why = msg
  if (code.startsWith('SQLITE_READONLY')) why = `read-only (${msg})`
  else if (code === 'SQLITE_FULL') why = `disk full (${msg})`
  else if (code.startsWith('SQLITE_IOERR')) why = `I/O error (${msg})`
  else if (code.startsWith('SQLITE_CANTOPEN')) why = `cannot open (${msg})`
  return new StoreError('STORE_UNAVAILABLE', `${file}: cannot write the database: ${why} [${code}]`)
}
