/**
 * @fileoverview `npm run bench -- <name> [args]`: runs bench/<name>.ts with the remaining
 * arguments (e.g. `search`, `interp`, `verify`, `kernel-cycle`, `search-proposals`, `z3-perf`,
 * `corpus`).
 */
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('.', import.meta.url))
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'main.ts')
  .map((f) => f.slice(0, -3))
  .sort()
const name = process.argv[2]
if (name === undefined || !names.includes(name)) {
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
