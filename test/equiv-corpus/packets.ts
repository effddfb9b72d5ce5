/**
 * @fileoverview Seeded packet and flat-buffer shapes for test inputs: random bytes and
 * well-formed Ethernet / VLAN / IPv4 / IPv6 / TCP / UDP frames, so header-parsing programs reach
 * their deep paths. Pure (no node:*): could move to src-daemon/core/search unchanged.
 */
import type { Rng } from '../../src-daemon/core/search/rng'

/** The packet shapes {@link buildPacket} makes. */
export const PACKET_SHAPES = [
  'random',
  'eth-random',
  'ipv4-tcp',
  'ipv4-udp',
  'ipv4-icmp',
  'ipv4-other',
  'ipv6-tcp',
  'ipv6-udp',
  'vlan-ipv4',
  'vlan-ipv6',
  'qinq-ipv4',
  'arp'
] as const

/** One packet shape. */
export type PacketShape = (typeof PACKET_SHAPES)[number]

const ETH_IPV4 = 0x0800
const ETH_IPV6 = 0x86dd
const ETH_ARP = 0x0806
const ETH_VLAN = 0x8100
const ETH_QINQ = 0x88a8
/** Ethertypes of 'eth-random' frames: MPLS, QinQ, VLAN, IP, ARP, LLDP, small values, random. */
const ETHERTYPES = [
  0x8847,
  0x8848,
  ETH_QINQ,
  ETH_VLAN,
  ETH_IPV4,
  ETH_IPV6,
  ETH_ARP,
  0x88cc,
  0x0001,
  0x05dc,
  0xffff
]

/** Fills `out` with random bytes. */
export function randomBytes(rng: Rng, out: Uint8Array): Uint8Array {
  for (let i = 0; i < out.length; i++) out[i] = rng.nextU32() & 0xff
  return out
}

/** Picks one element of a non-empty list. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!
}

/** Writes a big-endian u16 when it fits in `p`. */
function be16(p: Uint8Array, at: number, v: number): void {
  if (at + 1 < p.length) {
    p[at] = (v >>> 8) & 0xff
    p[at + 1] = v & 0xff
  } else if (at < p.length) p[at] = (v >>> 8) & 0xff
}

/** A port: usually a well-known one, sometimes random. */
function port(rng: Rng): number {
  return rng.int(3) === 0 ? rng.int(65536) : pick(rng, [22, 53, 80, 443, 8080, 1234, 0, 65535])
}

/** Writes an L4 header (TCP or UDP ports/length) at `at`. */
function l4(rng: Rng, p: Uint8Array, at: number, proto: number): void {
  be16(p, at, port(rng))
  be16(p, at + 2, port(rng))
  if (proto === 17) be16(p, at + 4, Math.max(0, p.length - at))
  else if (proto === 6 && at + 12 < p.length) p[at + 12] = 0x50
}

/** Writes an IPv4 header at `at` (IHL 5, or a random larger IHL one time in eight). */
function ipv4(rng: Rng, p: Uint8Array, at: number, proto: number): void {
  if (at < p.length) p[at] = rng.int(8) === 0 ? 0x40 | rng.range(5, 15) : 0x45
  be16(p, at + 2, Math.max(0, p.length - at))
  if (at + 8 < p.length) p[at + 8] = pick(rng, [64, 1, 0, 255])
  if (at + 9 < p.length) p[at + 9] = proto
  const ihl = ((p[at] ?? 0x45) & 0xf) * 4
  l4(rng, p, at + ihl, proto)
}

/** Writes an IPv6 header at `at`. */
function ipv6(rng: Rng, p: Uint8Array, at: number, proto: number): void {
  if (at < p.length) p[at] = 0x60
  be16(p, at + 4, Math.max(0, p.length - at - 40))
  if (at + 6 < p.length) p[at + 6] = proto
  if (at + 7 < p.length) p[at + 7] = pick(rng, [64, 1, 0, 255])
  l4(rng, p, at + 40, proto)
}

/**
 * A packet of `length` bytes with the given shape: random bytes overlaid with the headers of the
 * shape (headers that do not fit are truncated, so short packets are truncated frames).
 */
