/**
 * @fileoverview The one search configuration schema (TypeBox, i.e. plain JSON Schema): every
 * field with its type, default, range and description. The same object gives the TypeScript
 * type, validates values at run time, drives the CLI flags and the UI form, and is stored beside
 * each job row.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { fail, ok, type Result } from '../util/result'

const U32_MAX = 0xffffffff

const int = (d: number, minimum: number, maximum: number, description: string) =>
  Type.Integer({ default: d, minimum, maximum, description })
const num = (d: number, minimum: number, maximum: number, description: string) =>
  Type.Number({ default: d, minimum, maximum, description })
const bool = (d: boolean, description: string) => Type.Boolean({ default: d, description })
/** A choice between named values (JSON Schema `anyOf` of `const`s). */
const oneOf = <const A extends string, const B extends string>(
  values: readonly [A, B],
  d: A | B,
  description: string
) => Type.Union([Type.Literal(values[0]), Type.Literal(values[1])], { default: d, description })
/** A choice between three named values. */
const oneOf3 = <const A extends string, const B extends string, const C extends string>(
  values: readonly [A, B, C],
  d: A | B | C,
  description: string
) =>
  Type.Union([Type.Literal(values[0]), Type.Literal(values[1]), Type.Literal(values[2])], {
    default: d,
    description
  })

/** The search configuration schema: a JSON Schema object whose properties are the fields. */
export const SearchConfig = Type.Object(
  {
    seed: int(1, 0, U32_MAX, 'Seed of the chain PRNG; equal seeds give equal runs.'),
    iterations: int(
      200_000,
      0,
      1e12,
      'Total MCMC iterations per chain (0 = unbounded, stop by time).'
    ),
    timeSeconds: num(0, 0, 1e9, 'Wall-clock limit of a search in seconds (0 = none).'),
    chains: int(1, 1, 256, 'Number of independent chains (each gets seed + index).'),
    beta: num(
      Math.LN2,
      1e-6,
      1e3,
      'Inverse temperature: a move raising cost by d is accepted with probability exp(-beta*d). K2 used ln 2 (base-2 acceptance).'
    ),
    betaEnd: num(
      0,
      0,
      1e3,
      'Annealing: when > 0, beta moves geometrically from beta to betaEnd over each restart period (restartEvery iterations) and reheats at every restart. 0 keeps beta constant.'
    ),
    wErr: num(0.5, 0, 1e6, 'Weight of the error term in the cost.'),
    wPerf: num(1.5, 0, 1e6, 'Weight of the performance term in the cost.'),
    perfModel: oneOf3(
      ['sizeNoSlower', 'count', 'latency'],
      'sizeNoSlower',
      "Performance term: sizeNoSlower (default) minimises instruction slots among programs whose estimated latency is not above the original's; count minimises slots alone (ld_imm64 = 2); latency minimises estimated latency. Estimates come from the latency table (summit calibrate, else built in)."
    ),
    errorMetric: oneOf(
      ['pop', 'abs'],
      'pop',
      'Per-output distance: popcount of the XOR of 64-bit words, or absolute difference.'
    ),
    errorMode: oneOf(
      ['eq2', 'eq1'],
      'eq2',
      'eq1: sum of distances; eq2: sum of distances + failing tests, plus 1 when any test fails.'
    ),
    errorAverage: bool(
      false,
      'Divide the summed error by the number of tests (off by default: averaging lets a wrong but shorter program look cheap).'
    ),
    unsafeError: num(1e6, 0, 1e12, 'Error assigned to candidates the safety check rejects.'),
    unprovenError: num(
      1,
      0,
      1e12,
      'Error assigned to a candidate that passes every test but the prover could not decide.'
    ),
    pOperand: num(0.3, 0, 1, 'Relative probability: resample one operand.'),
    pReplace: num(0.2, 0, 1, 'Relative probability: replace one instruction by a new row.'),
    pNop: num(0.05, 0, 1, 'Relative probability: set a random window slot to NOP.'),
    pReplace2: num(0.1, 0, 1, 'Relative probability: replace two neighbouring slots.'),
    pMemWidth: num(0.1, 0, 1, 'Relative probability: change a memory access width.'),
    pSwap: num(0.1, 0, 1, 'Relative probability: swap two adjacent independent instructions.'),
    pRemove: num(0.15, 0, 1, 'Relative probability: remove one live instruction.'),
    pIdiom: num(
      0.05,
      0,
      1,
      'Relative probability: fold an idiom (load/op/store to atomic, constant store, store pair).'
    ),
    immRadius: int(
      16,
      0,
      1 << 20,
      'Immediates and offsets are drawn from [-r, r] plus those in the program.'
    ),
    kernelVerify: bool(
      true,
      'Send each new best to the kernel verifier before it is reported (where BPF is available and the job knows how to load the program); a refusal makes the candidate unsafe and is counted.'
    ),
    allowBackwardJumps: bool(false, 'Let proposals create backward jumps (loops).'),
    allowJumpsInWindow: bool(
      false,
      'Let proposals create jumps when the window is not the whole program.'
    ),
    allowIsaV4: bool(false, 'Let proposals create ISA v4 rows (sdiv/smod, movsx, ldxs*, bswap).'),
    restartEvery: int(
      5000,
      0,
      1e12,
      'Restart the current program from the best every N iterations (0 = never). K2 used 5000.'
    ),
    windowIterations: int(
      20_000,
      0,
      1e12,
      'Iterations per window before moving to the next (0 = stay).'
    ),
    windowMaxSlots: int(6, 1, 4096, 'Largest window cut from a basic block.'),
    wholeProgramMaxSlots: int(40, 0, 1 << 16, 'Programs up to this many slots are searched whole.'),
    targetKernel: Type.String({
      default: '',
      pattern: '^(|v?[0-9]{1,3}[.][0-9]{1,3}([.+_~-].*)?)$',
      maxLength: 64,
      description:
        'Kernel the result is for (e.g. 6.1): the analysis follows its verifier and proposals use only instructions it has. Empty: the running kernel.'
    })
  },
  { additionalProperties: false, $id: 'summit.searchConfig', title: 'Search configuration' }
)

