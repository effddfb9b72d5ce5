/**
 * @fileoverview Kernel memory as BTF-typed programs (fentry, fexit, LSM, tp_btf) read it through
 * kernel pointers: a load outside the machine's own regions reads a value fixed per address and
 * size for the run. The input lists values (a prover counterexample); others come from a seed
 * (0: zero, as a faulting read gives), so test inputs see varied values.
 */
import type { KernelMemoryInput } from './types'

/** Looks up kernel reads of one run (built once per input). */
export class KernelMemory {
  private readonly given = new Map<string, bigint>()

  constructor(private readonly input: KernelMemoryInput) {
    for (const r of input.reads ?? []) this.given.set(readKey(r.address, r.size), r.value)
  }

  /** The `size`-byte value (zero-extended) a load at `address` reads. */
  read(address: bigint, size: number): bigint {
    const bits = BigInt(size * 8)
    const v = this.given.get(readKey(address, size)) ?? seeded(this.input.seed, address, size)
    return v & ((1n << bits) - 1n)
  }
}

/** The key of a read: its address (unsigned 64-bit) and size. */
export function readKey(address: bigint, size: number): string {
  return `${BigInt.asUintN(64, address).toString(16)}:${size}`
}

/** A pseudo-random 64-bit value of (seed, address, size); 0 for seed 0. */
function seeded(seed: number, address: bigint, size: number): bigint {
  if (seed === 0) return 0n
  const M = (1n << 64n) - 1n
  let x = (BigInt.asUintN(64, address) ^ (BigInt(seed) << 8n) ^ BigInt(size)) & M
  x = ((x ^ (x >> 33n)) * 0xff51afd7ed558ccdn) & M
  x = ((x ^ (x >> 33n)) * 0xc4ceb9fe1a85ec53n) & M
  return x ^ (x >> 33n)
}
