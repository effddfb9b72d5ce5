/**
 * @fileoverview Seeded inputs for the differential tests: random and well-formed packets
 * (Ethernet, VLAN, IPv4/IPv6, TCP/UDP/ICMP, ARP), tiny and empty packets, flat tracepoint
 * contexts with small field values, and map contents (empty, a few entries, full small maps).
 */
import type { MapDef } from '../../src-daemon/core/interp/types'
import type { MapInitEntry } from '../../src-daemon/engine/kernel/oracle-types'
import type { DiffProgram } from './diff-programs'

/** A random source returning floats in [0, 1). */
export type Rnd = () => number

/** A generated input before it is shaped for the kernel and the interpreter. */
export interface DiffInput {
  /** Packet bytes from the Ethernet header (xdp, skb), or from the network header (socket). */
  readonly packet: Uint8Array
  /** Flat context (rawtp). */
  readonly ctx: Uint8Array
  /** Ethertype put in front of socket packets. */
  readonly etherType: number
  /** `__sk_buff.cb[0]` at entry (skb, socket; socket-1 keeps a header offset there). */
  readonly cb0: number
  /** Extra map contents by map index (besides the program's base entries). */
  readonly maps: (MapInitEntry[] | undefined)[]
  /** Which generator made it (for messages). */
  readonly shape: string
}

const int = (rnd: Rnd, n: number): number => Math.floor(rnd() * n)
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[int(rnd, xs.length)]!

function randomBytes(rnd: Rnd, n: number): Uint8Array {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = int(rnd, 256)
  return b
}

function be16(p: Uint8Array, at: number, v: number): void {
  if (at + 1 < p.length) {
    p[at] = (v >> 8) & 0xff
    p[at + 1] = v & 0xff
  }
}

const PORTS = [0, 7, 9, 22, 53, 80, 443, 1234, 8080, 65535]
const IP_PROTOS = [6, 17, 6, 17, 1, 58, 47, 0, 255]

/** A port: a common one, one the program compares against, or random. */
function port(rnd: Rnd, k: readonly number[]): number {
  const r = rnd()
  if (r < 0.5 && k.length > 0) return pick(rnd, k)
  return r < 0.8 ? pick(rnd, PORTS) : int(rnd, 65536)
}

/** Writes an L4 header (TCP or UDP ports and flags) at `at`. */
function l4(rnd: Rnd, p: Uint8Array, at: number, proto: number, k: readonly number[]): void {
  be16(p, at, port(rnd, k))
  be16(p, at + 2, port(rnd, k))
  if (proto === 17) be16(p, at + 4, Math.max(0, p.length - at))
  if (proto === 6 && at + 13 < p.length) {
    p[at + 12] = 0x50
    p[at + 13] = pick(rnd, [0x02, 0x10, 0x12, 0x11, 0x04, int(rnd, 256)])
  }
}

/** An IPv4 header (+ L4) at `at`; returns nothing, writes into `p`. */
function ipv4(rnd: Rnd, p: Uint8Array, at: number, k: readonly number[]): void {
  const ihl = rnd() < 0.85 ? 5 : pick(rnd, [0, 4, 6, 15])
  if (at < p.length) p[at] = 0x40 | ihl
  be16(p, at + 2, rnd() < 0.9 ? p.length - at : int(rnd, 65536))
  be16(p, at + 6, rnd() < 0.8 ? 0x4000 : int(rnd, 65536))
  if (at + 8 < p.length) p[at + 8] = pick(rnd, [64, 1, 0, 255])
  const proto = pick(rnd, IP_PROTOS)
  if (at + 9 < p.length) p[at + 9] = proto
  for (let i = 12; i < 20 && at + i < p.length; i++)
    p[at + i] = i < 16 ? [10, 0, 0, 1][i - 12]! : [10, 0, 0, 2][i - 16]!
  if (rnd() < 0.3) for (let i = 12; i < 20 && at + i < p.length; i++) p[at + i] = int(rnd, 256)
  l4(rnd, p, at + Math.max(ihl, 5) * 4, proto, k)
}

