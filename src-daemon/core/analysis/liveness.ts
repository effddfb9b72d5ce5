/** @fileoverview Register liveness: which registers an instruction reads and writes, and which are live. */
import type { Decoded } from '../isa/decode'
import type { Cfg } from './cfg'
import { helperArgCount } from './helpers'

/** Registers read (`use`) and written (`def`) by one instruction, as bit masks (bit i = ri). */
export interface UseDef {
  readonly use: number
  readonly def: number
}

const R0_R5 = 0x3f
const ARGS = [0, 0x2, 0x6, 0xe, 0x1e, 0x3e]

/** Registers an instruction reads and writes (calls: arguments read, r0-r5 written). */
export function useDef(d: Decoded): UseDef {
  const s = d.spec
  const dst = 1 << d.insn.dst
  const src = 1 << d.insn.src
  switch (s.kind) {
    case 'alu':
      if (s.op === 'mov' || s.op === 'movsx') return { use: s.source === 'reg' ? src : 0, def: dst }
      return { use: dst | (s.source === 'reg' ? src : 0), def: dst }
    case 'end':
      return { use: dst, def: dst }
    case 'jmp':
      return { use: dst | (s.source === 'reg' ? src : 0), def: 0 }
    case 'ja':
      return { use: 0, def: 0 }
    case 'call':
      if (s.target === 'helper')
        return { use: ARGS[helperArgCount(d.insn.imm)] ?? 0x3e, def: R0_R5 }
      return { use: 0x3e, def: R0_R5 }
    case 'exit':
      return { use: 1, def: 0 }
    case 'lddw':
      return { use: 0, def: dst }
    case 'ldabs':
      return { use: 1 << 6, def: R0_R5 }
    case 'ldind':
      return { use: (1 << 6) | src, def: R0_R5 }
    case 'ldx':
      return { use: src, def: dst }
    case 'st':
      return { use: dst, def: 0 }
    case 'stx':
      return { use: dst | src, def: 0 }
    case 'atomic': {
      if (s.op === 'cmpxchg') return { use: dst | src | 1, def: 1 }
      const fetch = s.op.startsWith('fetch_') || s.op === 'xchg'
      return { use: dst | src, def: fetch ? src : 0 }
    }
  }
}

/**
 * Live-in register masks per position (registers that some path reads before writing),
 * computed per function: at an exit only r0 is live, a local call reads r1-r5.
 */
export function liveness(cfg: Cfg): number[] {
  const n = cfg.insns.length
  const ud = cfg.insns.map(useDef)
  const live: number[] = new Array<number>(n).fill(0)
  let changed = true
  while (changed) {
    changed = false
    for (let p = n - 1; p >= 0; p--) {
      let out = 0
      for (const q of cfg.next[p] as number[]) out |= live[q] as number
      const u = ud[p] as UseDef
      const inn = (out & ~u.def) | u.use
      if (inn !== live[p]) {
        live[p] = inn
        changed = true
      }
    }
  }
  return live
}
