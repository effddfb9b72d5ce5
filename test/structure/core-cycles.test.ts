/**
 * @fileoverview The pure core's imports run one way: no circle of files in src-daemon/core imports
 * itself, type-only imports included (a circle of types is still a circle of meaning).
 */
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const CORE = path.resolve(__dirname, '../../src-daemon/core')

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full))
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts'))
      out.push(full)
  }
  return out
}

/** The files of the core that `file` imports or re-exports from (relative imports only). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
  const out: string[] = []
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue
    const base = path.resolve(path.dirname(file), ref.fileName)
    const hit = [`${base}.ts`, path.join(base, 'index.ts'), base].find(
      (c) => existsSync(c) && statSync(c).isFile()
    )
    if (hit !== undefined && hit.startsWith(CORE)) out.push(hit)
  }
  return out
}

/** Strongly connected components of more than one file (or a file importing itself). */
function circles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const found: string[][] = []
  let next = 0
  const visit = (v: string): void => {
    index.set(v, next)
    low.set(v, next)
    next++
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number))
    }
    if (low.get(v) !== index.get(v)) return
    const scc: string[] = []
    let w: string
    do {
      w = stack.pop() as string
      onStack.delete(w)
      scc.push(w)
    } while (w !== v)
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort())
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return found
}

describe('src-daemon/core imports', () => {
  it('form no circle', () => {
    const graph = new Map<string, string[]>()
    for (const f of sourceFiles(CORE)) graph.set(f, importsOf(f))
    expect(graph.size).toBeGreaterThan(50)
    const named = circles(graph).map((c) => c.map((f) => path.relative(CORE, f)).join(' -> '))
    expect(named).toEqual([])
  })

  it('finds a circle when there is one', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']]
    ])
    expect(circles(graph)).toEqual([['a', 'b', 'c']])
  })
})
