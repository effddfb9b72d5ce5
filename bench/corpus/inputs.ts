/**
 * @fileoverview Finds the corpus inputs under a directory (ELF objects, K2 triples) and reads the
 * optional `types.tsv` beside them: program types for sections whose name says none, the way the
 * project's own loader (tc, iproute2, a socket option) would load them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'

/** One input file of the corpus. */
export interface CorpusInput {
  /** Absolute path. */
  readonly file: string
  /** Path relative to the corpus directory, with `/` separators. */
  readonly rel: string
  /** First directory of `rel` (the project), or `.` for files at the top. */
  readonly project: string
}

/** A program type for the sections of one object (`*` = every section). */
export interface TypeHint {
  readonly object: string
  readonly section: string
  readonly type: string
}

/** True for `X.insns` with `X.desc` beside it (a K2 triple; bare `.insns` are K2 outputs). */
function isK2Triple(file: string): boolean {
  return file.endsWith('.insns') && existsSync(file.slice(0, -'.insns'.length) + '.desc')
}

/** Every `.o` and K2 triple under `dir`, sorted by relative path. */
export function findInputs(dir: string): CorpusInput[] {
  const out: CorpusInput[] = []
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (name.endsWith('.o') || isK2Triple(p)) {
        const rel = relative(dir, p).split(sep).join('/')
        out.push({ file: p, rel, project: rel.includes('/') ? rel.split('/')[0]! : '.' })
      }
    }
  }
  walk(dir)
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0))
}

/** Reads `DIR/types.tsv` (header `object section type`), or none when absent. */
export function readTypeHints(dir: string): TypeHint[] {
  const path = join(dir, 'types.tsv')
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const [object = '', section = '', type = ''] = l.split('\t')
      return { object, section, type: type.trim() }
    })
}

/** The hinted type of `section` of the object at `rel`, if any. */
export function hintFor(
  hints: readonly TypeHint[],
  rel: string,
  section: string
): string | undefined {
  return (
    hints.find((h) => h.object === rel && h.section === section)?.type ??
    hints.find((h) => h.object === rel && h.section === '*')?.type
  )
}
