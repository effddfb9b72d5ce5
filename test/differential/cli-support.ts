/**
 * @fileoverview Runs a `summit` subcommand in-process and captures its streams: through `main()`
 * when the command is registered, otherwise by calling the command object with main's error
 * handling (usage and input errors become exit code 2 with a one-line message).
 */
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { UsageError } from '../../src-daemon/cli/args'
import type { Command } from '../../src-daemon/cli/command'
import { COMMANDS } from '../../src-daemon/cli/commands'
import { CliError } from '../../src-daemon/cli/errors'
import { main } from '../../src-daemon/cli/main'
import { k2BenchDir } from '../support/environment'

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** The compiled C fixtures. */
export const OBJ = join(ROOT, 'test/fixtures/obj')
/** The K2 benchmark (undefined, with a printed skip, when the shared data is absent). */
export const K2 = k2BenchDir()

/** What a command printed and returned. */
export interface CliRun {
  readonly code: number
  readonly out: string
  readonly err: string
}

/** Runs `cmd` with `argv`. */
export async function runCli(cmd: Command, ...argv: string[]): Promise<CliRun> {
  let out = ''
  let err = ''
  const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t) }
  if (COMMANDS.some((c) => c.name === cmd.name)) {
    const code = await main([cmd.name, ...argv], io)
    return { code, out, err }
  }
  try {
    const code = await cmd.run(argv, io)
    return { code, out, err }
  } catch (e) {
    if (e instanceof UsageError || e instanceof CliError) {
      err += `summit ${cmd.name}: ${e.message}\n`
      return { code: 2, out, err }
    }
    throw e
  }
}
