/** @fileoverview Reading a program the user opened, with K2's `.maps` and `.desc` beside an `.insns`. */
import { existsSync, readFileSync } from 'node:fs'
import { basename } from 'node:path'
import type { PickedFile } from '../src-preload/bridge'

/** The file and, for a K2 `.insns`, its companions that exist beside it. */
export function readProgramFiles(path: string): PickedFile[] {
  const files: PickedFile[] = [{ name: basename(path), bytes: new Uint8Array(readFileSync(path)) }]
  if (/\.insns$/i.test(path)) {
    const base = path.replace(/\.insns$/i, '')
    for (const ext of ['.maps', '.desc']) {
      const p = base + ext
      if (existsSync(p)) files.push({ name: basename(p), bytes: new Uint8Array(readFileSync(p)) })
    }
  }
  return files
}
