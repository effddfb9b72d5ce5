/** @fileoverview The shape of a CLI command and the streams it writes to. */

/** Output streams; injectable so tests can capture them. */
export interface CliIo {
  /** Writes to standard output. */
  readonly out: (text: string) => void
  /** Writes to standard error. */
  readonly err: (text: string) => void
}

/** Exit codes of the CLI contract (DESIGN.md). */
export const EXIT = { ok: 0, negative: 1, error: 2 } as const

/** One `summit` subcommand. */
export interface Command {
  /** The word after `summit`. */
  readonly name: string
  /** One-line usage synopsis. */
  readonly usage: string
  /** One-line description for `summit help`. */
  readonly summary: string
  /** Runs the command; resolves to the process exit code. */
  readonly run: (argv: readonly string[], io: CliIo) => Promise<number>
}
