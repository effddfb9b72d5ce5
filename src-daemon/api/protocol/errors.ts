/** @fileoverview Error codes of the daemon API and the HTTP status each is sent with. */

/** Every error the API sends is `{ code, message }` with one of these codes (or an input code). */
export const API_ERRORS = {
  /** No or wrong bearer token. */
  AUTH_REQUIRED: 401,
  /** Host header is not the daemon's loopback address (DNS rebinding) or Origin is foreign. */
  FORBIDDEN_HOST: 403,
  FORBIDDEN_ORIGIN: 403,
  /** Malformed request: bad JSON, schema mismatch, bad parameter. */
  BAD_REQUEST: 400,
  /** Body larger than the limit. */
  PAYLOAD_TOO_LARGE: 413,
  /** The client was too slow sending the request. */
  REQUEST_TIMEOUT: 408,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  /** The action does not apply in the job's current state. */
  JOB_STATE: 409,
  /** A search option is unknown, mistyped or out of range. */
  CONFIG_INVALID: 400,
  /** The candidate is not proven equal and accepted: it cannot be exported. */
  NOT_SOUND: 409,
  /** The store cannot be written (disk full, read-only) or is damaged. */
  STORE_UNAVAILABLE: 503,
  /** The daemon is shutting down. */
  SHUTTING_DOWN: 503,
  INTERNAL: 500
} as const

/** A code from {@link API_ERRORS}. */
export type ApiErrorCode = keyof typeof API_ERRORS

/** HTTP status for an error code; input errors (ELF_*, SECTION_*, ...) are 422. */
export function statusOf(code: string): number {
  return (API_ERRORS as Readonly<Record<string, number>>)[code] ?? 422
}

/** An error answer of the API (also thrown by the client). */
export class ApiError extends Error {
  override name = 'ApiError'
  constructor(
    /** Stable code. */
    readonly code: string,
    message: string,
    /** HTTP status (0 when the daemon could not be reached). */
    readonly status: number
  ) {
    super(message)
  }
}
