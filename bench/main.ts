/**
 * @fileoverview `npm run bench -- <name> [args]`: runs bench/<name>.ts with the remaining
 * arguments (e.g. `search`, `interp`, `verify`, `kernel-cycle`, `search-proposals`, `z3-perf`,
 * `corpus`).
 * `--help` after a name prints that benchmark's description and options (its file overview
 * comment, so every benchmark must state its options there) without running it.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('.', import.meta.url))
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'main.ts')
  .map((f) => f.slice(0, -3))
  .sort()
/** The text of a benchmark's file overview comment (its description and options). */
function overview(bench: string): string {
  const text = readFileSync(fileURLToPath(new URL(`${bench}.ts`, import.meta.url)), 'utf8')
  const doc = /\/\*\*([\s\S]*?)\*\//.exec(text)?.[1] ?? ''
  return doc
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, ''))
    .join('\n')
    .replace('@fileoverview ', '')
    .trim()
}

const isHelp = (a: string | undefined): boolean => a === '--help' || a === '-h'
const name = process.argv[2]
if (name === undefined || isHelp(name)) {
  process.stdout.write(
    'usage: npm run bench -- <name> [options]   (<name> --help: its options)\n\n'
  )
  for (const n of names) process.stdout.write(`${n}\n  ${overview(n).split('\n')[0]}\n`)
  process.exit(name === undefined ? 2 : 0)
}
if (names.includes(name) && process.argv.slice(3).some(isHelp)) {
  process.stdout.write(`npm run bench -- ${name}\n\n${overview(name)}\n`)
  process.exit(0)
}
if (!names.includes(name)) {
  process.stderr.write(
    `${name === undefined ? 'no benchmark given' : `unknown benchmark '${name}'`}; available: ${names.join(', ')}\n`
  )
  process.exit(2)
}
// The benchmark sees its own arguments as if it had been run directly.
process.argv = [
  process.argv[0]!,
  fileURLToPath(new URL(`${name}.ts`, import.meta.url)),
  ...process.argv.slice(3)
]
await import(`./${name}.ts`)
