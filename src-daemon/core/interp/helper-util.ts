/** @fileoverview Shared primitives of helper implementations: status codes, r0, faults, pointer arguments. */
import type { Machine } from './machine'

/** Helper outcome: continue, fault (reason set on the machine), end by tail call, or stop (conformance unwind). */
export const HelperStatus = { ok: 0, fault: 1, tailCall: 2, exit: 3 } as const

/** Sets r0 to a sign-extended 32-bit value. */
export function setR0(m: Machine, v: number): void {
  m.regs[0] = v | 0
  m.regs[1] = v >> 31
}

/** Records a fault reason and returns the fault status. */
export function fault(m: Machine, reason: string): number {
  m.faultReason = reason
  return 1
}

/**
 * Heap index of `size` bytes at the pointer in register `r`, or -1. Helper buffers need no
 * alignment (a 16-byte key at r10-24 is fine), so only both ends are bounds-checked.
 */
export function ptrArg(m: Machine, r: number, size: number): number {
  const lo = m.regs[r * 2]!
  const hi = m.regs[r * 2 + 1]!
  if (size <= 1) return m.addr(lo, hi, 0, 1)
  const first = m.addr(lo, hi, 0, 1)
  if (first < 0) return -1
  const region = m.lastRegion
  const last = m.addr(lo, hi, size - 1, 1)
  return last === first + size - 1 && m.lastRegion === region ? first : -1
}
