/**
 * @fileoverview `summit kernel-features [FILE] [--section S] [--type T] [--json]`: asks the
 * running kernel which features it has. Without FILE: a standard list (packet helpers, map types,
 * instruction classes, test runs per program type). With FILE: what that program needs to load
 * and test-run, and whether this kernel has each. Exit 0 when everything asked for is there,
 * 1 when something is missing, 2 when BPF is unavailable or the input is bad.
 */
import { release } from 'node:os'
import { EXIT, type Command } from './command'
import { flagString, parseArgs } from './args'
import { kernelPlan } from '../engine/kernel/kernel-plan'
import { typeOverride } from './kernel-type'
import { loadInput, selectPrograms } from '../engine/program/load'
import { CliError } from './errors'
import { MapType, ProgType } from '../engine/kernel/bpf-constants'
import { KernelFeatureProbe } from '../engine/kernel/feature-probe'
import {
  INSN_FEATURES,
  featureKey,
  requiredFeatures,
  type FeatureVerdict,
  type InsnFeature,
  type KernelFeature
} from '../engine/kernel/features'
import { KernelOracle } from '../engine/kernel/oracle'

const STANDARD_MAPS: readonly number[] = [
  MapType.hash,
  MapType.array,
  MapType.percpuHash,
  MapType.lruHash,
  MapType.lpmTrie,
  MapType.queue,
  MapType.stack,
  MapType.ringbuf,
  MapType.devmap,
  MapType.cpumap
]

/** The features listed when no program is given: what Summit's tests and searches rely on. */
function standardFeatures(): KernelFeature[] {
  const helpers = (progType: number, ids: readonly number[]): KernelFeature[] =>
    ids.map((helper) => ({ kind: 'helper', progType, helper }))
  return [
    ...helpers(ProgType.xdp, [44, 54, 65, 51, 130, 131]),
    ...helpers(ProgType.schedCls, [9, 10, 26]),
    ...STANDARD_MAPS.map((mapType): KernelFeature => ({ kind: 'mapType', mapType })),
    ...(Object.keys(INSN_FEATURES) as InsnFeature[]).map((i): KernelFeature => ({
      kind: 'insn',
      insn: i
    })),
    ...[ProgType.xdp, ProgType.schedCls, ProgType.socketFilter, ProgType.rawTracepoint].map(
      (progType): KernelFeature => ({ kind: 'testRun', progType })
    )
  ]
}

/** What FILE's program needs to load and test-run. */
function programFeatures(file: string, section: string | undefined, type: string | undefined) {
  const input = loadInput(file)
  const program = selectPrograms(input, section)[0]
  if (program === undefined)
    throw new CliError({ code: 'INPUT_NO_PROGRAM', message: 'no program to check', file })
  const plan = kernelPlan(input, program, typeOverride(type))
  return requiredFeatures(
    plan.insns,
    plan.progType,
    plan.maps.map((m) => m.type),
    { testRun: true }
  )
}

/** `summit kernel-features`. */
export const kernelFeaturesCommand: Command = {
  name: 'kernel-features',
  usage: 'kernel-features [FILE] [--section S] [--type T] [--kernel IMAGE] [--json]',
  summary:
    'probes which BPF features the running kernel has (for FILE: those its program needs): exit 0 all there, 1 some missing, 2 unavailable',
  run: async (argv, io) => {
    const args = parseArgs(argv, { valued: ['section', 'type', 'kernel'] })
    const file = args.positionals[0]
    const features =
      file === undefined
        ? standardFeatures()
        : programFeatures(file, flagString(args, 'section'), flagString(args, 'type'))
    const image = flagString(args, 'kernel')
    const oracle = new KernelOracle(image !== undefined ? { kernelImage: image } : {})
    try {
      const a = await oracle.availability()
      if (!a.available) {
        const where = image !== undefined ? `in a virtual machine booting ${image}` : 'here'
        io.err(`summit kernel-features: BPF is unavailable ${where}: ${a.reason}\n`)
        return EXIT.error
      }
      const kernel = a.vmKernel !== undefined ? `${a.vmKernel} (VM)` : release()
      const probe = new KernelFeatureProbe(oracle)
      const verdicts: (FeatureVerdict & { key: string })[] = []
      for (const f of features) verdicts.push({ key: featureKey(f), ...(await probe.check(f)) })
      if (args.flags.has('json')) {
        io.out(JSON.stringify({ kernel, features: verdicts }, null, 2) + '\n')
      } else {
        io.out(`kernel ${kernel}\n`)
        for (const v of verdicts)
          io.out(
            `  ${v.available ? 'yes' : 'NO '}  ${v.feature}${v.available ? '' : ` (${v.detail})`}\n`
          )
      }
      return verdicts.every((v) => v.available) ? EXIT.ok : EXIT.negative
    } finally {
      await oracle.dispose()
    }
  }
}
