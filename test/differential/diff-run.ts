/**
 * @fileoverview Runs one input in the kernel (BPF_PROG_TEST_RUN through the oracle, fresh maps
 * per run) and in the interpreter, and compares what both can observe: the return value, the
 * packet, the writable `__sk_buff` fields the kernel copies back, and the data maps.
 *
 * Input mapping (the kernel's test-run environment, reproduced for the interpreter):
 * - xdp: the packet from the Ethernet header; `xdp_md.ingress_ifindex` = 1 (loopback).
 * - skb (sched_cls): the packet from the Ethernet header; `__sk_buff` as the kernel fills it after
 *   `eth_type_trans` on the loopback device: ifindex 1, protocol and pkt_type from the header.
 * - socket: the kernel gets a 14-byte Ethernet header in front of the network-layer packet the
 *   interpreter sees; the `__sk_buff` fields as for skb.
 * - rawtp: a 96-byte flat context (the helper zero-pads shorter ones), read-only.
 */
import { createMachine, type BpfMachine } from '../../src-daemon/core/interp/api'
import { compileProgram } from '../../src-daemon/core/interp/compile'
import type { CtxFields, RunInput, RunResult } from '../../src-daemon/core/interp/types'
import { loopbackSkbFields } from '../../src-daemon/engine/kernel/kernel-inputs'
import type { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import type {
  MapDump,
  MapInitEntry,
  RunOnceInput
} from '../../src-daemon/engine/kernel/oracle-types'
import type { DiffInput } from './diff-inputs'
import { isDataMap } from './diff-inputs'
import type { DiffProgram } from './diff-programs'

/** Size of the raw_tracepoint context the kernel runs on. */
const RAWTP_CTX = 96
/** `__sk_buff` byte ranges the kernel copies back after a test run and programs may write. */
const SKB_OUT_RANGES: readonly (readonly [number, number])[] = [
  [8, 12], // mark
  [32, 36], // priority
  [48, 68] // cb[0..4]
]

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

/** Both sides' observations in comparable text form. */
export interface Observation {
  readonly r0: string
  readonly packet: string
  readonly ctx: string
  readonly maps: string
}

/** The outcome of one differential run. */
export type DiffOutcome =
  | { readonly kind: 'match' }
  | { readonly kind: 'kernelRefused'; readonly reason: string }
  | {
      readonly kind: 'mismatch'
      readonly parts: string[]
      readonly kernel: Observation
      readonly interp: Observation
    }

/** `__sk_buff` fields as `eth_type_trans` on the loopback device sets them, with `cb[0]`. */
function skbFields(etherType: number, dst: Uint8Array, cb0: number): CtxFields {
  return { ...loopbackSkbFields(etherType, dst), cb: cb0 }
}

const SOCKET_ETH_DST = new Uint8Array([2, 0, 0, 0, 0, 2])

/** The interpreter input for `input`. */
export function interpInput(p: DiffProgram, input: DiffInput): RunInput {
  const maps = p.maps.map((_, i) => [...(p.baseEntries[i] ?? []), ...(input.maps[i] ?? [])])
  switch (p.input) {
    case 'xdp':
      return { packet: input.packet, ctx: { ingress_ifindex: 1 }, maps }
    case 'skb': {
      const et = input.packet.length >= 14 ? (input.packet[12]! << 8) | input.packet[13]! : 0
      return {
        packet: input.packet,
        ctx: skbFields(et, input.packet.subarray(0, 6), input.cb0),
        maps
      }
    }
    case 'socket':
      return {
        packet: input.packet,
        ctx: skbFields(input.etherType, SOCKET_ETH_DST, input.cb0),
        maps
      }
    case 'rawtp': {
      const ctx = new Uint8Array(RAWTP_CTX)
      ctx.set(input.ctx.subarray(0, RAWTP_CTX))
      return { ctx, maps }
    }
  }
}

/** A zero `__sk_buff` for the test run's ctx_in with `cb[0]` set. */
function skbCtxIn(cb0: number): Uint8Array {
  const ctx = new Uint8Array(192)
  new DataView(ctx.buffer).setUint32(48, cb0 >>> 0, true)
  return ctx
}

/** The kernel test-run input for `input`. */
export function kernelInput(p: DiffProgram, input: DiffInput): RunOnceInput {
  const mapEntries = p.maps.map((_, i) => [...(p.baseEntries[i] ?? []), ...(input.maps[i] ?? [])])
  const base = { progType: p.progType, license: p.license, mapEntries }
  switch (p.input) {
    case 'xdp':
      return { ...base, data: input.packet }
    case 'skb':
      return { ...base, data: input.packet, ctx: skbCtxIn(input.cb0) }
    case 'socket': {
      const data = new Uint8Array(14 + input.packet.length)
      data.set([...SOCKET_ETH_DST, 2, 0, 0, 0, 0, 1, input.etherType >> 8, input.etherType & 0xff])
      data.set(input.packet, 14)
      return { ...base, data, ctx: skbCtxIn(input.cb0) }
    }
    case 'rawtp':
      return { ...base, ctx: input.ctx }
  }
}

function mapsText(
  p: DiffProgram,
  entriesOf: (i: number) => readonly MapInitEntry[] | undefined
): string {
  return p.maps
    .map((m, i) => {
      if (!isDataMap(m)) return `${i}:-`
      const e = entriesOf(i)
      if (e === undefined) return `${i}:?`
      return `${i}:[${e
        .map((x) => `${hex(x.key)}=${hex(x.value)}`)
        .sort()
        .join(' ')}]`
    })
    .join(' ')
}

function skbOut(ctx: Uint8Array | undefined): string {
  if (ctx === undefined || ctx.length === 0) return ''
  return SKB_OUT_RANGES.map(([a, b]) => hex(ctx.subarray(a, b))).join('/')
}

/** What the interpreter showed. */
export function interpObservation(p: DiffProgram, r: RunResult): Observation {
  if (r.kind === 'fault') return { r0: `fault@${r.pc}: ${r.reason}`, packet: '', ctx: '', maps: '' }
  return {
    r0: String(r.r0 & 0xffffffffn),
    // The kernel's test run returns the packet from data_meta: metadata first.
    packet: p.input === 'rawtp' ? '' : hex(r.meta) + hex(r.packet),
    ctx: p.input === 'skb' || p.input === 'socket' ? skbOut(r.ctx) : '',
    maps: mapsText(p, (i) => r.maps[i]?.entries)
  }
}

function dumpEntries(d: MapDump | undefined): readonly MapInitEntry[] | undefined {
  return d?.readable ? d.entries : undefined
}

/** A machine for `p` sized for the differential inputs. */
export function diffMachine(p: DiffProgram): BpfMachine {
  return createMachine(compileProgram(p.insns, p.maps, p.ctxKind), {
    maxMapEntries: Math.max(4096, ...p.maps.map((m) => Math.min(m.maxEntries, 1 << 16)))
  })
}

/** Runs `input` on both sides and compares. */
export async function diffRun(
  oracle: KernelOracle,
  p: DiffProgram,
  machine: BpfMachine,
  input: DiffInput
): Promise<{ outcome: DiffOutcome; interp: RunResult }> {
  const interp = machine.run(interpInput(p, input))
  const k = await oracle.runOnce(p.insns, p.specs, kernelInput(p, input))
  if (!k.ok) {
    if (k.error.code === 'KERNEL_TEST_RUN')
      return { outcome: { kind: 'kernelRefused', reason: k.error.message }, interp }
    throw new Error(`${p.label}: ${k.error.code} ${k.error.message}\n${k.error.log ?? ''}`)
  }
  const run = k.value.run
  const data = run.data ?? new Uint8Array(0)
  const kernel: Observation = {
    r0: String(run.retval >>> 0),
    packet: p.input === 'rawtp' ? '' : hex(p.input === 'socket' ? data.subarray(14) : data),
    ctx: p.input === 'skb' || p.input === 'socket' ? skbOut(run.ctx) : '',
    maps: mapsText(p, (i) => dumpEntries(k.value.maps[i]))
  }
  const mine = interpObservation(p, interp)
  const parts = (['r0', 'packet', 'ctx', 'maps'] as const).filter((f) => kernel[f] !== mine[f])
  if (parts.length === 0) return { outcome: { kind: 'match' }, interp }
  return { outcome: { kind: 'mismatch', parts, kernel, interp: mine }, interp }
}

/** Hash-map keys the interpreter run inserted (not in the input), by map index. */
export function insertedKeys(p: DiffProgram, input: DiffInput, r: RunResult): MapInitEntry[][] {
  if (r.kind !== 'exit') return []
  return p.maps.map((m, i) => {
    if (!isDataMap(m) || m.type === 2 || m.type === 6) return []
    const had = new Set((input.maps[i] ?? []).map((e) => hex(e.key)))
    return (r.maps[i]?.entries ?? []).filter((e) => !had.has(hex(e.key)))
  })
}
