/**
 * @fileoverview The programs of the kernel-vs-interpreter differential tests: the K2 benchmark
 * (run in the kernel as `k2KernelRun` says) and the compiled C fixtures (linked like a loader
 * would), each with its interpreter context kind and its kernel program type.
 */
import { k2MapFdsToIndices } from '../../src-daemon/core/formats/k2'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { readBpfObject } from '../../src-daemon/core/formats/bpf-object-read'
import { parseK2Program } from '../../src-daemon/core/formats/k2'
import type { CtxKind, MapDef } from '../../src-daemon/core/interp/types'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { ProgType } from '../../src-daemon/engine/kernel/bpf-constants'
import { k2KernelRun } from '../../src-daemon/engine/kernel/k2-run-type'
import { linkProgram } from '../../src-daemon/engine/kernel/link-object'
import { applyCoreRelocations, coreRecordsOfLink } from '../../src-daemon/core/formats'
import { kernelCoreTarget } from '../../src-daemon/engine/program/kernel-btf'
import type { MapInitEntry, MapSpec } from '../../src-daemon/engine/kernel/oracle-types'
import { k2BenchDir } from '../support/environment'

/** The shared K2 benchmark folder (undefined, with a printed skip, when absent). */
export const K2_DIR = k2BenchDir()
/** True when the K2 benchmark programs are beside the checkout. */
export const HAVE_K2 = K2_DIR !== undefined
/** The compiled C fixtures. */
export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/obj/', import.meta.url))

/**
 * How the input reaches the program: `xdp` packet from the Ethernet header; `skb` (sched_cls)
 * packet from the Ethernet header; `socket` packet from the network header (the kernel gets a
 * 14-byte Ethernet header in front); `rawtp` a flat read-only context of at most 96 bytes.
 */
export type InputKind = 'xdp' | 'skb' | 'socket' | 'rawtp'

/** One program of the differential tests. */
export interface DiffProgram {
  /** `k2/xdp1`, `obj/xdp_rewrite/xdp_rewrite`. */
  readonly label: string
  /** Slots; ld_imm64 map references hold map indices (src=1) or map-value references (src=2). */
  readonly insns: readonly Insn[]
  /** Interpreter maps (index = reference). */
  readonly maps: readonly MapDef[]
  /** Kernel maps, same order. */
  readonly specs: readonly MapSpec[]
  /** Contents every run starts with (global data sections). */
  readonly baseEntries: readonly (readonly MapInitEntry[] | undefined)[]
  /** Kernel program type. */
  readonly progType: number
  /** Interpreter context kind. */
  readonly ctxKind: CtxKind
  /** Input shape. */
  readonly input: InputKind
  /** Largest packet / context to generate. */
  readonly maxInput: number
  /** License for the kernel load. */
  readonly license: string
  /** 16-bit values the program compares against (both byte orders), to steer header fields. */
  readonly constants: readonly number[]
}

/** Immediates of conditional jumps that fit 16 bits, in both byte orders. */
export function jumpConstants(insns: readonly Insn[]): number[] {
  const out = new Set<number>()
  for (let i = 0; i < insns.length; i++) {
    const s = insns[i]!
    if (s.code === 0x18) {
      i++
      continue
    }
    const cls = s.code & 7
    const op = s.code & 0xf0
    const isCondJump = (cls === 5 || cls === 6) && op !== 0x00 && op !== 0x80 && op !== 0x90
    if (!isCondJump || (s.code & 8) !== 0 || s.imm < 0 || s.imm > 0xffff) continue
    out.add(s.imm)
    out.add(((s.imm & 0xff) << 8) | (s.imm >> 8))
  }
  return [...out].sort((a, b) => a - b)
}

function specOf(m: MapDef): MapSpec {
  return { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries }
}

