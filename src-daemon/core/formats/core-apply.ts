/** @fileoverview Applies an object's CO-RE relocations to one linked program for a target kernel BTF. */

import type { Insn } from '../isa/insn'
import type { Result } from '../util/result'
import { fail, ok } from '../util/result'
import type { BpfObject } from './bpf-object'
import { readCoreRecords } from './btf-ext'
import type { CoreRecord, CoreResolution, CoreTarget } from './core-relo'
import { patchCoreInsn, resolveCoreRecord } from './core-relo'
import type { PlacedFunction } from './export-linked'

/** One CO-RE record applied to a linked program. */
export interface AppliedCore {
  /** Slot in the linked program. */
  readonly slot: number
  /** The record. */
  readonly record: CoreRecord
  /** What it resolved to on the target. */
  readonly resolution: CoreResolution
}

/** The CO-RE records that fall in the placed functions, with their linked slots. */
export function coreRecordsOfLink(
  obj: BpfObject,
  functions: readonly PlacedFunction[]
): { slot: number; section: string; record: CoreRecord }[] {
  const bySection = readCoreRecords(obj)
  return functions.flatMap((f) => {
    const first = f.program.firstSlot
    return (bySection.get(f.program.section) ?? []).flatMap((record) => {
      const s = record.insnOff / 8
      return s >= first && s < first + f.program.slotCount
        ? [{ slot: f.firstSlot + s - first, section: f.program.section, record }]
        : []
    })
  })
}

/**
 * Patches `slots` (a linked program of `obj` laid out as `functions`) as libbpf would on the
 * target: every CO-RE record of those functions is resolved and applied. Fails, naming the
 * section and slot, where libbpf would fail or poison the instruction.
 */
export function applyCoreRelocations(
  obj: BpfObject,
  functions: readonly PlacedFunction[],
  slots: readonly Insn[],
  target: CoreTarget
): Result<{ slots: Insn[]; applied: AppliedCore[] }> {
  const out = slots.map((s) => ({ ...s }))
  const applied: AppliedCore[] = []
  const records = coreRecordsOfLink(obj, functions)
  if (records.length > 0 && obj.btfTypes === undefined)
    return fail({ code: 'CORE_UNRESOLVED', message: 'CO-RE records without a readable .BTF' })
  for (const { slot, section, record } of records) {
    const where = (message: string): Result<never> =>
      fail({
        code: 'CORE_UNRESOLVED',
        message: `CO-RE relocation (kind ${record.kind}, access ${record.access}): ${message}`,
        section,
        index: record.insnOff / 8,
        ...(obj.file !== undefined ? { file: obj.file } : {})
      })
    const res = resolveCoreRecord(obj.btfTypes!, record, target)
    if (!res.ok) return where(res.error.message)
    const patched = patchCoreInsn(out, slot, res.value)
    if (!patched.ok) return where(patched.error.message)
    applied.push({ slot, record, resolution: res.value })
  }
  return ok({ slots: out, applied })
}
