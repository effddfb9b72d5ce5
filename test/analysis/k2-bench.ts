/** @fileoverview Test helper: loads the K2 benchmark programs (.insns/.maps/.desc) for the analysis tests. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { slotsFromBytes, type Insn } from '../../src-daemon/core/isa/insn'
import type { MapDef, ProgType } from '../../src-daemon/core/analysis/types'
import { k2BenchDir } from '../support/environment'

/** Directory of the shared K2 benchmark (undefined, with a printed skip, when absent). */
export const BENCH_DIR = k2BenchDir()

/** True when the K2 benchmark programs are beside the checkout. */
export const HAVE_K2 = BENCH_DIR !== undefined

/** Benchmark names. */
export const BENCH_NAMES = [
  'socket-0',
  'socket-1',
  'sys_enter_open',
  'xdp1',
  'xdp_cpumap_enqueue',
  'xdp_devmap_xmit',
  'xdp_exception',
  'xdp_fw',
  'xdp_map_access',
  'xdp_pktcntr',
  'xdp_redirect_err'
] as const

/** One benchmark program with the analysis options it needs. */
export interface BenchProgram {
  readonly name: string
  readonly slots: Insn[]
  readonly maps: MapDef[]
  readonly progType: ProgType
  readonly ctxSize: number
}

function parseMaps(text: string): MapDef[] {
  return text
    .split('\n')
    .filter((l) => l.includes('{'))
    .map((l) => {
      const kv = new Map<string, number>()
      for (const part of (l.split('{')[1] ?? '').replace('}', '').split(',')) {
        const [k, v] = part.split('=').map((x) => x.trim())
        if (k && v) kv.set(k, Number(v))
      }
      return {
        type: kv.get('type') ?? 0,
        keySize: kv.get('key_size') ?? 0,
        valueSize: kv.get('value_size') ?? 0,
        maxEntries: kv.get('max_entries') ?? 0
      }
    })
}

/** Loads one benchmark; the program type follows the K2 .desc and the program's own code. */
export function loadBench(name: string): BenchProgram {
  const slots = slotsFromBytes(new Uint8Array(readFileSync(join(BENCH_DIR ?? '', `${name}.insns`))))
  const maps = parseMaps(readFileSync(join(BENCH_DIR ?? '', `${name}.maps`), 'utf8'))
  const desc = readFileSync(join(BENCH_DIR ?? '', `${name}.desc`), 'utf8')
  const inputType = Number(/pgm_input_type\s*=\s*(\d+)/.exec(desc)?.[1] ?? '0')
  const size = Number(/max_pkt_sz\s*=\s*(\d+)/.exec(desc)?.[1] ?? '0')
  let progType: ProgType = 'tracepoint'
  if (inputType === 2 || name === 'xdp_pktcntr') progType = 'xdp'
  else if (name.startsWith('socket')) progType = 'socket_filter'
  return { name, slots, maps, progType, ctxSize: progType === 'tracepoint' ? size : 0 }
}
