/**
 * @fileoverview Whether a BTF-typed program's attach target can be loaded at all, before any
 * instruction is looked at: the kernel needs the target's BTF id (no target, no load; a target
 * read from another kernel's BTF may not exist in the target kernel), a sleepable program only to
 * functions that may sleep, and fmod_ret only to functions whose return value may be overridden.
 */
import type { Env } from './env'
import type { AttachType } from './program-kind'
import { Reject } from './types'

/** Attach types whose load names a kernel function or tracepoint by BTF id. */
const BTF_ATTACH: ReadonlySet<AttachType> = new Set<AttachType>([
  'trace_fentry',
  'trace_fexit',
  'modify_return',
  'lsm_mac',
  'trace_raw_tp'
])

/**
 * Throws the refusal of a BTF-typed program whose target is not resolved, of a sleepable one
 * (which targets may sleep is not in BTF), or of an fmod_ret target the analysis cannot tell to be
 * modifiable: the kernel also allows functions on its error injection list, which BTF does not
 * record, so only `security_` functions are taken as modifiable.
 */
export function checkAttachTarget(env: Env): void {
  if (env.progType !== 'tracing' && env.progType !== 'lsm') return
  if (env.attachType === undefined || !BTF_ATTACH.has(env.attachType)) return
  const target = env.btfTarget
  if (target === undefined)
    throw new Reject('VERIFY_UNSUPPORTED', env.btfRefusal ?? 'no attach target BTF was given')
  // A target found in another kernel's BTF may not exist in the target kernel at all.
  if (env.btfKernelMismatch !== undefined)
    throw new Reject('VERIFY_UNSUPPORTED', env.btfKernelMismatch)
  if (target.sleepable === true)
    throw new Reject(
      'VERIFY_UNSUPPORTED',
      `whether ${target.name} may sleep is not in BTF (the kernel keeps lists of sleepable hooks and uses its error injection list): sleepable programs are refused`
    )
  if (target.kind === 'fmod_ret' && !target.name.startsWith('security_'))
    throw new Reject(
      'VERIFY_UNSUPPORTED',
      `${target.name}() is not modifiable as far as the analysis knows (fmod_ret: only security_ functions; the kernel's error injection list is not in BTF)`
    )
}
