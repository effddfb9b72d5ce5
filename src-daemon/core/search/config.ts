/**
 * @fileoverview The one search configuration schema: every field with its type, default, range
 * and description. The CLI flags, the UI form and the stored job row are derived from it.
 */
import { fail, ok, type Result } from '../util/result'

/** Schema of one numeric field. */
export interface NumberField {
  readonly type: 'number' | 'integer'
  readonly default: number
  readonly min: number
  readonly max: number
  readonly description: string
}

/** Schema of one boolean field. */
export interface BooleanField {
  readonly type: 'boolean'
  readonly default: boolean
  readonly description: string
}

/** Schema of one enumerated field. */
export interface EnumField<V extends string = string> {
  readonly type: 'enum'
  readonly values: readonly V[]
  readonly default: V
  readonly description: string
}

/** Any field schema. */
export type FieldSchema = NumberField | BooleanField | EnumField

const num = (
  type: 'number' | 'integer',
  d: number,
  min: number,
  max: number,
  description: string
): NumberField => ({ type, default: d, min, max, description })

const bool = (d: boolean, description: string): BooleanField => ({
  type: 'boolean',
  default: d,
  description
})

const enumOf = <V extends string>(
  values: readonly V[],
  d: V,
  description: string
): EnumField<V> => ({
  type: 'enum',
  values,
  default: d,
  description
})

const U32_MAX = 0xffffffff

/** The search configuration schema (field name → schema). */
export const SearchConfig = {
  seed: num('integer', 1, 0, U32_MAX, 'Seed of the chain PRNG; equal seeds give equal runs.'),
  iterations: num(
    'integer',
    200_000,
    0,
    1e12,
    'Total MCMC iterations per chain (0 = unbounded, stop by time).'
  ),
  timeSeconds: num('number', 0, 0, 1e9, 'Wall-clock limit of a search in seconds (0 = none).'),
  chains: num('integer', 1, 1, 256, 'Number of independent chains (each gets seed + index).'),
  beta: num(
    'number',
    Math.LN2,
    1e-6,
    1e3,
    'Inverse temperature: a move raising cost by d is accepted with probability exp(-beta*d). K2 used ln 2 (base-2 acceptance).'
  ),
  betaEnd: num(
    'number',
    0,
    0,
    1e3,
    'Annealing: when > 0, beta moves geometrically from beta to betaEnd over each restart period (restartEvery iterations) and reheats at every restart. 0 keeps beta constant.'
  ),
  wErr: num('number', 0.5, 0, 1e6, 'Weight of the error term in the cost.'),
  wPerf: num('number', 1.5, 0, 1e6, 'Weight of the performance term in the cost.'),
  perfModel: enumOf(
    ['count', 'latency'] as const,
    'count',
    'Performance term: instruction slots (ld_imm64 = 2) or the estimated latency table.'
  ),
  errorMetric: enumOf(
    ['pop', 'abs'] as const,
    'pop',
    'Per-output distance: popcount of the XOR of 64-bit words, or absolute difference.'
  ),
  errorMode: enumOf(
    ['eq2', 'eq1'] as const,
    'eq2',
    'eq1: sum of distances; eq2: sum of distances + failing tests, plus 1 when any test fails.'
  ),
  errorAverage: bool(
    false,
    'Divide the summed error by the number of tests (off by default: averaging lets a wrong but shorter program look cheap).'
  ),
  unsafeError: num(
    'number',
    1e6,
    0,
    1e12,
    'Error assigned to candidates the safety check rejects.'
  ),
  unprovenError: num(
    'number',
    1,
    0,
    1e12,
    'Error assigned to a candidate that passes every test but the prover could not decide.'
  ),
  pOperand: num('number', 0.3, 0, 1, 'Relative probability: resample one operand.'),
  pReplace: num('number', 0.2, 0, 1, 'Relative probability: replace one instruction by a new row.'),
  pNop: num('number', 0.05, 0, 1, 'Relative probability: set a random window slot to NOP.'),
  pReplace2: num('number', 0.1, 0, 1, 'Relative probability: replace two neighbouring slots.'),
  pMemWidth: num('number', 0.1, 0, 1, 'Relative probability: change a memory access width.'),
  pSwap: num(
    'number',
    0.1,
    0,
    1,
    'Relative probability: swap two adjacent independent instructions.'
  ),
  pRemove: num('number', 0.15, 0, 1, 'Relative probability: remove one live instruction.'),
  pIdiom: num(
    'number',
    0.05,
    0,
    1,
    'Relative probability: fold an idiom (load/op/store to atomic, constant store, store pair).'
  ),
  immRadius: num(
    'integer',
    16,
    0,
    1 << 20,
    'Immediates and offsets are drawn from [-r, r] plus those in the program.'
  ),
  allowBackwardJumps: bool(false, 'Let proposals create backward jumps (loops).'),
  allowJumpsInWindow: bool(
    false,
    'Let proposals create jumps when the window is not the whole program.'
  ),
  allowIsaV4: bool(false, 'Let proposals create ISA v4 rows (sdiv/smod, movsx, ldxs*, bswap).'),
  restartEvery: num(
    'integer',
    5000,
    0,
    1e12,
    'Restart the current program from the best every N iterations (0 = never). K2 used 5000.'
  ),
  windowIterations: num(
    'integer',
    20_000,
    0,
    1e12,
    'Iterations per window before moving to the next (0 = stay).'
  ),
  windowMaxSlots: num('integer', 6, 1, 4096, 'Largest window cut from a basic block.'),
  wholeProgramMaxSlots: num(
    'integer',
    40,
    0,
    1 << 16,
    'Programs up to this many slots are searched whole.'
  )
} as const

