/** @fileoverview `summit disasm FILE [--section S] [--syntax llvm|ubpf|k2]`. */
import { EXIT, type Command } from './command'
import { flagString, parseArgs, UsageError } from './args'
import { loadInput } from '../engine/program/load'
import { CliError } from './errors'
import { SYNTAXES, disasmSlots, type Syntax } from '../core/isa/disasm'
import { formatObjdumpBanner, formatObjdumpSection } from '../core/isa/objdump-layout'

/** `summit disasm`. */
export const disasmCommand: Command = {
  name: 'disasm',
  usage: 'disasm FILE [--section S] [--syntax llvm|ubpf|k2]',
  summary: 'disassembles each program section (llvm syntax is llvm-objdump -d text)',
  run: async (argv, io) => {
    const args = parseArgs(argv, { valued: ['section', 'syntax'] })
    const file = args.positionals[0]
    if (file === undefined || args.positionals.length > 1) throw new UsageError('expects one FILE')
    const syntax = (flagString(args, 'syntax') ?? 'llvm') as Syntax
    if (!SYNTAXES.includes(syntax))
      throw new UsageError(`--syntax must be one of ${SYNTAXES.join(', ')}`)
    const input = loadInput(file)
    const wanted = flagString(args, 'section')
    const sections = input.sections.filter(
      (s) => wanted === undefined || s.name === wanted || s.symbols.some((f) => f.name === wanted)
    )
    if (sections.length === 0)
      throw new CliError({
        code: 'SECTION_NOT_FOUND',
        message: `no program section '${wanted}' (sections: ${input.sections.map((s) => s.name).join(', ')})`,
        file
      })
    if (syntax === 'llvm') {
      io.out(formatObjdumpBanner(file))
      io.out(
        sections
          .map((s) => formatObjdumpSection(s.name, s.slots, { symbols: s.symbols }))
          .join('\n')
      )
      return EXIT.ok
    }
    for (const s of sections) {
      const lines = disasmSlots(s.slots, syntax)
      if (!lines.ok) throw new CliError({ ...lines.error, file, section: s.name })
      io.out(`Disassembly of section ${s.name}:\n`)
      for (const l of lines.value) io.out(`${l}\n`)
    }
    return EXIT.ok
  }
}