export function buildPacket(rng: Rng, length: number, shape: PacketShape): Uint8Array {
  const p = randomBytes(rng, new Uint8Array(length))
  if (shape === 'random') return p
  let at = 12
  const tag = (type: number): void => {
    be16(p, at, type)
    be16(p, at + 2, rng.int(4096))
    at += 4
  }
  if (shape === 'vlan-ipv4' || shape === 'vlan-ipv6') tag(ETH_VLAN)
  if (shape === 'qinq-ipv4') {
    tag(ETH_QINQ)
    tag(ETH_VLAN)
  }
  const ether =
    shape === 'eth-random'
      ? pick(rng, ETHERTYPES)
      : shape === 'arp'
        ? ETH_ARP
        : shape.includes('ipv6')
          ? ETH_IPV6
          : ETH_IPV4
  be16(p, at, ether)
  at += 2
  const proto = shape.endsWith('tcp')
    ? 6
    : shape.endsWith('udp')
      ? 17
      : shape.endsWith('icmp')
        ? 1
        : pick(rng, [6, 17, 1, 47, 58, rng.int(256)])
  if (ether === ETH_IPV4) ipv4(rng, p, at, proto)
  else if (ether === ETH_IPV6) ipv6(rng, p, at, proto)
  return p
}

/** Interesting 32-bit words for flat contexts (tracepoint records): small, boundary, random. */
const WORDS = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 63, 64, 255, 256, 0x7fffffff, 0x80000000,
  0xffffffff
]

/** A flat buffer of little-endian u32 words, each small/boundary (3 in 4) or random. */
export function buildWords(rng: Rng, length: number): Uint8Array {
  const p = new Uint8Array(length)
  const view = new DataView(p.buffer)
  for (let at = 0; at < length; at += 4) {
    const w = rng.int(4) === 0 ? rng.nextU32() : pick(rng, WORDS)
    if (at + 4 <= length) view.setUint32(at, w, true)
    else for (let i = at; i < length; i++) p[i] = (w >>> (8 * (i - at))) & 0xff
  }
  return p
}

/** Overwrites a few random aligned u32 words of `p` with small/boundary values (frames with odd fields). */
export function sprinkleWords(rng: Rng, p: Uint8Array): Uint8Array {
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength)
  const words = Math.floor(p.length / 4)
  for (let k = rng.int(4); k > 0 && words > 0; k--)
    view.setUint32(4 * rng.int(words), pick(rng, WORDS), true)
  return p
}

/**
 * Plants 1..4 of `constants` (e.g. a program's comparison immediates) into `p` as 16- or 32-bit
 * values of either byte order, at random offsets or at small offsets; when `fieldOffsets` (offsets
 * the program loads words from) are given, half the time one of those words is set to point two
 * bytes or none before the planted value (a field holding an offset into the same buffer, like a
 * socket filter's cb[0] used by ld_ind).
 */
export function plantConstants(
  rng: Rng,
  p: Uint8Array,
  constants: readonly number[],
  fieldOffsets: readonly number[] = []
): Uint8Array {
  if (constants.length === 0 || p.length < 4) return p
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength)
  for (let k = 1 + rng.int(4); k > 0; k--) {
    const c = pick(rng, constants)
    const wide = c >>> 0 > 0xffff
    const size = wide ? 4 : 2
    const near = pick(rng, WORDS) + pick(rng, [0, 2, 4])
    let at = rng.int(2) === 0 && near + size <= p.length ? near : rng.int(p.length - size + 1)
    const field = fieldOffsets.length > 0 && rng.int(2) === 0 ? pick(rng, fieldOffsets) : -1
    if (field >= 0 && field + 4 <= p.length) {
      const delta = pick(rng, [0, 2])
      const base = rng.int(Math.max(1, p.length - size - delta + 1))
      at = base + delta
      if (at + size <= field || at >= field + 4) view.setUint32(field, base, true)
    }
    const little = rng.int(2) === 0
    if (wide) view.setUint32(at, c >>> 0, little)
    else view.setUint16(at, c & 0xffff, little)
  }
  return p
}
