/** @fileoverview The `summit` command: dispatches to subcommands and maps failures to exit codes. */
import { fileURLToPath } from 'node:url'
import { EXIT, type CliIo, type Command } from './command'
import { UsageError } from './args'
import { CliError } from './errors'
import { COMMANDS } from './commands'
import { ApiError } from '../api/protocol/errors'
import { StoreError } from '../store/store'

/** Prints the list of commands. */
function help(io: CliIo, commands: readonly Command[]): void {
  io.out('usage: summit <command> [options]\n\ncommands:\n')
  for (const c of commands) io.out(`  ${c.usage}\n      ${c.summary}\n`)
}

/** Prints one command's usage and summary. */
function commandHelp(io: CliIo, cmd: Command): void {
  io.out(`usage: summit ${cmd.usage}\n\n${cmd.summary}\n`)
}

const isHelpFlag = (a: string): boolean => a === '--help' || a === '-h'

/** Runs `summit` with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === 'help' || isHelpFlag(name)) {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined
    if (topic !== undefined) commandHelp(io, topic)
    else help(io, COMMANDS)
    return name === undefined ? EXIT.error : EXIT.ok
  }
  const cmd = COMMANDS.find((c) => c.name === name)
  if (cmd === undefined) {
    io.err(`summit: unknown command '${name}' (try 'summit help')\n`)
    return EXIT.error
  }
  if (rest.some(isHelpFlag)) {
    commandHelp(io, cmd)
    return EXIT.ok
  }
  try {
    return await cmd.run(rest, io)
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`summit ${name}: ${e.message}\nusage: summit ${cmd.usage}\n`)
      return EXIT.error
    }
    if (e instanceof CliError) {
      io.err(`summit ${name}: ${e.message}\n`)
      return EXIT.error
    }
    if (e instanceof ApiError || e instanceof StoreError) {
      io.err(`summit ${name}: error ${e.code}: ${e.message}\n`)
      return EXIT.error
    }
    const msg = e instanceof Error ? (e.stack ?? e.message) : String(e)
    io.err(`summit ${name}: internal error: ${msg}\n`)
    return EXIT.error
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]
if (invokedDirectly) {
  const io: CliIo = {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t)
  }
  // Exit explicitly once stdout is flushed: a worker or helper process still winding down must
  // not keep a finished command alive.
  void main(process.argv.slice(2), io).then((code) => {
    process.stdout.write('', () => process.exit(code))
  })
}
