/** @fileoverview The latency table's stored form (JSON in the data directory) and its validation. */
import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { fail, ok, type Result } from '../util/result'
import { LATENCY_CLASSES, type LatencyTable } from './latency'

/** File name of the calibrated latency table inside the data directory. */
export const LATENCY_FILE = 'latency.json'

const ns = Type.Number({ minimum: 0, maximum: 1e7 })

/** JSON Schema of a stored {@link LatencyTable}. */
export const LatencyTableSchema = Type.Object(
  {
    source: Type.Union([Type.Literal('builtin'), Type.Literal('calibrated')]),
    classes: Type.Object(
      Object.fromEntries(LATENCY_CLASSES.map((c) => [c, ns])) as Record<
        (typeof LATENCY_CLASSES)[number],
        typeof ns
      >,
      { additionalProperties: false }
    ),
    helpers: Type.Record(Type.String({ pattern: '^[0-9]+$' }), ns),
    measuredAt: Type.Optional(Type.String()),
    kernel: Type.Optional(Type.String())
  },
  { additionalProperties: false }
)

/** Validates a parsed latency table (`where` names the file in the error). */
export function parseLatencyTable(doc: unknown, where: string): Result<LatencyTable> {
  if (Value.Check(LatencyTableSchema, doc)) return ok(doc as LatencyTable)
  const first = [...Value.Errors(LatencyTableSchema, doc)][0]
  return fail({
    code: 'LATENCY_TABLE_INVALID',
    message: `${where}: not a latency table (${first !== undefined ? `${first.path || '/'}: ${first.message}` : 'invalid'}); run summit calibrate again or delete it`
  })
}
