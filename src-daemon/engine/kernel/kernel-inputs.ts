/**
 * @fileoverview Inputs for kernel checks: a realistic set of frames (IPv4/IPv6 TCP, UDP, ICMP,
 * VLAN-tagged, ARP, short and malformed frames) or contexts, and the search's generated inputs
 * shaped to what BPF_PROG_TEST_RUN can give a program. Each input also carries the same input for
 * the interpreter, which reports the instructions it executes.
 *
 * The test-run environment, reproduced for the interpreter:
 * - xdp: the frame from the Ethernet header; `xdp_md.ingress_ifindex` = 1 (loopback);
 * - skb (tc, cgroup_skb): the frame from the Ethernet header; `__sk_buff` as the kernel fills it
 *   after `eth_type_trans` on loopback (ifindex 1, protocol and pkt_type from the header);
 * - socket (socket filter, lwt): the program sees the packet from the network header;
 * - rawtp: a 96-byte read-only argument buffer.
 */
import type { CtxFields, MapDef, RunInput } from '../../core/interp/types'
import { isComparableMapType, MapType, ProgType } from './bpf-constants'
import type { MapInitEntry } from './oracle-types'

/** How a program type is test-run, or `none` when the kernel has no test run for it. */
export type RunKind = 'xdp' | 'skb' | 'socket' | 'rawtp' | 'none'

/** The test-run shape of a program type. */
export function runKindOf(progType: number): RunKind {
  switch (progType) {
    case ProgType.xdp:
      return 'xdp'
    case ProgType.schedCls:
    case ProgType.schedAct:
    case ProgType.cgroupSkb:
      return 'skb'
    case ProgType.socketFilter:
    case ProgType.lwtIn:
    case ProgType.lwtOut:
    case ProgType.lwtXmit:
      return 'socket'
    case ProgType.rawTracepoint:
      return 'rawtp'
    default:
      return 'none'
  }
}

/** One input of a check, for the kernel and the interpreter. */
export interface KernelInput {
  /** What it is (`ipv4-tcp-syn`, `generated 7`, `file line 3`). */
  readonly label: string
  /** The frame (packet kinds), from the Ethernet header. */
  readonly data?: Uint8Array
  /** The context: a zero `__sk_buff` (skb, socket: so that writes come back) or rawtp arguments. */
  readonly ctx?: Uint8Array
  /** Initial map contents, by the name of the map in the program's model. */
  readonly entries: ReadonlyMap<string, readonly MapInitEntry[]>
  /** The same input for the interpreter. */
  readonly interp: RunInput
}

/** Bytes of the raw_tracepoint argument buffer the kernel runs on. */
export const RAWTP_CTX_BYTES = 96
/** Smallest frame BPF_PROG_TEST_RUN accepts. */
export const MIN_FRAME = 14
const SKB_BYTES = 192

const be16 = (p: Uint8Array, at: number, v: number): void => {
  p[at] = (v >> 8) & 0xff
  p[at + 1] = v & 0xff
}

/** `__sk_buff` fields as `eth_type_trans` on the loopback device sets them. */
export function loopbackSkbFields(etherType: number, dst: Uint8Array): CtxFields {
  const protocol = etherType >= 0x600 ? etherType : 0x0004
  const broadcast = dst.every((b) => b === 0xff)
  const pktType = (dst[0]! & 1) !== 0 ? (broadcast ? 1 : 2) : dst.every((b) => b === 0) ? 0 : 3
  // The context stores protocol in network byte order (a be16 in a u32).
  return { ifindex: 1, protocol: ((protocol & 0xff) << 8) | (protocol >> 8), pkt_type: pktType }
}

/** The interpreter's form of a frame for a run kind. */
function interpPacketInput(kind: RunKind, frame: Uint8Array): RunInput {
  const etherType = (frame[12]! << 8) | frame[13]!
  if (kind === 'xdp') return { packet: frame, ctx: { ingress_ifindex: 1 } }
  const ctx = loopbackSkbFields(etherType, frame.subarray(0, 6))
  return { packet: kind === 'socket' ? frame.subarray(MIN_FRAME) : frame, ctx }
}

/** A check input from a frame (packet kinds) or an argument buffer (rawtp). */
export function kernelInput(
  kind: RunKind,
  label: string,
  bytes: Uint8Array,
  entries: ReadonlyMap<string, readonly MapInitEntry[]> = new Map()
): KernelInput {
  if (kind === 'rawtp') {
    const ctx = new Uint8Array(RAWTP_CTX_BYTES)
    ctx.set(bytes.subarray(0, RAWTP_CTX_BYTES))
    return { label, ctx, entries, interp: { ctx, maps: [] } }
  }
  const ctx = kind === 'xdp' ? undefined : new Uint8Array(SKB_BYTES)
  return {
    label,
    data: bytes,
    ...(ctx !== undefined ? { ctx } : {}),
    entries,
    interp: interpPacketInput(kind, bytes)
  }
}