/** The schema's type. */
export type SearchConfigSchema = typeof SearchConfig

/** A field name. */
export type SearchConfigKey = keyof SearchConfigSchema

type ValueOf<F> =
  F extends EnumField<infer V>
    ? V
    : F extends BooleanField
      ? boolean
      : F extends NumberField
        ? number
        : never

/** Resolved configuration values. */
export type SearchOptions = { readonly [K in SearchConfigKey]: ValueOf<SearchConfigSchema[K]> }

/** Every field at its default. */
export function defaultSearchOptions(): SearchOptions {
  const out: Record<string, unknown> = {}
  for (const [k, f] of Object.entries(SearchConfig)) out[k] = f.default
  return out as SearchOptions
}

/** Fills defaults and validates user values (unknown keys, types, ranges) against the schema. */
export function resolveSearchOptions(
  input: Readonly<Record<string, unknown>>
): Result<SearchOptions> {
  const out: Record<string, unknown> = { ...defaultSearchOptions() }
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined) continue
    const f = (SearchConfig as Readonly<Record<string, FieldSchema>>)[k]
    const bad = (why: string): Result<SearchOptions> =>
      fail({ code: 'CONFIG_INVALID', message: `search option ${k}: ${why}` })
    if (f === undefined) return bad('unknown option')
    if (f.type === 'boolean') {
      if (typeof v !== 'boolean') return bad('expected true or false')
    } else if (f.type === 'enum') {
      if (typeof v !== 'string' || !f.values.includes(v))
        return bad(`expected one of ${f.values.join(', ')}`)
    } else {
      if (typeof v !== 'number' || !Number.isFinite(v)) return bad('expected a number')
      if (f.type === 'integer' && !Number.isInteger(v)) return bad('expected an integer')
      if (v < f.min || v > f.max) return bad(`expected a value in [${f.min}, ${f.max}]`)
    }
    out[k] = v
  }
  const o = out as SearchOptions
  if (
    o.pOperand + o.pReplace + o.pNop + o.pReplace2 + o.pMemWidth + o.pSwap + o.pRemove + o.pIdiom <=
    0
  ) {
    return fail({ code: 'CONFIG_INVALID', message: 'move probabilities sum to zero' })
  }
  return ok(o)
}
