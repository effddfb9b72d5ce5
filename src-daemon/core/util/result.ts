/** @fileoverview Results as values: expected failures are data with a stable code, not exceptions. */

/** A user-facing error with a stable code and, where known, the place it refers to. */
export interface Diagnostic {
  /** Stable machine-readable code, e.g. `ELF_TRUNCATED`, `ISA_UNKNOWN_OPCODE`. */
  readonly code: string
  /** One-line human message. */
  readonly message: string
  /** Input file name, when known. */
  readonly file?: string
  /** Section (program) name, when known. */
  readonly section?: string
  /** Instruction slot index, when known. */
  readonly index?: number
  /** Line number in a text input (1-based), when known. */
  readonly line?: number
}

/** Success carrying a value, or failure carrying a diagnostic. */
export type Result<T, E = Diagnostic> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E }

/** Wraps a value as a success. */
export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value }
}

/** Wraps a diagnostic as a failure. */
export function fail<E = Diagnostic>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error }
}

/** Formats a diagnostic as one line naming file, section and instruction. */
export function formatDiagnostic(d: Diagnostic): string {
  const where: string[] = []
  if (d.file !== undefined) where.push(d.file)
  if (d.section !== undefined) where.push(`section ${d.section}`)
  if (d.index !== undefined) where.push(`insn ${d.index}`)
  if (d.line !== undefined) where.push(`line ${d.line}`)
  return `${where.length ? where.join(': ') + ': ' : ''}error ${d.code}: ${d.message}`
}

/** Thrown only for programming errors (broken invariants), never for bad user input. */
export class InternalError extends Error {
  override name = 'InternalError'
}

/** Exhaustiveness guard for discriminated unions. */
export function assertNever(x: never): never {
  throw new InternalError(`unexpected value ${JSON.stringify(x)}`)
}
