/** @fileoverview The registry of `summit` subcommands. */
import type { Command } from './command'
import { startCommand } from './cmd-start'
import { infoCommand } from './cmd-info'
import { disasmCommand } from './cmd-disasm'
import { asmCommand } from './cmd-asm'
import { runCommand } from './cmd-run'
import { conformanceCommand } from './cmd-conformance'
import { verifyCommand } from './cmd-verify'
import { optimizeCommand } from './cmd-optimize'
import { kernelCheckCommand } from './cmd-kernel-check'
import { kernelFeaturesCommand } from './cmd-kernel-features'
import { calibrateCommand } from './cmd-calibrate'
import { daemonCommand } from './cmd-daemon'
import { jobsCommand } from './cmd-jobs'
import { uiCommand } from './cmd-ui'

/** Every subcommand, in the order `summit help` lists them. */
export const COMMANDS: readonly Command[] = [
  infoCommand,
  disasmCommand,
  asmCommand,
  runCommand,
  conformanceCommand,
  verifyCommand,
  optimizeCommand,
  kernelCheckCommand,
  kernelFeaturesCommand,
  calibrateCommand,
  daemonCommand,
  jobsCommand,
  uiCommand,
  startCommand
]