/** The schema's type. */
export type SearchConfigSchema = typeof SearchConfig

/** A field name. */
export type SearchConfigKey = keyof SearchConfigSchema['properties']

/** Resolved configuration values. */
export type SearchOptions = Readonly<Static<SearchConfigSchema>>

/** Schema of one field (a JSON Schema object). */
export type FieldSchema = SearchConfigSchema['properties'][SearchConfigKey]

const FIELDS = SearchConfig.properties as Readonly<Record<string, TSchema>>

/** Every field at its default. */
export function defaultSearchOptions(): SearchOptions {
  const out: Record<string, unknown> = {}
  for (const [k, f] of Object.entries(FIELDS)) out[k] = f.default
  return out as SearchOptions
}

/** Why `v` does not fit field schema `f`, in words. */
function expected(f: TSchema): string {
  if (f.type === 'boolean') return 'expected true or false'
  if (f.type === 'string') return 'expected a kernel version such as 6.1, or empty'
  if (Array.isArray(f.anyOf))
    return `expected one of ${(f.anyOf as { const: string }[]).map((x) => x.const).join(', ')}`
  const kind = f.type === 'integer' ? 'an integer' : 'a number'
  return `expected ${kind} in [${String(f.minimum)}, ${String(f.maximum)}]`
}

/** Fills defaults and validates user values (unknown keys, types, ranges) against the schema. */
export function resolveSearchOptions(
  input: Readonly<Record<string, unknown>>
): Result<SearchOptions> {
  const out: Record<string, unknown> = { ...defaultSearchOptions() }
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined) continue
    const f = Object.hasOwn(FIELDS, k) ? FIELDS[k] : undefined
    const bad = (why: string): Result<SearchOptions> =>
      fail({ code: 'CONFIG_INVALID', message: `search option ${k}: ${why}` })
    if (f === undefined) return bad('unknown option')
    if (!Value.Check(f, v)) return bad(expected(f))
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