function ipv6(rnd: Rnd, p: Uint8Array, at: number, k: readonly number[]): void {
  if (at < p.length) p[at] = 0x60
  be16(p, at + 4, Math.max(0, p.length - at - 40))
  const proto = pick(rnd, IP_PROTOS)
  if (at + 6 < p.length) p[at + 6] = proto
  if (at + 7 < p.length) p[at + 7] = 64
  l4(rnd, p, at + 40, proto, k)
}

/** A packet from the Ethernet header: random, or well-formed with random fields. */
export function ethernetPacket(
  rnd: Rnd,
  maxLen: number,
  k: readonly number[] = []
): { packet: Uint8Array; shape: string } {
  const r = rnd()
  const len =
    r < 0.1
      ? 14 + int(rnd, 8)
      : r < 0.2
        ? 34 + int(rnd, 24)
        : 14 + int(rnd, Math.max(1, maxLen - 13))
  const shape = pick(rnd, [
    'random',
    'ipv4',
    'ipv4',
    'ipv4',
    'ipv6',
    'vlan',
    'qinq',
    'arp',
    'mutated'
  ])
  if (shape === 'random') return { packet: randomBytes(rnd, len), shape }
  const p = rnd() < 0.5 ? new Uint8Array(len) : randomBytes(rnd, len)
  p.set(
    [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1].map((b) => (rnd() < 0.05 ? int(rnd, 256) : b)),
    0
  )
  let at = 12
  if (shape === 'vlan' || shape === 'qinq') {
    be16(p, at, shape === 'qinq' ? 0x88a8 : 0x8100)
    be16(p, at + 2, int(rnd, 4096))
    at += 4
    if (shape === 'qinq') {
      be16(p, at, 0x8100)
      be16(p, at + 2, int(rnd, 4096))
      at += 4
    }
  }
  const inner =
    shape === 'ipv6' ? 0x86dd : shape === 'arp' ? 0x0806 : rnd() < 0.85 ? 0x0800 : 0x86dd
  be16(p, at, inner)
  if (inner === 0x0800) ipv4(rnd, p, at + 2, k)
  else if (inner === 0x86dd) ipv6(rnd, p, at + 2, k)
  if (shape === 'mutated') for (let k = 0; k < 3; k++) if (len > 0) p[int(rnd, len)] = int(rnd, 256)
  return { packet: p, shape }
}

/** A network-layer packet (for socket filters) and the ethertype that goes in front of it. */
function networkPacket(
  rnd: Rnd,
  maxLen: number,
  k: readonly number[]
): { packet: Uint8Array; etherType: number; shape: string } {
  const r = rnd()
  const len = r < 0.15 ? int(rnd, 20) : 20 + int(rnd, Math.max(1, maxLen - 19))
  if (rnd() < 0.25)
    return {
      packet: randomBytes(rnd, len),
      etherType: pick(rnd, [0x0800, 0x86dd, 0x88b5]),
      shape: 'random'
    }
  const p = rnd() < 0.5 ? new Uint8Array(len) : randomBytes(rnd, len)
  if (rnd() < 0.7) {
    ipv4(rnd, p, 0, k)
    return { packet: p, etherType: 0x0800, shape: 'ipv4' }
  }
  ipv6(rnd, p, 0, k)
  return { packet: p, etherType: 0x86dd, shape: 'ipv6' }
}

const SMALL_VALUES = [0, 1, 2, 3, 4, 5, 6, 0xff, 0xffff, 0xffffffff]

/** A flat context: small u32 values at every 4-byte slot (enums, ifindexes, cpus) or random bytes. */
function flatContext(rnd: Rnd, size: number, k: readonly number[]): Uint8Array {
  if (rnd() < 0.3) return randomBytes(rnd, size)
  const b = new Uint8Array(size)
  const v = new DataView(b.buffer)
  for (let at = 0; at + 4 <= size; at += 4)
    v.setUint32(
      at,
      rnd() < 0.2 && k.length > 0
        ? pick(rnd, k)
        : rnd() < 0.7
          ? pick(rnd, SMALL_VALUES)
          : int(rnd, 2 ** 32),
      true
    )
  return b
}

