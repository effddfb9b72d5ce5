/**
 * @fileoverview Summit's own kernel path for one program (what `summit kernel-check` and the
 * search's kernel option do): plan the load from the object, create its maps, load the linked
 * program through the summit-bpf helper, close everything.
 */
import { CliError } from '../../src-daemon/cli/errors'
import { kernelPlan } from '../../src-daemon/cli/kernel-plan'
import { progTypeByName } from '../../src-daemon/engine/kernel/bpf-constants'
import type { LoadedInput, LoadedProgram } from '../../src-daemon/engine/program/load'
import type { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import type { MapHandle } from '../../src-daemon/engine/kernel/oracle-types'
import type { KernelVerdict } from './rows'

/** The verifier's reason in a log: its last line that is not a statistic. */
export function verifierReason(log: string): string {
  const lines = log
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
  for (let i = lines.length - 1; i >= 0; i--)
    if (
      !/^(processed \d+ insns|verification time|stack depth|max_states|peak_states)/.test(lines[i]!)
    )
      return lines[i]!
  return 'no verifier log'
}

/** Loads `program` of `input` the way Summit's kernel-check does (type hint as `--type`). */
export async function summitKernelLoad(
  oracle: KernelOracle,
  input: LoadedInput,
  program: LoadedProgram,
  typeHint: string | undefined
): Promise<KernelVerdict> {
  let plan
  try {
    plan = kernelPlan(input, program, typeHint === undefined ? undefined : progTypeByName(typeHint))
  } catch (e) {
    const d = e instanceof CliError ? e.diagnostic : undefined
    return {
      kind: 'error',
      via: 'summit',
      code: d?.code ?? 'EXCEPTION',
      line: d?.message ?? String(e)
    }
  }
  const handles: MapHandle[] = []
  try {
    for (const spec of plan.maps) {
      const m = await oracle.createMap(spec)
      if (!m.ok) return { kind: 'error', via: 'summit', code: m.error.code, line: m.error.message }
      handles.push(m.value)
    }
    const loaded = await oracle.load(plan.insns, handles, {
      progType: plan.progType,
      license: plan.license
    })
    if (!loaded.ok) {
      const e = loaded.error
      if (e.code === 'KERNEL_VERIFIER_REJECTED')
        return {
          kind: 'reject',
          via: 'summit',
          code: `errno ${e.errno ?? '?'}`,
          line: verifierReason(e.log ?? e.message)
        }
      return { kind: 'error', via: 'summit', code: e.code, line: e.message }
    }
    await oracle.close(loaded.value)
    return { kind: 'accept', via: 'summit', verifiedInsns: loaded.value.verifiedInsns }
  } finally {
    for (const h of handles) await oracle.close(h)
  }
}