/** An Ethernet header 02:..:01 → 02:..:02 with `etherType` (VLAN tags pushed in front of it). */
function ethernet(len: number, etherType: number, vlans: readonly number[] = []): Uint8Array {
  const p = new Uint8Array(len)
  p.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], 0)
  let at = 12
  for (const tpid of vlans) {
    be16(p, at, tpid)
    be16(p, at + 2, 100)
    at += 4
  }
  be16(p, at, etherType)
  return p
}

function l3Offset(vlans: number): number {
  return MIN_FRAME + 4 * vlans
}

/** An IPv4 frame with protocol `proto` and a transport header written by `l4`. */
function ipv4Frame(
  len: number,
  proto: number,
  l4: (p: Uint8Array, at: number, end: number) => void,
  vlans: readonly number[] = [],
  ihl = 5
): Uint8Array {
  const at = l3Offset(vlans.length)
  // Built at full size, then cut: a truncated frame keeps the header bytes it has room for.
  const p = ethernet(Math.max(len, at + 80), 0x0800, vlans)
  p[at] = 0x40 | ihl
  be16(p, at + 2, len - at)
  be16(p, at + 4, 0x1c46)
  be16(p, at + 6, 0x4000)
  p[at + 8] = 64
  p[at + 9] = proto
  p.set([10, 0, 0, 1, 10, 0, 0, 2], at + 12)
  if (at + ihl * 4 < len) l4(p, at + Math.max(ihl, 5) * 4, len)
  return p.slice(0, len)
}

function ipv6Frame(
  len: number,
  next: number,
  l4: (p: Uint8Array, at: number, end: number) => void
): Uint8Array {
  const p = ethernet(len, 0x86dd)
  p[14] = 0x60
  be16(p, 18, len - 54)
  p[20] = next
  p[21] = 64
  p.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 22)
  p.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 38)
  l4(p, 54, len)
  return p
}

const tcp =
  (sport: number, dport: number, flags: number) =>
  (p: Uint8Array, at: number): void => {
    be16(p, at, sport)
    be16(p, at + 2, dport)
    p[at + 12] = 0x50
    p[at + 13] = flags
    be16(p, at + 14, 64240)
  }

const udp =
  (sport: number, dport: number) =>
  (p: Uint8Array, at: number, end: number): void => {
    be16(p, at, sport)
    be16(p, at + 2, dport)
    be16(p, at + 4, end - at)
  }

const icmp =
  (type: number) =>
  (p: Uint8Array, at: number): void => {
    p[at] = type
    be16(p, at + 4, 0x4242)
  }

/** The realistic frames, named, from the Ethernet header. */
export function realisticFrames(): { label: string; frame: Uint8Array }[] {
  const arp = ethernet(42, 0x0806)
  arp.set([0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1], 14)
  arp.set([0, 0, 0, 0, 0, 0, 10, 0, 0, 2], 32)
  arp.fill(0xff, 0, 6)
  const fragment = ipv4Frame(74, 17, udp(53, 53))
  be16(fragment, 20, 0x2000 | 185) // more fragments, offset 1480
  const badVersion = ipv4Frame(60, 6, tcp(1234, 80, 0x02))
  badVersion[14] = 0x55
  return [
    { label: 'ipv4-tcp-syn', frame: ipv4Frame(60, 6, tcp(40000, 80, 0x02)) },
    { label: 'ipv4-tcp-data', frame: ipv4Frame(590, 6, tcp(443, 40001, 0x18)) },
    { label: 'ipv4-udp-dns', frame: ipv4Frame(74, 17, udp(40002, 53)) },
    { label: 'ipv4-udp-large', frame: ipv4Frame(1514, 17, udp(5000, 9)) },
    { label: 'ipv4-icmp-echo', frame: ipv4Frame(98, 1, icmp(8)) },
    { label: 'ipv4-options', frame: ipv4Frame(70, 17, udp(68, 67), [], 6) },
    { label: 'ipv4-fragment', frame: fragment },
    { label: 'ipv6-tcp-syn', frame: ipv6Frame(74, 6, tcp(40003, 22, 0x02)) },
    { label: 'ipv6-udp', frame: ipv6Frame(86, 17, udp(546, 547)) },
    { label: 'ipv6-icmpv6-echo', frame: ipv6Frame(118, 58, icmp(128)) },
    { label: 'vlan-ipv4-udp', frame: ipv4Frame(78, 17, udp(1234, 4789), [0x8100]) },
    { label: 'qinq-ipv4-tcp', frame: ipv4Frame(82, 6, tcp(1234, 8080, 0x10), [0x88a8, 0x8100]) },
    { label: 'arp-request', frame: arp },
    { label: 'short-ethernet-only', frame: ethernet(14, 0x0800) },
    { label: 'truncated-ipv4', frame: ipv4Frame(24, 6, () => undefined) },
    { label: 'malformed-ihl', frame: ipv4Frame(60, 17, udp(1, 2), [], 2) },
    { label: 'malformed-version', frame: badVersion },
    { label: 'unknown-ethertype', frame: ethernet(60, 0x88b5) }
  ]
}

