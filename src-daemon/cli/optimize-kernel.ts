/** @fileoverview `optimize --kernel-check`: loads the result through the kernel verifier (skipped when BPF is unavailable). */
import { k2MapFdsToIndices } from '../core/formats/k2'
import type { Insn } from '../core/isa/insn'
import { KernelOracle } from '../engine/kernel/oracle'
import type { MapHandle } from '../engine/kernel/oracle-types'
import { kernelPlan } from './cmd-kernel-check'
import type { LoadedInput, LoadedProgram } from '../engine/program/load'

/** Loads `slots` (in the search's form) as `program` of `input` (of type `type`, if given); a one-line verdict. */
export async function kernelVerify(
  input: LoadedInput,
  program: LoadedProgram,
  slots: readonly Insn[],
  type?: string
): Promise<string> {
  let plan
  try {
    plan = kernelPlan(input, program, type)
  } catch (e) {
    return `skipped: ${e instanceof Error ? e.message : String(e)}`
  }
  const insns =
    input.k2 !== undefined
      ? k2MapFdsToIndices(
          slots,
          input.k2.maps.map((m) => m.fd)
        )
      : slots
  const oracle = new KernelOracle()
  try {
    const a = await oracle.availability()
    if (!a.available) return `skipped: BPF unavailable (${JSON.stringify(a).slice(0, 200)})`
    const handles: MapHandle[] = []
    for (const spec of plan.maps) {
      const m = await oracle.createMap(spec)
      if (!m.ok) return `skipped: cannot create map (${m.error.message})`
      handles.push(m.value)
    }
    const loaded = await oracle.load(insns, handles, {
      progType: plan.progType,
      license: plan.license
    })
    if (!loaded.ok) {
      if (loaded.error.code === 'KERNEL_VERIFIER_REJECTED')
        return `rejected: ${(loaded.error.log ?? loaded.error.message).split('\n').slice(-3).join(' | ')}`
      return `skipped: ${loaded.error.message}`
    }
    return `accepted by the kernel verifier (${loaded.value.verifiedInsns} insns processed)`
  } finally {
    await oracle.dispose()
  }
}
