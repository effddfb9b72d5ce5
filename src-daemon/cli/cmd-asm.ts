/** @fileoverview `summit asm FILE.s -o OUT`: assembles llvm or ubpf syntax to raw bytecode. */
import { writeFileSync } from 'node:fs'
import { EXIT, type Command } from './command'
import { flagString, parseArgs, UsageError } from './args'
import { readInputFile } from '../engine/program/load'
import { CliError } from './errors'
import { assemble, type AsmSyntax } from '../core/isa/asm'
import { bytesFromSlots } from '../core/isa/insn'
import { decodeUtf8 } from '../core/formats'

/** `summit asm`. */
export const asmCommand: Command = {
  name: 'asm',
  usage: 'asm FILE.s -o OUT [--syntax llvm|ubpf|auto]',
  summary: 'assembles llvm or ubpf syntax (with labels) to raw bytecode',
  run: async (argv, io) => {
    const args = parseArgs(argv, { valued: ['out', 'syntax'], aliases: { o: 'out' } })
    const file = args.positionals[0]
    const out = flagString(args, 'out')
    if (file === undefined || args.positionals.length > 1) throw new UsageError('expects one FILE')
    if (out === undefined) throw new UsageError('needs -o OUT')
    const syntax = flagString(args, 'syntax') ?? 'auto'
    if (!['llvm', 'ubpf', 'auto'].includes(syntax))
      throw new UsageError('--syntax must be llvm, ubpf or auto')
    const r = assemble(decodeUtf8(readInputFile(file)), syntax as AsmSyntax | 'auto', { file })
    if (!r.ok) throw new CliError(r.error)
    writeFileSync(out, bytesFromSlots(r.value))
    io.err(`summit asm: wrote ${r.value.length} slots to ${out}\n`)
    return EXIT.ok
  }
}
