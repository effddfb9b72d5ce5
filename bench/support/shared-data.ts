/** @fileoverview Benchmarks that read `../shared` say so and stop when it is not beside the checkout. */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** `../shared` beside the checkout. */
export const SHARED_DIR = fileURLToPath(new URL('../../../shared/', import.meta.url))

/**
 * The absolute path of `rel` inside `../shared` (with a trailing slash for folders); when it is
 * absent, prints which benchmark needs it and exits with code 2.
 */
export function requireShared(rel: string, bench: string): string {
  const p = `${SHARED_DIR}${rel}`
  if (existsSync(p)) return p
  process.stderr.write(
    `npm run bench -- ${bench}: needs ../shared/${rel} (the shared data beside the checkout), which is absent here\n`
  )
  process.exit(2)
}
