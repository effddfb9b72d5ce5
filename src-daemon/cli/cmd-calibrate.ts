/**
 * @fileoverview `summit calibrate [--data-dir D] [--rounds N] [--json]`: measures the latency
 * table in this machine's kernel and stores it in the data directory, where `--cost no-slower`
 * (the default) and `--cost latency` searches read it.
 */
import { calibrate, UNMEASURED_CLASSES } from '../engine/kernel/calibrate'
import { KernelOracle } from '../engine/kernel/oracle'
import { writeLatencyTable } from '../engine/search/latency-file'
import { LATENCY_CLASSES } from '../core/search/latency'
import { flagInt, flagString, parseArgs, UsageError } from './args'
import { EXIT, type Command } from './command'
import { dataDirOf } from './daemon-connect'

/** `summit calibrate`. */
export const calibrateCommand: Command = {
  name: 'calibrate',
  usage: 'calibrate [--data-dir D] [--rounds N] [--json]',
  summary:
    'measures instruction classes, atomics and helper calls in the kernel (BPF_PROG_TEST_RUN) and stores the latency table searches use in the data directory; exit 2 without BPF',
  run: async (argv, io) => {
    const args = parseArgs(argv, { valued: ['data-dir', 'rounds'] })
    if (args.positionals.length > 0) throw new UsageError('takes no FILE')
    const rounds = flagInt(args, 'rounds', 7)
    if (rounds < 1) throw new UsageError('--rounds must be at least 1')
    const dataDir = dataDirOf(flagString(args, 'data-dir'))
    const oracle = new KernelOracle()
    try {
      const a = await oracle.availability()
      if (!a.available) {
        io.err(`summit calibrate: BPF is unavailable here: ${a.reason}\n`)
        return EXIT.error
      }
      const c = await calibrate(oracle, { rounds })
      if (!c.ok) {
        io.err(`summit calibrate: ${c.error.code}: ${c.error.message}\n`)
        return EXIT.error
      }
      const path = writeLatencyTable(dataDir, c.value.table)
      if (args.flags.has('json')) {
        io.out(JSON.stringify({ path, ...c.value }, null, 2) + '\n')
        return EXIT.ok
      }
      const t = c.value.table
      const lines = [`latency table (ns) measured on kernel ${t.kernel ?? '?'}; wrote ${path}`]
      for (const k of LATENCY_CLASSES)
        lines.push(
          `  ${k.padEnd(12)} ${t.classes[k].toFixed(2).padStart(8)}${UNMEASURED_CLASSES.includes(k) ? '  (built in)' : ''}`
        )
      for (const [id, ns] of Object.entries(t.helpers))
        lines.push(
          `  helper ${id.padEnd(5)} ${ns.toFixed(2).padStart(8)}${c.value.measured.includes(`helper ${id}`) ? '' : '  (built in)'}`
        )
      io.out(lines.join('\n') + '\n')
      return EXIT.ok
    } finally {
      await oracle.dispose()
    }
  }
}