/** Argument buffers for raw_tracepoint programs: zeros, small and large values, all ones. */
function realisticContexts(): { label: string; frame: Uint8Array }[] {
  const small = new Uint8Array(RAWTP_CTX_BYTES)
  const view = new DataView(small.buffer)
  for (let i = 0; i < 12; i++) view.setBigUint64(i * 8, BigInt(i + 1), true)
  const large = new Uint8Array(RAWTP_CTX_BYTES)
  const lv = new DataView(large.buffer)
  for (let i = 0; i < 12; i++) lv.setBigUint64(i * 8, 0x7fffffff00000000n + BigInt(i), true)
  return [
    { label: 'args-zero', frame: new Uint8Array(RAWTP_CTX_BYTES) },
    { label: 'args-small', frame: small },
    { label: 'args-large', frame: large },
    { label: 'args-ones', frame: new Uint8Array(RAWTP_CTX_BYTES).fill(0xff) }
  ]
}

/** The realistic input set for a run kind (empty for `none`). */
export function realisticInputs(kind: RunKind): KernelInput[] {
  if (kind === 'none') return []
  const set = kind === 'rawtp' ? realisticContexts() : realisticFrames()
  return set
    .filter((f) => kind !== 'socket' || f.frame.length > MIN_FRAME)
    .map((f) => kernelInput(kind, f.label, f.frame))
}

/** Whether the kernel takes `key` in a map of this definition (array index, LPM prefix length). */
function acceptsKey(def: MapDef, key: Uint8Array): boolean {
  if (key.length < 4) return true
  const first = new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true)
  if (def.type === MapType.array || def.type === MapType.percpuArray) return first < def.maxEntries
  if (def.type === MapType.lpmTrie) return first <= (def.keySize - 4) * 8
  return true
}

/**
 * A generated interpreter input (`core/search/test-inputs`) as the kernel can give it: the packet
 * or context, and initial map contents named by `mapNames`. What the kernel cannot set (random
 * numbers, times, the task, driver quirks, most context fields) is dropped, and the interpreter
 * input is rebuilt from what is left. Undefined for frames the test run refuses (under 14 bytes).
 */
export function fromGenerated(
  kind: RunKind,
  label: string,
  input: RunInput,
  model: { readonly mapNames: readonly string[]; readonly maps: readonly MapDef[] }
): KernelInput | undefined {
  const { mapNames } = model
  const entries = new Map<string, readonly MapInitEntry[]>()
  for (const [i, list] of (input.maps ?? []).entries()) {
    const def = model.maps[i]
    if (list === undefined || list.length === 0 || mapNames[i] === undefined || def === undefined)
      continue
    // Only data maps take arbitrary entries (others hold fds or ids), and only keys they accept.
    if (!isComparableMapType(def.type)) continue
    const accepted = list.filter((e) => acceptsKey(def, e.key))
    if (accepted.length > 0) entries.set(mapNames[i]!, accepted)
  }
  const maps = mapNames.map((n) => entries.get(n))
  if (kind === 'rawtp') {
    const ctx = input.ctx instanceof Uint8Array ? input.ctx : new Uint8Array(0)
    const k = kernelInput(kind, label, ctx, entries)
    return { ...k, interp: { ...k.interp, maps } }
  }
  if (kind === 'none' || input.packet === undefined) return undefined
  let frame = input.packet
  if (kind === 'socket') {
    frame = new Uint8Array(MIN_FRAME + input.packet.length)
    frame.set(ethernet(MIN_FRAME, 0x0800))
    frame.set(input.packet, MIN_FRAME)
  }
  if (frame.length < MIN_FRAME) return undefined
  const k = kernelInput(kind, label, frame, entries)
  return { ...k, interp: { ...k.interp, maps } }
}
