/** @fileoverview Crafted programs about null checks of map values: which comparisons the kernel counts as one. */
import { ARRAY8, HASH4, LOOKUP, type CraftedCase } from './crafted-cases'

/** Null checks the kernel does and does not recognise. */
export const NULLNESS: readonly CraftedCase[] = [
  {
    // Found by bench/confusion.ts (seed 5) as a mutant of xdp_cpumap_enqueue.
    name: 'a register known to be zero is not a null check',
    progType: 'xdp',
    maps: [HASH4],
    asm: `${LOOKUP}
      r1 = r0
      r0 = 0
      if r1 == r0 goto +1
      r0 = *(u64 *)(r1 + 0)
      exit`,
    expect: { code: 'VERIFY_NULL_DEREF', reason: "R1 invalid mem access 'map_value_or_null'" }
  },
  {
    name: 'zero compared with a nullable pointer (zero as destination) is not a null check',
    progType: 'xdp',
    maps: [HASH4],
    asm: `${LOOKUP}
      r1 = 0
      if r1 != r0 goto +1
      exit
      r0 = *(u64 *)(r0 + 0)
      exit`,
    expect: { code: 'VERIFY_NULL_DEREF', reason: "R0 invalid mem access 'map_value_or_null'" }
  },
  {
    name: 'a 32-bit compare with zero is not a null check',
    progType: 'xdp',
    maps: [HASH4],
    asm: `${LOOKUP}
      if w0 == 0 goto +1
      r0 = *(u64 *)(r0 + 0)
      r0 = 0
      exit`,
    expect: { code: 'VERIFY_NULL_DEREF', reason: "R0 invalid mem access 'map_value_or_null'" }
  },
  {
    name: 'a nullable pointer equal to a non-null one is not null on the equal edge',
    progType: 'xdp',
    maps: [HASH4, ARRAY8],
    asm: `${LOOKUP}
      r6 = r0
      r1 = 0
      *(u32 *)(r10 - 8) = r1
      r2 = r10
      r2 += -8
      ld_pseudo r1, 1, 1
      call 1
      r1 = r6
      if r1 != r0 goto +1
      r0 = *(u64 *)(r1 + 0)
      r0 = 0
      exit`,
    expect: 'accept'
  },
  {
    name: 'a map pointer is never null',
    progType: 'xdp',
    maps: [HASH4],
    asm: `
      ld_pseudo r1, 1, 0
      r0 = 0
      if r1 != 0 goto +1
      r0 = *(u64 *)(r0 + 0)
      exit`,
    expect: 'accept'
  }
]
