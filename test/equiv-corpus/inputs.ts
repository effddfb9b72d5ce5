/**
 * @fileoverview Seeded test-input generator for a program's input model (context kind, buffer
 * size, maps): edge cases (empty, tiny, header-sized and full-size packets; zero and all-ones
 * buffers) and random inputs, most of them well-formed frames so header parsers reach deep paths.
 * Pure (no node:*, imports only src-daemon/core): meant to move to src-daemon/core/search as is.
 */
import type { CtxKind, MapDef, MapSnapshot, RunInput } from '../../src-daemon/core/interp/types'
import { Rng } from '../../src-daemon/core/search/rng'
import { contentsFromSnapshot, randomMapContents } from './map-contents'
import type { Insn } from '../../src-daemon/core/isa/insn'
import {
  buildPacket,
  buildWords,
  PACKET_SHAPES,
  pick,
  plantConstants,
  randomBytes,
  sprinkleWords,
  type PacketShape
} from './packets'

/** What a program reads: the context kind, the packet / flat buffer size and the maps. */
export interface InputModel {
  /** Context kind the interpreter runs the program with (see `ctxKindForK2`). */
  readonly ctxKind: CtxKind
  /** Largest packet (xdp/skb/socket) or exact flat-buffer size (flat/tracepoint/plain), in bytes. */
  readonly maxPktSz: number
  /** The program's maps, by index. */
  readonly maps: readonly MapDef[]
  /** Constants worth planting in buffers (see {@link programConstants}); none when absent. */
  readonly constants?: readonly number[]
  /** Offsets the program loads context/buffer fields from (see {@link programFieldOffsets}). */
  readonly fieldOffsets?: readonly number[]
}

/** Non-negative offsets of the program's loads through registers other than r10 (field offsets). */
export function programFieldOffsets(slots: readonly Insn[]): number[] {
  const out = new Set<number>()
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!
    if (s.code === 0x18) {
      i++
      continue
    }
    if ((s.code & 0xe7) === 0x61 && s.src !== 10 && s.off >= 0) out.add(s.off)
  }
  return [...out]
}

/**
 * Immediates a program compares or computes with (|imm| ≥ 16, not stack offsets), and their
 * negations: a dictionary of values that make its branches go both ways when found in the input.
 */
export function programConstants(slots: readonly Insn[]): number[] {
  const out = new Set<number>()
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!
    if (s.code === 0x18) {
      i++
      continue
    }
    const cls = s.code & 7
    const isImm = (s.code & 8) === 0
    if (!isImm || (cls !== 4 && cls !== 5 && cls !== 6 && cls !== 7)) continue
    if (Math.abs(s.imm) < 16 || s.code === 0x85) continue
    out.add(s.imm >>> 0)
    out.add(-s.imm >>> 0)
  }
  return [...out]
}

/** Options of {@link generateInputs}. */
export interface GenerateOptions {
  /** PRNG seed: the same seed gives the same inputs. */
  readonly seed: number
  /** Total number of inputs (edge cases first, then random). */
  readonly count: number
  /** Include {@link edgeCaseInputs} first (default true). */
  readonly edgeCases?: boolean
}

/** Frame shapes weighted towards well-formed IP traffic (random bytes 1 in 6). */
const WEIGHTED_SHAPES: readonly PacketShape[] = [
  ...PACKET_SHAPES,
  'ipv4-tcp',
  'ipv4-udp',
  'ipv6-tcp',
  'ipv6-udp'
]

function hasPacket(kind: CtxKind): boolean {
  return kind === 'xdp' || kind === 'skb' || kind === 'socket'
}

/** A packet length: full size, header sizes, tiny, or uniform (packets at least 1 byte when max ≥ 1). */
function packetLength(rng: Rng, max: number): number {
  const u = rng.int(8)
  if (u < 3) return max
  if (u === 3) return Math.min(max, pick(rng, [14, 18, 22, 34, 38, 42, 54, 58]))
  if (u === 4) return rng.int(Math.min(max, 14) + 1)
  return rng.int(max + 1)
}

/** A flat buffer of exactly `size` bytes: a frame, small words, random bytes or all-zero/all-ones. */
function flatBuffer(rng: Rng, model: InputModel): Uint8Array {
  const b = flatShape(rng, model.maxPktSz)
  return rng.int(3) === 0 ? plantConstants(rng, b, model.constants ?? [], model.fieldOffsets) : b
}

function flatShape(rng: Rng, size: number): Uint8Array {
  const u = rng.int(10)
  if (u < 2) return buildPacket(rng, size, pick(rng, WEIGHTED_SHAPES))
  if (u < 4) return sprinkleWords(rng, buildPacket(rng, size, pick(rng, WEIGHTED_SHAPES)))
  if (u < 7) return buildWords(rng, size)
  if (u < 9) return randomBytes(rng, new Uint8Array(size))
  return new Uint8Array(size).fill(u === 9 && rng.int(2) === 0 ? 0xff : 0)
}

