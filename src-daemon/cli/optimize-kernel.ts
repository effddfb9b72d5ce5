/** @fileoverview `optimize --kernel-check`: loads the result through the kernel verifier (skipped when BPF is unavailable). */
import { k2MapFdsToIndices } from '../core/formats/k2'
import type { Insn } from '../core/isa/insn'
import { loadSubject } from '../engine/kernel/kernel-subject'
import { KernelOracle } from '../engine/kernel/oracle'
import { candidateSubject, checkTarget, type CheckTarget } from './kernel-plan'
import type { LoadedInput, LoadedProgram } from '../engine/program/load'

/**
 * Loads `slots` (in the search's form) as `program` of `input`, with the maps its own loader
 * would create (libbpf for objects, iproute2's way for legacy objects), into the running kernel
 * or a VM booting `kernelImage`; a one-line verdict.
 */
export async function kernelVerify(
  input: LoadedInput,
  program: LoadedProgram,
  slots: readonly Insn[],
  progType?: number,
  kernelImage?: string
): Promise<string> {
  let target: CheckTarget
  try {
    target = checkTarget(input, program, progType)
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
  const oracle = new KernelOracle(kernelImage !== undefined ? { kernelImage } : {})
  try {
    const a = await oracle.availability()
    if (!a.available) return `skipped: BPF unavailable (${a.reason})`
    const by =
      a.vmKernel !== undefined ? `the verifier of Linux ${a.vmKernel} (VM)` : 'the kernel verifier'
    const loaded = await loadSubject(oracle, candidateSubject(target, insns))
    if (!loaded.ok) {
      if (loaded.error.code === 'KERNEL_VERIFIER_REJECTED')
        return `rejected: ${(loaded.error.log ?? loaded.error.message).split('\n').slice(-3).join(' | ')}`
      return `skipped: ${loaded.error.message}`
    }
    await loaded.value.close()
    return `accepted by ${by} (${loaded.value.program.verifiedInsns} insns processed)`
  } finally {
    await oracle.dispose()
  }
}
