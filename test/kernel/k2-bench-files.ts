/** @fileoverview Test helper: reads the K2 benchmark triples (.insns/.maps/.desc) in bench/k2. */
import { readdirSync, readFileSync } from 'node:fs'
import { slotsFromBytes, type Insn } from '../../src-daemon/core/isa/insn'
import type { MapSpec } from '../../src-daemon/engine/kernel/oracle-types'
import { k2BenchDir } from '../support/environment'

/** Directory of the shared K2 benchmark programs (undefined, with a printed skip, when absent). */
export const K2_BENCH_DIR = k2BenchDir()

/** One K2 benchmark program. */
export interface K2Bench {
  /** Base name, e.g. `xdp1`. */
  readonly name: string
  /** Instruction slots; map references are ld_imm64 src=1 with imm = map fd from `.maps`. */
  readonly insns: Insn[]
  /** Maps in `.maps` line order (K2's map index). */
  readonly maps: MapSpec[]
  /** `fd =` of each map line (the value used in the program's ld_imm64). */
  readonly mapFds: number[]
  /** `pgm_input_type` from `.desc`. */
  readonly inputType: number
  /** `max_pkt_sz` from `.desc`. */
  readonly maxPktSize: number
}

/** Parses `{ a = 1, b = 2 }` (closing brace optional) into numbers by key. */
function braceFields(line: string): Map<string, number> {
  const body = line.slice(line.indexOf('{') + 1).replace('}', '')
  const fields = new Map<string, number>()
  for (const part of body.split(',')) {
    const [k, v] = part.split('=').map((s) => s.trim())
    if (k && v !== undefined && v !== '') fields.set(k, Number(v))
  }
  return fields
}

/** Reads one benchmark triple. */
export function readK2Bench(name: string): K2Bench {
  const base = (K2_BENCH_DIR ?? '') + name
  const insns = slotsFromBytes(new Uint8Array(readFileSync(base + '.insns')))
  const maps: MapSpec[] = []
  const mapFds: number[] = []
  for (const line of readFileSync(base + '.maps', 'utf8').split('\n')) {
    if (!line.includes('{')) continue
    const f = braceFields(line)
    maps.push({
      type: f.get('type') ?? 0,
      keySize: f.get('key_size') ?? 0,
      valueSize: f.get('value_size') ?? 0,
      maxEntries: f.get('max_entries') ?? 0
    })
    mapFds.push(f.get('fd') ?? maps.length - 1)
  }
  const desc = readFileSync(base + '.desc', 'utf8').split('\n')
  return {
    name,
    insns,
    maps,
    mapFds,
    inputType: braceFields(desc[0] ?? '').get('pgm_input_type') ?? 0,
    maxPktSize: braceFields(desc[1] ?? '').get('max_pkt_sz') ?? 0
  }
}

/** Names of all benchmark programs. */
export function k2BenchNames(): string[] {
  if (K2_BENCH_DIR === undefined) return []
  return readdirSync(K2_BENCH_DIR)
    .filter((f) => f.endsWith('.insns'))
    .map((f) => f.slice(0, -'.insns'.length))
    .sort()
}

/** Rewrites ld_imm64 map references from K2's `fd =` values to map indices. */
export function k2MapRefsToIndices(bench: K2Bench): Insn[] {
  const out = bench.insns.map((i) => ({ ...i }))
  for (let i = 0; i < out.length; i++) {
    const ins = out[i]!
    if (ins.code !== 0x18) continue
    if (ins.src === 1) {
      const index = bench.mapFds.indexOf(ins.imm)
      if (index >= 0) ins.imm = index
    }
    i++
  }
  return out
}
