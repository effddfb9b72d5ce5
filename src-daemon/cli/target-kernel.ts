/** @fileoverview The `--target-kernel VERSION` flag shared by optimize and verify. */
import { parseKernelVersion } from '../core/analysis/kernel-target'
import { flagString, UsageError, type ParsedArgs } from './args'

/** The `--target-kernel` value (validated, e.g. `6.1`), or undefined when not given. */
export function targetKernelFlag(args: ParsedArgs): string | undefined {
  const text = flagString(args, 'target-kernel')
  if (text === undefined) return undefined
  const v = parseKernelVersion(text)
  if (!v.ok) throw new UsageError(`--target-kernel: ${v.error.message}`)
  return `${v.value.major}.${v.value.minor}`
}
