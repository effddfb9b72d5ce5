/**
 * @fileoverview Documented modelling differences between the interpreter and the kernel's test
 * run: a mismatch matching one of these is reported but not counted as an interpreter bug.
 */
import type { DiffInput } from './diff-inputs'
import type { DiffOutcome } from './diff-run'
import type { DiffProgram } from './diff-programs'
import type { RunResult } from '../../src-daemon/core/interp/types'
import { OPAQUE_HELPERS } from '../../src-daemon/core/interp/helper-protos'

/** The reason a mismatch is an accepted modelling difference, or undefined for a real one. */
export function knownDifference(
  p: DiffProgram,
  input: DiffInput,
  outcome: Extract<DiffOutcome, { kind: 'mismatch' }>,
  interp: RunResult
): string | undefined {
  // A helper outside the model (bpf_fib_lookup, ...) answers from the kernel's world; the
  // interpreter takes the input's answer, here the default one.
  if (
    interp.kind === 'exit' &&
    interp.outputs.some((e) => e.kind === 'helper_call' && OPAQUE_HELPERS.has(e.id))
  )
    return 'a helper outside the model answered from the kernel, the interpreter from the input'
  // The kernel's LRU hash maps evict before they are full: free nodes sit on per-CPU local
  // lists and are reclaimed in batches, so filling a 256-entry LRU map from user space leaves
  // 193 entries on this 2-CPU machine. The interpreter models an exact LRU of max_entries.
  const lruNearlyFull = p.maps.some(
    (def, i) =>
      (def.type === LRU_HASH || def.type === LRU_PERCPU_HASH) &&
      (input.maps[i]?.length ?? 0) >= def.maxEntries / 2
  )
  if (lruNearlyFull && outcome.parts.every((part) => part === 'maps'))
    return 'kernel LRU maps evict early (per-CPU free lists); the interpreter is an exact LRU'
  return undefined
}

const LRU_HASH = 9
const LRU_PERCPU_HASH = 10
