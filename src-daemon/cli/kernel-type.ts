/** @fileoverview `--type NAME` of the kernel commands: a program type by its kernel name. */
import { progTypeByName, progTypeNames } from '../engine/kernel/bpf-constants'
import { UsageError } from './args'

/** The program type named by `--type`, or undefined without one; a usage error when unknown. */
export function typeOverride(name: string | undefined): number | undefined {
  if (name === undefined) return undefined
  const t = progTypeByName(name)
  if (t === undefined)
    throw new UsageError(
      `--type: unknown program type '${name}' (known: ${progTypeNames().join(', ')})`
    )
  return t
}
