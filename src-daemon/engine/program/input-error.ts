/** @fileoverview A user-facing failure carrying its diagnostic (bad input, missing file): the CLI prints it as one line with exit code 2, the API sends it as `{code, message}`. */
import { formatDiagnostic, type Diagnostic } from '../../core/util/result'

/** A user-facing failure (bad input, missing file) carrying its diagnostic. */
export class InputError extends Error {
  override name = 'InputError'
  /** The structured diagnostic, when the failure came from a core layer. */
  readonly diagnostic: Diagnostic | undefined
  constructor(message: string | Diagnostic) {
    super(typeof message === 'string' ? message : formatDiagnostic(message))
    this.diagnostic = typeof message === 'string' ? undefined : message
  }
}
