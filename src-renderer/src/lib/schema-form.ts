/**
 * @fileoverview Form fields from the daemon's config schema (JSON Schema objects with defaults,
 * ranges and descriptions), and parsing of what the user typed back into values.
 */

/** One generated form field. */
export interface FormField {
  readonly key: string
  readonly label: string
  readonly kind: 'integer' | 'number' | 'boolean' | 'choice' | 'text'
  readonly defaultValue: number | boolean | string
  readonly minimum?: number
  readonly maximum?: number
  readonly choices?: readonly string[]
  /** For text: the pattern (JSON Schema regular expression) and longest length accepted. */
  readonly pattern?: string
  readonly maxLength?: number
  readonly description: string
}

/** Labels for fields whose names read poorly when split; the rest are derived from the name. */
const LABELS: Readonly<Record<string, string>> = {
  timeSeconds: 'Time budget (seconds)',
  perfModel: 'Cost model',
  wErr: 'Error weight',
  wPerf: 'Performance weight',
  betaEnd: 'Beta at end of restart period',
  immRadius: 'Immediate radius',
  allowIsaV4: 'Allow ISA v4 instructions',
  proofTimeoutMs: 'Proof time limit (ms)',
  targetKernel: 'Target kernel'
}

/** "windowMaxSlots" → "Window max slots". */
export function labelOf(key: string): string {
  const known = LABELS[key]
  if (known !== undefined) return known
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

interface JsonSchemaLike {
  readonly type?: unknown
  readonly default?: unknown
  readonly minimum?: unknown
  readonly maximum?: unknown
  readonly description?: unknown
  readonly pattern?: unknown
  readonly maxLength?: unknown
  readonly anyOf?: readonly { readonly const?: unknown }[]
  readonly properties?: Readonly<Record<string, JsonSchemaLike>>
}

/** The fields of an object schema that a form can show (numbers, booleans, choices, text). */
export function formFields(schema: unknown): FormField[] {
  const props = (schema as JsonSchemaLike | undefined)?.properties ?? {}
  const out: FormField[] = []
  for (const [key, p] of Object.entries(props)) {
    const description = typeof p.description === 'string' ? p.description : ''
    const base = { key, label: labelOf(key), description }
    const range = {
      ...(typeof p.minimum === 'number' ? { minimum: p.minimum } : {}),
      ...(typeof p.maximum === 'number' ? { maximum: p.maximum } : {})
    }
    if (p.type === 'integer' || p.type === 'number') {
      out.push({ ...base, ...range, kind: p.type, defaultValue: Number(p.default ?? 0) })
    } else if (p.type === 'boolean') {
      out.push({ ...base, kind: 'boolean', defaultValue: p.default === true })
    } else if (Array.isArray(p.anyOf) && p.anyOf.every((c) => typeof c.const === 'string')) {
      const choices = p.anyOf.map((c) => String(c.const))
      out.push({ ...base, kind: 'choice', choices, defaultValue: String(p.default ?? choices[0]) })
    } else if (p.type === 'string') {
      out.push({
        ...base,
        kind: 'text',
        defaultValue: typeof p.default === 'string' ? p.default : '',
        ...(typeof p.pattern === 'string' ? { pattern: p.pattern } : {}),
        ...(typeof p.maxLength === 'number' ? { maxLength: p.maxLength } : {})
      })
    }
  }
  return out
}

/** A field value parsed from the form, or why it is not acceptable. */
export type ParsedField =
  | { readonly ok: true; readonly value: number | boolean | string }
  | { readonly ok: false; readonly message: string }

/** Parses and range-checks what the user entered for `f`. */
export function parseField(f: FormField, raw: string | number | boolean): ParsedField {
  if (f.kind === 'boolean') return { ok: true, value: raw === true || raw === 'true' }
  if (f.kind === 'choice') {
    const v = String(raw)
    return f.choices?.includes(v) === true
      ? { ok: true, value: v }
      : { ok: false, message: `${f.label}: choose one of ${f.choices?.join(', ') ?? ''}` }
  }
  const text = String(raw).trim()
  if (f.kind === 'text') {
    if (f.maxLength !== undefined && text.length > f.maxLength)
      return { ok: false, message: `${f.label}: at most ${f.maxLength} characters` }
    if (f.pattern !== undefined && !new RegExp(f.pattern).test(text))
      return { ok: false, message: `${f.label}: not of the expected form` }
    return { ok: true, value: text }
  }
  const n = Number(text)
  if (text === '' || !Number.isFinite(n)) return { ok: false, message: `${f.label}: not a number` }
  if (f.kind === 'integer' && !Number.isInteger(n))
    return { ok: false, message: `${f.label}: must be a whole number` }
  if (f.minimum !== undefined && n < f.minimum)
    return { ok: false, message: `${f.label}: at least ${f.minimum}` }
  if (f.maximum !== undefined && n > f.maximum)
    return { ok: false, message: `${f.label}: at most ${f.maximum}` }
  return { ok: true, value: n }
}
