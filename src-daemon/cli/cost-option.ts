/** @fileoverview The `--cost` flag of `optimize` and the latency table the CLI's searches use. */
import type { PerfModelName } from '../core/search/cost'
import type { LatencyTable } from '../core/search/latency'
import { readLatencyTable } from '../engine/search/latency-file'
import { UsageError } from './args'
import { dataDirOf } from './daemon-connect'
import { CliError } from './errors'

const COSTS: Readonly<Record<string, PerfModelName>> = {
  'no-slower': 'sizeNoSlower',
  size: 'count',
  latency: 'latency'
}

/** The `perfModel` option `--cost` names (`no-slower` when absent). */
export function perfModelOfCost(flag: string | undefined): PerfModelName {
  const m = COSTS[flag ?? 'no-slower']
  if (m === undefined)
    throw new UsageError(`--cost expects no-slower, size or latency, got '${flag ?? ''}'`)
  return m
}

/** The calibrated latency table of the data directory (undefined: the built-in table applies). */
export function storedLatencyTable(dataDirFlag: string | undefined): LatencyTable | undefined {
  const r = readLatencyTable(dataDirOf(dataDirFlag))
  if (!r.ok) throw new CliError(r.error)
  return r.value
}
