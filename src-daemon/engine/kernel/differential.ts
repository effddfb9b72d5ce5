/**
 * @fileoverview Differential runs of two programs in the kernel: the same inputs on fresh loads of
 * each, comparing r0, the packet, the context and every data map. Programs that read the clock or
 * random numbers are run twice each: what differs between two runs of the same program is
 * reported as unstable and left out of the comparison, never counted as equal or as a mismatch.
 */
import { ok, type Result } from '../../core/util/result'
import type { KernelInput } from './kernel-inputs'
import type { KernelError } from './kernel-error'
import type { KernelSubject } from './kernel-subject'
import type { KernelOracle } from './oracle'
import type { MapEntry } from './oracle-types'
import { runOnInput, type KernelObservation } from './subject-run'
import { bytesToHex } from './hex'

/** One observable part of a run (r0, packet, context, one map) in comparable text. */
type Parts = Map<string, string>

/** How two programs compared on one input. */
export interface InputComparison {
  readonly label: string
  /** `same`: every stable part equal; `different`: some stable part differs; `refused`: the kernel refused the input for either program. */
  readonly outcome: 'same' | 'different' | 'refused'
  /** Parts that differ (`r0`, `packet`, `context`, `map NAME`, `map set`). */
  readonly differences: readonly { part: string; original: string; rewritten: string }[]
  /** Parts left out because they differ between two runs of the same program. */
  readonly unstable: readonly string[]
  /** Why the kernel refused the input. */
  readonly reason?: string
}

function entriesText(entries: readonly MapEntry[]): string {
  return entries
    .map((e) => `${bytesToHex(e.key)}=${(e.perCpu ?? [e.value]).map(bytesToHex).join('/')}`)
    .sort()
    .join(' ')
}

/**
 * Observable parts of a run. Maps are paired by name when both programs have the same map names,
 * else by position (`map #i`), so that an object and its K2 or raw form still compare.
 */
function partsOf(o: KernelObservation, mapKeys: ReadonlyMap<string, string>): Parts {
  const parts: Parts = new Map()
  parts.set('r0', String(o.retval >>> 0))
  if (o.data !== undefined) parts.set('packet', bytesToHex(o.data))
  if (o.ctx !== undefined) parts.set('context', bytesToHex(o.ctx))
  for (const [name, entries] of o.maps)
    parts.set(`map ${mapKeys.get(name) ?? name}`, entriesText(entries))
  return parts
}

/** How each side's map names are reported: themselves, or `#i` when the two sides' names differ. */
function mapKeys(
  a: KernelObservation,
  b: KernelObservation
): [Map<string, string>, Map<string, string>] {
  const na = [...a.maps.keys()]
  const nb = [...b.maps.keys()]
  const sameNames = na.length === nb.length && na.every((n) => b.maps.has(n))
  const keyed = (names: string[]): Map<string, string> =>
    new Map(names.map((n, i) => [n, sameNames ? n : `#${i}`]))
  return [keyed(na), keyed(nb)]
}

function differingParts(x: Parts, y: Parts): string[] {
  const names = new Set([...x.keys(), ...y.keys()])
  return [...names].filter((n) => x.get(n) !== y.get(n))
}

/** Runs `input` on each side `runs` times; the first observations, or a refusal. */
async function observe(
  oracle: KernelOracle,
  subject: KernelSubject,
  input: KernelInput,
  runs: number
): Promise<Result<KernelObservation[] | { refused: string }, KernelError>> {
  const out: KernelObservation[] = []
  for (let i = 0; i < runs; i++) {
    const r = await runOnInput(oracle, subject, input)
    if (!r.ok) return r
    if (r.value.kind === 'refused') return ok({ refused: r.value.reason })
    out.push(r.value.observation)
  }
  return ok(out)
}

/**
 * Runs `original` and `rewritten` on every input (fresh loads each time) and compares what they
 * leave. `unstable` (programs that call clock or random helpers) runs each side twice per input.
 */
export async function compareOnInputs(
  oracle: KernelOracle,
  original: KernelSubject,
  rewritten: KernelSubject,
  inputs: readonly KernelInput[],
  options: { readonly unstable: boolean }
): Promise<Result<InputComparison[], KernelError>> {
  const runs = options.unstable ? 2 : 1
  const out: InputComparison[] = []
  for (const input of inputs) {
    const a = await observe(oracle, original, input, runs)
    if (!a.ok) return a
    const b = await observe(oracle, rewritten, input, runs)
    if (!b.ok) return b
    if (!Array.isArray(a.value) || !Array.isArray(b.value)) {
      const reason = !Array.isArray(a.value)
        ? a.value.refused
        : (b.value as { refused: string }).refused
      out.push({ label: input.label, outcome: 'refused', differences: [], unstable: [], reason })
      continue
    }
    const [ka, kb] = mapKeys(a.value[0]!, b.value[0]!)
    const pa = a.value.map((o) => partsOf(o, ka))
    const pb = b.value.map((o) => partsOf(o, kb))
    const unstable = new Set<string>()
    for (const side of [pa, pb])
      for (let i = 1; i < side.length; i++)
        for (const p of differingParts(side[0]!, side[i]!)) unstable.add(p)
    const differences = differingParts(pa[0]!, pb[0]!)
      .filter((p) => !unstable.has(p))
      .map((part) => ({
        part,
        original: pa[0]!.get(part) ?? '(none)',
        rewritten: pb[0]!.get(part) ?? '(none)'
      }))
    out.push({
      label: input.label,
      outcome: differences.length > 0 ? 'different' : 'same',
      differences,
      unstable: [...unstable]
    })
  }
  return ok(out)
}