/** 1..4 random u32 values (get_prandom_u32 results). */
function randomU32s(rng: Rng): number[] {
  const n = 1 + rng.int(4)
  const out: number[] = []
  for (let i = 0; i < n; i++)
    out.push(rng.int(4) === 0 ? pick(rng, [0, 1, 0xffffffff]) : rng.nextU32())
  return out
}

/** Increasing ktime values (ns). */
function times(rng: Rng): number[] {
  const start = rng.int(1 << 30) * 1000
  return [start, start + 1 + rng.int(1_000_000)]
}

/** Context fields for packet programs (xdp: ingress/rx queue; skb/socket: mark, priority, cb words). */
function packetCtx(rng: Rng, kind: CtxKind): Record<string, number> {
  if (kind === 'xdp') {
    if (rng.int(2) === 0) return { ingress_ifindex: 1, rx_queue_index: 0 }
    return { ingress_ifindex: pick(rng, [1, 2, 3, 4, 7, rng.int(64)]), rx_queue_index: rng.int(4) }
  }
  return { mark: rng.int(2) === 0 ? 0 : rng.nextU32(), priority: rng.int(8) }
}

/** One random input for `model`. */
export function randomInput(model: InputModel, rng: Rng): RunInput {
  const kind = model.ctxKind
  const maps = randomMapContents(rng, model.maps)
  const common = { maps, randoms: randomU32s(rng), times: times(rng), stackSeed: rng.nextU32() | 0 }
  if (hasPacket(kind)) {
    const packet = buildPacket(rng, packetLength(rng, model.maxPktSz), pick(rng, WEIGHTED_SHAPES))
    if (rng.int(4) === 0) plantConstants(rng, packet, model.constants ?? [])
    return { ...common, packet, ctx: packetCtx(rng, kind) }
  }
  if (kind === 'scalar') {
    const r1 =
      rng.int(2) === 0
        ? BigInt(rng.range(-50, 50))
        : BigInt.asIntN(64, (BigInt(rng.nextU32()) << 32n) | BigInt(rng.nextU32()))
    return { ...common, r1 }
  }
  const buf = flatBuffer(rng, model)
  return kind === 'plain' ? { ...common, mem: buf } : { ...common, ctx: buf }
}

/**
 * Deterministic edge cases: empty maps throughout; packets of 0, 1, 13, 14 bytes and full size
 * (zeros, all-ones, IPv4/IPv6 TCP/UDP frames); flat buffers all zero, all ones, and one frame.
 */
export function edgeCaseInputs(model: InputModel): RunInput[] {
  const rng = new Rng(0x5eed)
  const kind = model.ctxKind
  const max = model.maxPktSz
  const base = { maps: model.maps.map(() => []), randoms: [0], times: [1_000_000_000] }
  if (hasPacket(kind)) {
    const sizes = [0, 1, Math.min(13, max), Math.min(14, max), max]
    const out: RunInput[] = sizes.map((n) => ({ ...base, packet: new Uint8Array(n) }))
    out.push({ ...base, packet: new Uint8Array(max).fill(0xff) })
    for (const shape of [
      'ipv4-tcp',
      'ipv4-udp',
      'ipv6-tcp',
      'ipv6-udp',
      'vlan-ipv4',
      'qinq-ipv4'
    ] as const)
      out.push({ ...base, packet: buildPacket(rng, max, shape) })
    return out
  }
  if (kind === 'scalar')
    return [0n, 1n, -1n, 0x7fffffffn, -0x80000000n].map((r1) => ({ ...base, r1 }))
  const bufs = [
    new Uint8Array(max),
    new Uint8Array(max).fill(0xff),
    buildPacket(rng, max, 'ipv4-tcp')
  ]
  return bufs.map((b) => (kind === 'plain' ? { ...base, mem: b } : { ...base, ctx: b }))
}

/** `count` inputs for `model`: edge cases first (unless disabled), then seeded random inputs. */
export function generateInputs(model: InputModel, options: GenerateOptions): RunInput[] {
  const out = options.edgeCases === false ? [] : edgeCaseInputs(model).slice(0, options.count)
  const rng = new Rng(options.seed)
  while (out.length < options.count) out.push(randomInput(model, rng))
  return out
}

/**
 * The same input with initial maps taken from a run's final maps (keys the program inserted
 * become present, values re-randomised half the time) and, for packet programs, fresh context
 * fields: drives lookup-hit paths on a second run.
 */
export function withMapsFromRun(
  model: InputModel,
  input: RunInput,
  finalMaps: readonly MapSnapshot[],
  seed: number
): RunInput {
  const rng = new Rng(seed)
  const maps = contentsFromSnapshot(rng, model.maps, finalMaps)
  return hasPacket(model.ctxKind)
    ? { ...input, maps, ctx: packetCtx(rng, model.ctxKind) }
    : { ...input, maps }
}
