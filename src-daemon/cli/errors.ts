/** @fileoverview Errors the CLI reports as one line with exit code 2. */
import { formatDiagnostic, type Diagnostic } from '../core/util/result'

/** A user-facing failure (bad input, missing file) carrying its diagnostic. */
export class CliError extends Error {
  override name = 'CliError'
  /** The structured diagnostic, when the failure came from a core layer. */
  readonly diagnostic: Diagnostic | undefined
  constructor(message: string | Diagnostic) {
    super(typeof message === 'string' ? message : formatDiagnostic(message))
    this.diagnostic = typeof message === 'string' ? undefined : message
  }
}
