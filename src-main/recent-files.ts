/** @fileoverview The Open Recent list: newest first, no duplicates, at most ten, kept in a JSON file. */
import { readFileSync, writeFileSync } from 'node:fs'

/** How many recent files are kept. */
export const RECENT_MAX = 10

/** `path` put first in `list` (moved if present), trimmed to {@link RECENT_MAX}. */
export function withRecent(list: readonly string[], path: string): string[] {
  return [path, ...list.filter((p) => p !== path)].slice(0, RECENT_MAX)
}

/** Reads the list (empty when the file is missing or malformed). */
export function loadRecent(file: string): string[] {
  try {
    const v: unknown = JSON.parse(readFileSync(file, 'utf8'))
    return Array.isArray(v)
      ? v.filter((p): p is string => typeof p === 'string').slice(0, RECENT_MAX)
      : []
  } catch {
    return []
  }
}

/** Writes the list. */
export function saveRecent(file: string, list: readonly string[]): void {
  writeFileSync(file, JSON.stringify(list, null, 2) + '\n', { mode: 0o600 })
}
