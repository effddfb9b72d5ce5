/** @fileoverview One input on a freshly loaded subject: fill its maps, test-run once, read the maps back. */
import { ok, type Result } from '../../core/util/result'
import { isComparableMapType } from './bpf-constants'
import type { KernelInput } from './kernel-inputs'
import type { KernelError } from './kernel-error'
import {
  isWritableMap,
  loadSubject,
  type KernelSubject,
  type LoadedSubject
} from './kernel-subject'
import type { KernelOracle } from './oracle'
import type { MapEntry } from './oracle-types'

/** What a program did on one input, as the kernel shows it. */
export interface KernelObservation {
  /** Low 32 bits of r0. */
  readonly retval: number
  /** The packet after the run. */
  readonly data?: Uint8Array
  /** The context after the run (skb kinds). */
  readonly ctx?: Uint8Array
  /** Contents of every map whose entries can be compared, by kernel map name. */
  readonly maps: ReadonlyMap<string, readonly MapEntry[]>
}

/** A run, or the test run's refusal of the input (e.g. a frame too short for a socket filter). */
export type RunOutcome =
  | { readonly kind: 'ran'; readonly observation: KernelObservation }
  | { readonly kind: 'refused'; readonly reason: string }

/** Stores the input's map entries (maps user space may not write, like `.rodata`, are left alone). */
export async function fillInputMaps(
  oracle: KernelOracle,
  subject: KernelSubject,
  loaded: LoadedSubject,
  input: KernelInput
): Promise<Result<void, KernelError>> {
  for (const [name, entries] of input.entries) {
    const map = loaded.mapNamed(name)
    if (map === undefined || !isWritableMap(map.handle.spec)) continue
    for (const e of entries) {
      const u = await oracle.updateMap(map.handle, e.key, e.value)
      if (!u.ok) return u
    }
  }
  return ok(undefined)
}

/** Loads `subject` fresh, runs `input` once and reads its maps; everything is closed afterwards. */
export async function runOnInput(
  oracle: KernelOracle,
  subject: KernelSubject,
  input: KernelInput
): Promise<Result<RunOutcome, KernelError>> {
  const loaded = await loadSubject(oracle, subject)
  if (!loaded.ok) return loaded
  const l = loaded.value
  try {
    const filled = await fillInputMaps(oracle, subject, l, input)
    if (!filled.ok) {
      if (filled.error.code === 'KERNEL_MAP_ACCESS')
        return ok({ kind: 'refused', reason: `initial map contents: ${filled.error.message}` })
      return filled
    }
    const run = await oracle.testRun(l.program, l.progType, {
      ...(input.data !== undefined ? { data: input.data } : {}),
      ...(input.ctx !== undefined ? { ctx: input.ctx } : {})
    })
    if (!run.ok) {
      if (run.error.code === 'KERNEL_TEST_RUN')
        return ok({ kind: 'refused', reason: run.error.message })
      return run
    }
    const maps = new Map<string, readonly MapEntry[]>()
    for (const m of l.maps) {
      if (!isComparableMapType(m.handle.spec.type)) continue
      const entries = await oracle.readMap(m.handle)
      if (!entries.ok) return entries
      maps.set(m.name, entries.value)
    }
    return ok({
      kind: 'ran',
      observation: {
        retval: run.value.retval,
        ...(run.value.data !== undefined ? { data: run.value.data } : {}),
        ...(run.value.ctx !== undefined ? { ctx: run.value.ctx } : {}),
        maps
      }
    })
  } finally {
    await l.close()
  }
}