/** The K2 benchmark program `name`. */
export function k2Program(name: string): DiffProgram {
  const base = (K2_DIR ?? '') + name
  const r = parseK2Program(
    new Uint8Array(readFileSync(base + '.insns')),
    readFileSync(base + '.maps', 'utf8'),
    readFileSync(base + '.desc', 'utf8'),
    base + '.insns'
  )
  if (!r.ok) throw new Error(`${name}: ${r.error.code} ${r.error.message}`)
  const k2 = r.value
  const run = k2KernelRun(k2.desc.pgmInputType, k2.slots)
  const maps: MapDef[] = k2.maps.map((m) => ({
    name: m.name,
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries
  }))
  const input: InputKind =
    run.progType === ProgType.xdp
      ? 'xdp'
      : run.progType === ProgType.socketFilter
        ? 'socket'
        : 'rawtp'
  return {
    label: `k2/${name}`,
    insns: k2MapFdsToIndices(
      k2.slots,
      k2.maps.map((m) => m.fd)
    ),
    maps,
    specs: maps.map(specOf),
    baseEntries: [],
    progType: run.progType,
    ctxKind: input === 'xdp' ? 'xdp' : input === 'socket' ? 'socket' : 'tracepoint',
    input,
    maxInput: Math.min(Math.max(k2.desc.maxPktSz, 14), run.maxInputBytes),
    license: 'GPL',
    constants: jumpConstants(k2.slots)
  }
}

/** Names of the K2 benchmark programs. */
export function k2Names(): string[] {
  if (K2_DIR === undefined) return []
  return readdirSync(K2_DIR)
    .filter((f) => f.endsWith('.insns'))
    .map((f) => f.slice(0, -'.insns'.length))
    .sort()
}

/** A fixture program that cannot be test-run, and why. */
export interface SkippedProgram {
  readonly label: string
  readonly reason: string
}

/** Every entry program of the compiled fixtures, or why it is not compared. */
export function fixturePrograms(): { programs: DiffProgram[]; skipped: SkippedProgram[] } {
  const programs: DiffProgram[] = []
  const skipped: SkippedProgram[] = []
  for (const file of readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.o'))
    .sort()) {
    const obj = readBpfObject(new Uint8Array(readFileSync(FIXTURE_DIR + file)), { file })
    if (!obj.ok) throw new Error(`${file}: ${obj.error.code} ${obj.error.message}`)
    for (const p of obj.value.programs.filter((q) => !q.isSubprogram)) {
      const label = `obj/${file.slice(0, -2)}/${p.name}`
      const linked = linkProgram(obj.value, p.name)
      if (!linked.ok) throw new Error(`${label}: ${linked.error.code} ${linked.error.message}`)
      const l = linked.value
      // CO-RE relocations are resolved for this kernel, as libbpf resolves them at load.
      let insns = l.insns
      if (coreRecordsOfLink(obj.value, l.functions).length > 0) {
        const kernel = kernelCoreTarget()
        const applied = kernel.ok
          ? applyCoreRelocations(obj.value, l.functions, l.insns, kernel.value)
          : kernel
        if (!applied.ok) {
          skipped.push({ label, reason: `CO-RE: ${applied.error.message}` })
          continue
        }
        insns = applied.value.slots
      }
      const input: InputKind | undefined =
        l.progType === ProgType.xdp
          ? 'xdp'
          : l.progType === ProgType.schedCls
            ? 'skb'
            : l.progType === ProgType.socketFilter
              ? 'socket'
              : undefined
      if (input === undefined) {
        const reason =
          l.progType === 0
            ? 'its section name gives no program type (iproute2 loads it as tc tells it)'
            : `program type ${l.progType} has no BPF_PROG_TEST_RUN here`
        skipped.push({ label, reason })
        continue
      }
      // Definitions only a loader's fixups make creatable (kernel-check applies them; the
      // interpreter's model keeps the declared sizes, so the two would not see the same maps).
      if (l.maps.some((m) => m.maxEntries === 0 || (m.type === 27 && m.valueSize !== 0))) {
        skipped.push({ label, reason: 'map definitions need the fixups of a loader' })
        continue
      }
      const maps: MapDef[] = l.maps.map((m, i) => ({
        name: l.dataSections[i - obj.value.maps.length] ?? obj.value.maps[i]?.name ?? `map${i}`,
        type: m.type,
        keySize: m.keySize,
        valueSize: m.valueSize,
        maxEntries: m.maxEntries
      }))
      programs.push({
        label,
        insns,
        maps,
        specs: l.maps,
        baseEntries: l.mapEntries,
        progType: l.progType,
        ctxKind: input,
        input,
        maxInput: 160,
        license: l.license,
        constants: jumpConstants(insns)
      })
    }
  }
  return { programs, skipped }
}
