/**
 * @fileoverview Loads of BTF-typed programs through kernel pointers (a task, a socket, a request
 * reached from the context). The kernel turns them into fault-safe loads: the value is whatever
 * kernel memory holds there, or 0 on a fault. Both programs read the same kernel, so such a load
 * is a shared input keyed by its address and size: two loads of the same size at the same
 * address give the same value, in either program. Loads of different sizes are independent
 * inputs (a load across an unmapped page gives 0 where a narrower one would not).
 *
 * Assumptions, stated as for helpers outside the model (enc-opaque.ts): kernel memory does not
 * change while the program runs (the assumption the C compiler made when it emitted the loads),
 * and an address a program did not compute from its own pointers never points into its own stack,
 * maps, packet or context (a value whose bits mix in such a pointer is refused).
 */
import type { BvTerm } from './term'
import type { ExecContext } from './enc-context'
import type { SymVal } from './enc-state'
import { mixesOwnPointer, Unsupported } from './enc-state'
import { add, bv, concat, signExt, zeroExt } from './terms'

/** The region of the shared inputs that loads of `size` bytes read. */
export function kernelRegion(size: number): string {
  return `kmem${size}`
}

/** The load of `size` bytes at `base + off` from kernel memory. */
export function kernelLoad(
  cx: ExecContext,
  base: SymVal,
  off: number,
  size: number,
  signed: boolean
): SymVal {
  if (mixesOwnPointer(base.v))
    throw new Unsupported('load through an address computed from a pointer of the program')
  const address = add(base.v, bv(BigInt.asUintN(64, BigInt(off)), 64))
  const rid = kernelRegion(size)
  let raw: BvTerm = cx.layout.inputs.byte(rid, [address, bv(0, 64)])
  for (let i = 1; i < size; i++) raw = concat(cx.layout.inputs.byte(rid, [address, bv(i, 64)]), raw)
  if (size === 8) return { v: raw }
  return { v: signed ? signExt(raw, 64 - size * 8) : zeroExt(raw, 64 - size * 8) }
}
