/** @fileoverview Minimal command-line parsing: positionals and `--flag value` / `--flag=value` / `-o`. */

/** Parsed arguments: positionals in order and flags by long name. */
export interface ParsedArgs {
  /** Positional arguments in order. */
  readonly positionals: string[]
  /** Flag values by name (boolean flags map to `true`). */
  readonly flags: Map<string, string | true>
}

/** Declares which flags take a value (all others are boolean). */
export interface ArgSpec {
  /** Long names of flags that take a value. */
  readonly valued: readonly string[]
  /** Short aliases, e.g. `{ o: 'out' }`. */
  readonly aliases?: Readonly<Record<string, string>>
}

/** A command-line usage error (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** Parses `argv` (without the command name) according to `spec`. */
export function parseArgs(argv: readonly string[], spec: ArgSpec): ParsedArgs {
  const positionals: string[] = []
  const flags = new Map<string, string | true>()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (!a.startsWith('-') || a === '-') {
      positionals.push(a)
      continue
    }
    let name = a.replace(/^--?/, '')
    let value: string | undefined
    const eq = name.indexOf('=')
    if (eq >= 0) {
      value = name.slice(eq + 1)
      name = name.slice(0, eq)
    }
    if (!a.startsWith('--')) name = spec.aliases?.[name] ?? name
    if (spec.valued.includes(name)) {
      if (value === undefined) {
        const next = argv[i + 1]
        if (next === undefined) throw new UsageError(`--${name} needs a value`)
        value = next
        i++
      }
      flags.set(name, value)
    } else {
      if (value !== undefined) throw new UsageError(`--${name} takes no value`)
      flags.set(name, true)
    }
  }
  return { positionals, flags }
}

/** Returns a string flag, or undefined. */
export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name)
  return typeof v === 'string' ? v : undefined
}

/** Returns a non-negative integer flag, or the default; rejects malformed numbers. */
export function flagInt(args: ParsedArgs, name: string, dflt: number): number {
  const v = flagString(args, name)
  if (v === undefined) return dflt
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} expects a non-negative integer, got '${v}'`)
  return Number(v)
}