/** Map types whose contents both sides model and the kernel dumps (data maps). */
export function isDataMap(m: MapDef): boolean {
  return [1, 2, 5, 6, 9, 10].includes(m.type)
}

function le32(v: number, size: number): Uint8Array {
  const b = new Uint8Array(size)
  for (let i = 0; i < Math.min(4, size); i++) b[i] = (v >>> (8 * i)) & 0xff
  return b
}

/** A value: zeros, small integer in the first word, or random. */
function mapValue(rnd: Rnd, size: number): Uint8Array {
  const r = rnd()
  if (r < 0.2) return new Uint8Array(size)
  if (r < 0.6) return le32(pick(rnd, SMALL_VALUES), size)
  return randomBytes(rnd, size)
}

function mapKey(rnd: Rnd, m: MapDef): Uint8Array {
  const isArray = m.type === 2 || m.type === 6
  if (isArray || rnd() < 0.4) return le32(int(rnd, isArray ? m.maxEntries : 16), m.keySize)
  return randomBytes(rnd, m.keySize)
}

/** Random contents of one data map: empty, a few entries, or (small maps) full. */
export function mapContents(rnd: Rnd, m: MapDef): MapInitEntry[] | undefined {
  const r = rnd()
  if (r < 0.4) return undefined
  const n = r < 0.9 || m.maxEntries > 256 ? 1 + int(rnd, Math.min(4, m.maxEntries)) : m.maxEntries
  const out = new Map<string, MapInitEntry>()
  const isArray = m.type === 2 || m.type === 6
  for (let i = 0; out.size < n && i < n * 4; i++) {
    const key = n === m.maxEntries && isArray ? le32(out.size, m.keySize) : mapKey(rnd, m)
    out.set(Array.from(key).join(','), { key, value: mapValue(rnd, m.valueSize) })
  }
  return [...out.values()]
}

/** One random input for `p`. */
export function randomInput(rnd: Rnd, p: DiffProgram): DiffInput {
  const cb0 =
    p.input === 'socket' || p.input === 'skb'
      ? rnd() < 0.5
        ? 0
        : rnd() < 0.8
          ? pick(rnd, [1, 2, 4, 8, 14, 20, 40, 60, 100])
          : int(rnd, 2 ** 32)
      : 0
  const maps = p.maps.map((m, i) =>
    isDataMap(m) && p.baseEntries[i] === undefined ? mapContents(rnd, m) : undefined
  )
  if (p.input === 'rawtp')
    return {
      packet: new Uint8Array(0),
      ctx: flatContext(rnd, p.maxInput, p.constants),
      etherType: 0,
      cb0,
      maps,
      shape: 'flat'
    }
  if (p.input === 'socket') {
    const n = networkPacket(rnd, p.maxInput, p.constants)
    return {
      packet: n.packet,
      ctx: new Uint8Array(0),
      etherType: n.etherType,
      cb0,
      maps,
      shape: n.shape
    }
  }
  // A few packets under 14 bytes: the kernel refuses them (checked), the interpreter runs them.
  if (rnd() < 0.03)
    return {
      packet: randomBytes(rnd, int(rnd, 14)),
      ctx: new Uint8Array(0),
      etherType: 0,
      cb0,
      maps,
      shape: 'tiny'
    }
  const e = ethernetPacket(rnd, p.maxInput, p.constants)
  return { packet: e.packet, ctx: new Uint8Array(0), etherType: 0, cb0, maps, shape: e.shape }
}

/** The same input with extra entries for keys the program inserted (so lookups hit next time). */
export function withHits(
  rnd: Rnd,
  input: DiffInput,
  inserted: readonly (readonly MapInitEntry[])[],
  p: DiffProgram
): DiffInput {
  const maps = input.maps.map((entries, i) => {
    const extra = (inserted[i] ?? []).map((e) => ({
      key: e.key,
      value: mapValue(rnd, p.maps[i]!.valueSize)
    }))
    return extra.length === 0 ? entries : [...(entries ?? []), ...extra]
  })
  return { ...input, maps, shape: input.shape + '+hits' }
}
