/** @fileoverview The failure value of kernel oracle operations. */
import type { Diagnostic } from '../../core/util/result'

/**
 * A failed kernel operation. Codes: KERNEL_UNAVAILABLE, KERNEL_HELPER (the helper process failed
 * or replied nonsense), KERNEL_MAP_CREATE, KERNEL_MAP_ACCESS, KERNEL_VERIFIER_REJECTED,
 * KERNEL_TEST_RUN, KERNEL_BAD_MAP_INDEX, KERNEL_BAD_INPUT, KERNEL_OBJECT_OPEN (libbpf cannot read the
 * object), KERNEL_OBJECT_LOAD (libbpf failed on maps, BTF or relocations).
 */
export interface KernelError extends Diagnostic {
  /** Kernel errno of the failed syscall, when there was one. */
  readonly errno?: number
  /** Verifier log (KERNEL_VERIFIER_REJECTED). */
  readonly log?: string
}
