/** @fileoverview The registry of `summit` subcommands. */
import type { Command } from './command'
import { startCommand } from './cmd-start'
import { infoCommand } from './cmd-info'
import { disasmCommand } from './cmd-disasm'
import { asmCommand } from './cmd-asm'
import { verifyCommand } from './cmd-verify'

/** Every subcommand, in the order `summit help` lists them. */
export const COMMANDS: readonly Command[] = [
  infoCommand,
  disasmCommand,
  asmCommand,
  verifyCommand,
  startCommand
]
