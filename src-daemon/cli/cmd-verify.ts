/** @fileoverview `summit verify A B [--window S:E]`: proves two programs equivalent (exit 0), refutes (1), or cannot decide (2). */
import { EXIT, type Command } from './command'
import { flagInt, flagString, parseArgs, UsageError } from './args'
import { loadInput, selectPrograms } from '../engine/program/load'
import { programTypeOption, runnable, type RunnableProgram } from '../engine/program/program-model'
import { CliError } from './errors'
import { describeInput, describeResult, differingParts, jsonReplacer } from './format-result'
import { checkEquivalence, checkWindowEquivalence, type EquivResult } from '../core/smt/equiv'
import { Z3Instance } from '../engine/z3/z3-instance'
import { parseKernelVersion } from '../core/analysis/kernel-target'
import { describeRefusal } from '../core/analysis/describe'
import { chooseProfile } from '../core/search/safety'
import { targetKernelFlag } from './target-kernel'

/** Loads the one program of `file` (or its `--section`), as program type `type` when given. */
function programOf(
  file: string,
  section: string | undefined,
  type: string | undefined
): RunnableProgram {
  const input = loadInput(file)
  const progs = selectPrograms(input, section)
  if (progs.length > 1)
    throw new CliError({
      code: 'SECTION_AMBIGUOUS',
      message: `several programs (${progs.map((p) => p.section + '/' + p.name).join(', ')}); choose one with --section`,
      file
    })
  return runnable(input, progs[0]!, type)
}

/**
 * Loads the second program. A bare `.insns` (no `.maps`/`.desc` beside it, as K2 writes its
 * outputs) or raw bytecode takes the first program's maps and input model.
 */
function secondProgram(
  file: string,
  section: string | undefined,
  type: string | undefined,
  first: RunnableProgram
): RunnableProgram {
  const input = loadInput(file)
  if (input.kind === 'raw') return { ...first, slots: input.programs[0]?.slots ?? [] }
  return programOf(file, section, type)
}

/** Why the safety analysis, following kernel `target`, refuses `p` (undefined: it accepts). */
function unsafeFor(p: RunnableProgram, target: string): string | undefined {
  const v = parseKernelVersion(target)
  if (!v.ok) return v.error.message
  const r = chooseProfile(p.slots, p.progType, p.model, p.attachType, v.value, p.btf)
  if (r.ok) return undefined
  return `${r.error.error.code} at ${describeRefusal(p.slots, r.error.error, r.error.state)}`
}

/** Parses `S:E` (inclusive slot indices). */
function parseWindow(text: string): { start: number; end: number } {
  const m = /^(\d+):(\d+)$/.exec(text)
  if (m === null) throw new UsageError(`--window expects S:E (slot indices), got '${text}'`)
  const start = Number(m[1])
  const end = Number(m[2])
  if (end < start) throw new UsageError('--window end is before its start')
  return { start, end }
}

/** Checks that `a` and `b` differ only inside slots [start, end] of `a` (prefix and suffix equal). */
function checkWindowShape(
  a: RunnableProgram,
  b: RunnableProgram,
  w: { start: number; end: number }
): void {
  const same = (
    x: (typeof a.slots)[number] | undefined,
    y: (typeof a.slots)[number] | undefined
  ): boolean =>
    x !== undefined &&
    y !== undefined &&
    x.code === y.code &&
    x.dst === y.dst &&
    x.src === y.src &&
    x.off === y.off &&
    x.imm === y.imm
  if (w.end >= a.slots.length)
    throw new UsageError(`--window ${w.start}:${w.end} is past the end of the first program`)
  for (let i = 0; i < w.start; i++)
    if (!same(a.slots[i], b.slots[i]))
      throw new CliError({
        code: 'VERIFY_OUTSIDE_WINDOW',
        message: 'programs differ before the window',
        index: i
      })
  const tail = a.slots.length - 1 - w.end
  for (let k = 0; k < tail; k++) {
    const ia = a.slots.length - 1 - k
    const ib = b.slots.length - 1 - k
    if (!same(a.slots[ia], b.slots[ib]))
      throw new CliError({
        code: 'VERIFY_OUTSIDE_WINDOW',
        message: 'programs differ after the window',
        index: ia
      })
  }
}

function report(r: EquivResult, json: boolean, out: (t: string) => void): number {
  if (json) out(JSON.stringify(r, jsonReplacer, 2) + '\n')
  switch (r.kind) {
    case 'equal':
      if (!json) out('equal: the programs give the same results on every input\n')
      return EXIT.ok
    case 'notEqual':
      if (!json && r.scope === 'window') {
        out(
          'not equal within the window: the replacement leaves different live state on this input,\n' +
            'though the whole programs agree on it (the difference is overwritten later):\n' +
            `${describeInput(r.input)}\n`
        )
        return EXIT.negative
      }
      if (!json)
        out(
          `not equal: they differ in ${differingParts(r.resultA, r.resultB).join(', ')} on this input (confirmed by the interpreter):\n${describeInput(r.input)}\n` +
            `first program:\n${describeResult(r.resultA)}\nsecond program:\n${describeResult(r.resultB)}\n`
        )
      return EXIT.negative
    case 'unknown':
      if (!json) out(`unknown: ${r.reason}\n`)
      return EXIT.error
    case 'error':
      if (!json) out(`error: ${r.reason}\n`)
      return EXIT.error
  }
}

/** `summit verify`. */
export const verifyCommand: Command = {
  name: 'verify',
  usage:
    'verify A B [--section S] [--type T] [--window S:E] [--timeout MS] [--target-kernel V] [--json]',
  summary:
    'proves equivalence: exit 0 equal, 1 not equal (prints a counterexample), 2 unknown/error',
  run: async (argv, io) => {
    const args = parseArgs(argv, {
      valued: ['section', 'type', 'window', 'timeout', 'target-kernel']
    })
    const [fa, fb] = args.positionals
    if (fa === undefined || fb === undefined || args.positionals.length !== 2)
      throw new UsageError('expects two programs A B')
    const section = flagString(args, 'section')
    const type = programTypeOption(flagString(args, 'type'))
    const a = programOf(fa, section, type)
    const b = secondProgram(fb, section, type, a)
    const windowText = flagString(args, 'window')
    const window = windowText === undefined ? undefined : parseWindow(windowText)
    if (window !== undefined) checkWindowShape(a, b, window)
    if (a.model.ctx !== b.model.ctx)
      throw new CliError({
        code: 'VERIFY_TYPE_MISMATCH',
        message: `program types differ (${a.progType} vs ${b.progType})`,
        file: fb
      })
    const target = targetKernelFlag(args)
    if (target !== undefined && window === undefined) {
      const refusal = unsafeFor(b, target)
      if (refusal !== undefined) {
        io.out(`unsafe for Linux ${target}: ${refusal}\n`)
        return EXIT.negative
      }
    }
    const z3 = await Z3Instance.create()
    try {
      const options = { timeoutMs: flagInt(args, 'timeout', 60_000) }
      const r =
        window === undefined
          ? await checkEquivalence(a.slots, b.slots, a.model, z3, options)
          : await checkWindowEquivalence(
              a.slots,
              window.start,
              window.end,
              b.slots.slice(
                window.start,
                window.start + b.slots.length - a.slots.length + window.end - window.start + 1
              ),
              a.model,
              z3,
              options
            )
      return report(r, args.flags.has('json'), io.out)
    } finally {
      await z3.dispose()
    }
  }
}
