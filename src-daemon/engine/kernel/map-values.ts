/** @fileoverview Map keys and values as the kernel's syscall interface sees them (per-CPU layout). */
import type { Result } from '../../core/util/result'
import { fail, ok } from '../../core/util/result'
import { isPerCpuMapType } from './bpf-constants'
import { hexToBytes } from './hex'
import type { KernelError } from './kernel-error'
import type { MapEntry, MapSpec } from './oracle-types'

/** The CPU layout of per-CPU values: slots per value and the slot test runs use. */
export interface CpuLayout {
  /** Possible CPUs (slots in a per-CPU value). */
  readonly possibleCpus: number
  /** The CPU the helper is pinned to. */
  readonly cpu: number
}

/** Bytes of one CPU's slot in a per-CPU value (the value size rounded up to 8). */
function slotSize(spec: MapSpec): number {
  return (spec.valueSize + 7) & ~7
}

/**
 * The value as the syscall wants it: unchanged for ordinary maps; for per-CPU maps either all
 * slots already, or one value of `valueSize` bytes copied into every CPU's slot.
 */
export function syscallValue(
  spec: MapSpec,
  value: Uint8Array,
  layout: CpuLayout
): Result<Uint8Array, KernelError> {
  if (!isPerCpuMapType(spec.type)) return ok(value)
  const slot = slotSize(spec)
  if (value.length === slot * layout.possibleCpus) return ok(value)
  if (value.length !== spec.valueSize) {
    return fail({
      code: 'KERNEL_BAD_INPUT',
      message: `per-CPU value must be ${spec.valueSize} bytes`
    })
  }
  const full = new Uint8Array(slot * layout.possibleCpus)
  for (let c = 0; c < layout.possibleCpus; c++) full.set(value, c * slot)
  return ok(full)
}

/** An entry from a key and the raw syscall value (per-CPU: split, `value` = the pinned CPU's). */
export function entryFromSyscall(
  spec: MapSpec,
  key: Uint8Array,
  raw: Uint8Array,
  layout: CpuLayout
): MapEntry {
  if (!isPerCpuMapType(spec.type)) return { key, value: raw }
  const slot = slotSize(spec)
  const perCpu: Uint8Array[] = []
  for (let c = 0; c * slot < raw.length; c++)
    perCpu.push(raw.slice(c * slot, c * slot + spec.valueSize))
  return { key, value: perCpu[layout.cpu] ?? new Uint8Array(spec.valueSize), perCpu }
}

/** Decodes the helper's `[{key, value}]` list; undefined if it is malformed. */
export function entriesFromReply(
  list: unknown,
  spec: MapSpec,
  layout: CpuLayout
): MapEntry[] | undefined {
  if (!Array.isArray(list)) return undefined
  const out: MapEntry[] = []
  for (const item of list as unknown[]) {
    const rec = item as { key?: unknown; value?: unknown }
    const key = typeof rec.key === 'string' ? hexToBytes(rec.key) : undefined
    const value = typeof rec.value === 'string' ? hexToBytes(rec.value) : undefined
    if (!key || !value) return undefined
    out.push(entryFromSyscall(spec, key, value, layout))
  }
  return out
}
