/**
 * @fileoverview The search's initial test suite: seeded random and edge-case interpreter inputs
 * for a program's input model (well-formed Ethernet/IPv4/IPv6/TCP/UDP frames, raw contexts, maps
 * with some keys present, random numbers and times), and their JSON form (tests and prover
 * counterexamples travel between threads and into checkpoints as JSON).
 */
import type {
  CtxFields,
  HelperResponse,
  KernelMemoryInput,
  MapDef,
  MapEntryInput,
  RunInput
} from '../interp/types'
import type { EncodeModel } from '../smt/enc-state'
import type { JsonValue } from './cost'
import { Rng } from './rng'
import { MapType } from '../interp/layout'

/** Options of {@link generateTestInputs}. */
export interface TestInputOptions {
  /** Number of inputs (edge cases first, then random ones). */
  readonly count: number
  /** Seed of the generator (the suite is a pure function of model, count and seed). */
  readonly seed: number
}

const ETH_IPV4 = 0x0800
const ETH_IPV6 = 0x86dd
const ETH_ARP = 0x0806
const ETH_VLAN = 0x8100

function randomBytes(rng: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = rng.int(256)
  return b
}

function put16(b: Uint8Array, at: number, v: number): void {
  if (at + 1 < b.length) {
    b[at] = (v >>> 8) & 0xff
    b[at + 1] = v & 0xff
  }
}

const PORTS = [0, 22, 53, 80, 443, 8080, 65535]
const PROTOS = [6, 17, 1, 58, 47, 0]

/** A well-formed (or deliberately odd) Ethernet frame of `len` bytes. */
function frame(rng: Rng, len: number, variant: number): Uint8Array {
  const b = randomBytes(rng, len)
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!
  const ethType = [ETH_IPV4, ETH_IPV6, ETH_IPV4, ETH_VLAN, ETH_ARP, rng.int(65536)][variant % 6]!
  put16(b, 12, ethType)
  let l3 = 14
  let inner = ethType
  if (ethType === ETH_VLAN) {
    inner = rng.int(2) === 0 ? ETH_IPV4 : ETH_IPV6
    put16(b, 16, inner)
    l3 = 18
  }
  const proto = pick(PROTOS)
  let l4 = -1
  if (inner === ETH_IPV4 && l3 + 20 <= len) {
    const ihl = rng.int(8) === 0 ? 6 : 5
    b[l3] = 0x40 | ihl
    put16(b, l3 + 2, Math.max(20, len - l3))
    put16(b, l3 + 6, rng.int(4) === 0 ? 0x2000 : 0) // flags/fragment
    b[l3 + 8] = pick([0, 1, 64, 255]) // ttl
    b[l3 + 9] = proto
    l4 = l3 + ihl * 4
  } else if (inner === ETH_IPV6 && l3 + 40 <= len) {
    b[l3] = 0x60
    put16(b, l3 + 4, Math.max(0, len - l3 - 40))
    b[l3 + 6] = proto
    b[l3 + 7] = pick([0, 1, 64, 255])
    l4 = l3 + 40
  }
  if (l4 >= 0 && l4 + 8 <= len) {
    put16(b, l4, pick(PORTS))
    put16(b, l4 + 2, pick(PORTS))
    if (proto === 6 && l4 + 20 <= len) b[l4 + 12] = 0x50
    if (proto === 17) put16(b, l4 + 4, len - l4)
  }
  return b
}

/** Packet lengths worth testing for a maximum packet size. */
function packetLengths(maxPacket: number): number[] {
  const cands = [0, 1, 13, 14, 15, 33, 34, 35, 42, 53, 54, 55, 60, 64, 74, 128, 256, maxPacket]
  return cands.filter((n) => n <= maxPacket)
}

function mapKey(rng: Rng, m: MapDef, k: number): Uint8Array {
  const key = new Uint8Array(m.keySize)
  if (k === 0) return key // all-zero key
  if (k <= 3) {
    key[0] = k // small little-endian integers
    return key
  }
  return randomBytes(rng, m.keySize)
}

function mapEntries(rng: Rng, m: MapDef, dense: boolean): MapEntryInput[] | undefined {
  if (m.keySize <= 0 || m.valueSize <= 0 || m.maxEntries <= 0) return undefined
  const n = Math.min(m.maxEntries, dense ? 6 : rng.int(3))
  const out: MapEntryInput[] = []
  const seen = new Set<string>()
  for (let k = 0; k < n; k++) {
    const key =
      m.type === 2 || m.type === 6
        ? indexKey(m, k)
        : m.type === MapType.LPM_TRIE
          ? lpmKey(rng, m)
          : mapKey(rng, m, k)
    const id = key.join(',')
    if (seen.has(id)) continue
    seen.add(id)
    const value = rng.int(3) === 0 ? new Uint8Array(m.valueSize) : randomBytes(rng, m.valueSize)
    out.push({ key, value })
  }
  return out
}

/** An LPM trie key: a prefix length up to the data's bits (often a short one), random data. */
function lpmKey(rng: Rng, m: MapDef): Uint8Array {
  const key = randomBytes(rng, m.keySize)
  const bits = Math.max(0, (m.keySize - 4) * 8)
  const prefix = rng.int(2) === 0 ? rng.int(bits + 1) : Math.min(bits, 8 * (1 + rng.int(4)))
  key.set([prefix & 0xff, prefix >> 8, 0, 0])
  return key
}

/** Key bytes of array index `k` (4-byte little-endian). */
function indexKey(m: MapDef, k: number): Uint8Array {
  const key = new Uint8Array(m.keySize)
  key[0] = k & 0xff
  return key
}

function skbFields(rng: Rng, pkt: Uint8Array): CtxFields {
  const ethType = pkt.length >= 14 ? (pkt[12]! << 8) | pkt[13]! : 0
  return {
    len: pkt.length,
    // skb->protocol holds the EtherType in network byte order
    protocol: ((ethType & 0xff) << 8) | (ethType >>> 8),
    mark: rng.int(4) === 0 ? 0 : rng.nextU32(),
    priority: rng.int(8),
    ifindex: 1 + rng.int(8),
    ingress_ifindex: 1 + rng.int(8),
    pkt_type: rng.int(4),
    queue_mapping: rng.int(4),
    hash: rng.nextU32()
  }
}

function xdpFields(rng: Rng): CtxFields {
  return { ingress_ifindex: 1 + rng.int(8), rx_queue_index: rng.int(4) }
}

/** One input; `i` picks edge cases for the first tests. */
function oneInput(model: EncodeModel, rng: Rng, i: number): RunInput {
  const maps = model.maps.map((m) => mapEntries(rng, m, i % 3 !== 2))
  const randoms = [rng.nextU32(), rng.nextU32(), rng.nextU32()]
  const times = [1e9 + rng.int(1e6) * 1000, 2e9 + rng.int(1e6) * 1000]
  const ringUsed = ringFill(model, rng, i)
  const base = {
    maps,
    randoms,
    times,
    // Now and then a perf buffer that is full for the first record.
    ...(i % 7 === 6 ? { perfResults: [-28] } : {}),
    stackSeed: rng.nextU32(),
    ...(ringUsed ? { ringUsed } : {}),
    ...taskOf(i),
    // BTF-typed programs read kernel memory: zeros (as faulting reads give) or varied values.
    ...(model.kernelReads === true
      ? { kernelMemory: { seed: i % 4 === 0 ? 0 : rng.nextU32() | 1 } }
      : {})
  }
  const lens = packetLengths(model.maxPacket)
  switch (model.ctx) {
    case 'xdp':
    case 'skb':
    case 'socket': {
      const len = i < lens.length ? lens[i]! : lens[rng.int(lens.length)]!
      const packet = frame(rng, len, i)
      const ctx = model.ctx === 'xdp' ? xdpFields(rng) : skbFields(rng, packet)
      // Every fifth XDP input comes from a driver without metadata support.
      const noMeta = model.ctx === 'xdp' && i % 5 === 4 ? { xdpNoMeta: true } : {}
      return { ...base, ...noMeta, packet, ctx }
    }
    case 'flat':
      // K2's flat buffer is the packet of ld_abs/ld_ind and often a copied frame.
      return {
        ...base,
        ctx: i % 4 === 3 ? edgeBytes(rng, model.ctxSize, i) : frame(rng, model.ctxSize, i)
      }
    case 'tracepoint':
      return { ...base, ctx: edgeBytes(rng, model.ctxSize, i) }
    default:
      // Struct contexts (sock_ops, cgroup hooks, ...): the struct's bytes.
      return { ...base, ctx: edgeBytes(rng, model.ctxSize, i) }
    case 'plain':
      return { ...base, mem: edgeBytes(rng, model.ctxSize, i) }
    case 'scalar': {
      const edges = [0n, 1n, 0xffffffffn, 0x80000000n, 0xffffffffffffffffn, 1n << 63n]
      const r1 =
        i < edges.length ? edges[i]! : (BigInt(rng.nextU32()) << 32n) | BigInt(rng.nextU32())
      return { ...base, r1 }
    }
  }
}

/** The CPU and task an input runs as: varied by index without drawing from the generator. */
function taskOf(i: number): { cpu: number; pidTgid: bigint; uidGid: bigint } {
  const pid = BigInt(1000 + 37 * i)
  const uid = BigInt(i % 3 === 0 ? 0 : 1000 + i)
  return { cpu: i % 4, pidTgid: ((pid - BigInt(i % 2)) << 32n) | pid, uidGid: (uid << 32n) | uid }
}

/**
 * Ring buffer space in use at the start: every fourth input finds each ring buffer nearly full
 * (so that outputs and reservations fail there); undefined without ring buffers.
 */
function ringFill(model: EncodeModel, rng: Rng, i: number): number[] | undefined {
  if (!model.maps.some((m) => m.type === MapType.RINGBUF)) return undefined
  return model.maps.map((m) =>
    m.type === MapType.RINGBUF && i % 4 === 3 ? Math.max(0, m.maxEntries - 8 * rng.int(4)) : 0
  )
}

/** Bytes of a raw buffer: zeros, all-ones, small integers, or random. */
function edgeBytes(rng: Rng, n: number, i: number): Uint8Array {
  if (i === 0) return new Uint8Array(n)
  if (i === 1) return new Uint8Array(n).fill(0xff)
  if (i === 2) {
    const b = new Uint8Array(n)
    for (let k = 0; k < n; k += 4) b[k] = rng.int(4)
    return b
  }
  return randomBytes(rng, n)
}

/** A seeded test suite for `model` (deterministic in its arguments). */
export function generateTestInputs(model: EncodeModel, opts: TestInputOptions): RunInput[] {
  const rng = new Rng(opts.seed)
  const out: RunInput[] = []
  for (let i = 0; i < opts.count; i++) out.push(oneInput(model, rng, i))
  return out
}

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

function unhex(s: unknown): Uint8Array | undefined {
  if (typeof s !== 'string' || s.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(s)) return undefined
  const b = new Uint8Array(s.length / 2)
  for (let i = 0; i < b.length; i++) b[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16)
  return b
}

/** A run input as JSON (bytes as hex strings, 64-bit values as decimal strings). */
export function runInputToJson(input: RunInput): JsonValue {
  const o: Record<string, JsonValue> = {}
  if (input.packet !== undefined) o.packet = hex(input.packet)
  if (input.headroom !== undefined) o.headroom = hex(input.headroom)
  if (input.stack !== undefined) o.stack = hex(input.stack)
  if (input.ctx !== undefined)
    o.ctx = input.ctx instanceof Uint8Array ? hex(input.ctx) : { ...input.ctx }
  if (input.mem !== undefined) o.mem = hex(input.mem)
  if (input.r1 !== undefined) o.r1 = input.r1.toString()
  if (input.maps !== undefined)
    o.maps = input.maps.map((es) =>
      es === undefined ? null : es.map((e) => ({ key: hex(e.key), value: hex(e.value) }))
    )
  if (input.randoms !== undefined) o.randoms = [...input.randoms]
  if (input.ringUsed !== undefined) o.ringUsed = [...input.ringUsed]
  if (input.cpu !== undefined) o.cpu = input.cpu
  if (input.xdpNoMeta !== undefined) o.xdpNoMeta = input.xdpNoMeta
  if (input.pidTgid !== undefined) o.pidTgid = input.pidTgid.toString()
  if (input.uidGid !== undefined) o.uidGid = input.uidGid.toString()
  if (input.times !== undefined) o.times = [...input.times]
  if (input.perfResults !== undefined) o.perfResults = [...input.perfResults]
  if (input.calls !== undefined)
    o.calls = input.calls.map((c) => ({
      r0: c.r0.toString(),
      ...(c.data !== undefined ? { data: hex(c.data) } : {}),
      ...(c.keep !== undefined ? { keep: [...c.keep] } : {}),
      ...(c.evict !== undefined ? { evict: c.evict.map(hex) } : {}),
      ...(c.packet !== undefined ? { packet: hex(c.packet) } : {}),
      ...(c.fields !== undefined ? { fields: [...c.fields] } : {})
    }))
  if (input.regs !== undefined)
    o.regs = input.regs.map((r) => (r === undefined ? null : r.toString()))
  if (input.stackSeed !== undefined) o.stackSeed = input.stackSeed
  if (input.kernelMemory !== undefined)
    o.kernelMemory = {
      seed: input.kernelMemory.seed,
      reads: (input.kernelMemory.reads ?? []).map((r) => ({
        address: r.address.toString(),
        size: r.size,
        value: r.value.toString()
      }))
    }
  return o
}

/** Kernel memory from its JSON form; undefined when malformed. */
function kernelMemoryFromJson(j: JsonValue): KernelMemoryInput | undefined {
  if (typeof j !== 'object' || j === null || Array.isArray(j)) return undefined
  const o = j as Readonly<Record<string, JsonValue>>
  if (typeof o.seed !== 'number' || !Array.isArray(o.reads)) return undefined
  const reads: { address: bigint; size: number; value: bigint }[] = []
  for (const r of o.reads) {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return undefined
    const x = r as Readonly<Record<string, JsonValue>>
    if (typeof x.address !== 'string' || !/^\d+$/.test(x.address)) return undefined
    if (typeof x.value !== 'string' || !/^\d+$/.test(x.value)) return undefined
    if (x.size !== 1 && x.size !== 2 && x.size !== 4 && x.size !== 8) return undefined
    reads.push({ address: BigInt(x.address), size: x.size, value: BigInt(x.value) })
  }
  return { seed: o.seed, reads }
}

/** Answers to helper calls from their JSON form; undefined when malformed. */
function helperResponsesFromJson(list: readonly JsonValue[]): HelperResponse[] | undefined {
  const out: HelperResponse[] = []
  for (const c of list) {
    if (typeof c !== 'object' || c === null || Array.isArray(c)) return undefined
    const r = c as Readonly<Record<string, JsonValue>>
    if (typeof r.r0 !== 'string' || !/^-?\d+$/.test(r.r0)) return undefined
    const data = r.data === undefined ? undefined : unhex(r.data)
    if (r.data !== undefined && data === undefined) return undefined
    if (r.keep !== undefined && !isNumArray(r.keep)) return undefined
    const evict = Array.isArray(r.evict) ? r.evict.map(unhex) : undefined
    if (r.evict !== undefined && (evict === undefined || evict.some((k) => k === undefined)))
      return undefined
    const packet = r.packet === undefined ? undefined : unhex(r.packet)
    if (r.packet !== undefined && packet === undefined) return undefined
    if (r.fields !== undefined && !isNumArray(r.fields)) return undefined
    out.push({
      r0: BigInt(r.r0),
      ...(data !== undefined ? { data } : {}),
      ...(r.keep !== undefined ? { keep: r.keep as number[] } : {}),
      ...(evict !== undefined ? { evict: evict as Uint8Array[] } : {}),
      ...(packet !== undefined ? { packet } : {}),
      ...(r.fields !== undefined ? { fields: r.fields as number[] } : {})
    })
  }
  return out
}

const isNumArray = (v: unknown): v is number[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x))

/** Parses {@link runInputToJson} output; undefined when malformed. */
export function runInputFromJson(j: JsonValue): RunInput | undefined {
  if (typeof j !== 'object' || j === null || Array.isArray(j)) return undefined
  const o = j as Readonly<Record<string, JsonValue>>
  const out: {
    packet?: Uint8Array
    headroom?: Uint8Array
    stack?: Uint8Array
    ctx?: Uint8Array | CtxFields
    mem?: Uint8Array
    r1?: bigint
    maps?: (MapEntryInput[] | undefined)[]
    randoms?: number[]
    times?: number[]
    perfResults?: number[]
    ringUsed?: number[]
    cpu?: number
    xdpNoMeta?: boolean
    pidTgid?: bigint
    uidGid?: bigint
    regs?: (bigint | undefined)[]
    stackSeed?: number
    calls?: HelperResponse[]
    kernelMemory?: KernelMemoryInput
  } = {}
  const bytes = (k: string): Uint8Array | undefined | false => {
    if (o[k] === undefined) return undefined
    return unhex(o[k]) ?? false
  }
  for (const k of ['packet', 'headroom', 'stack', 'mem'] as const) {
    const b = bytes(k)
    if (b === false) return undefined
    if (b !== undefined) out[k] = b
  }
  if (o.ctx !== undefined) {
    if (typeof o.ctx === 'string') {
      const b = unhex(o.ctx)
      if (b === undefined) return undefined
      out.ctx = b
    } else if (typeof o.ctx === 'object' && o.ctx !== null && !Array.isArray(o.ctx)) {
      const f: Record<string, number> = {}
      for (const [k, v] of Object.entries(o.ctx)) {
        if (typeof v !== 'number') return undefined
        f[k] = v
      }
      out.ctx = f
    } else return undefined
  }
  try {
    if (typeof o.r1 === 'string') out.r1 = BigInt(o.r1)
    if (typeof o.pidTgid === 'string') out.pidTgid = BigInt(o.pidTgid)
    if (typeof o.uidGid === 'string') out.uidGid = BigInt(o.uidGid)
    if (Array.isArray(o.regs))
      out.regs = o.regs.map((r) => (typeof r === 'string' ? BigInt(r) : undefined))
  } catch {
    return undefined
  }
  if (Array.isArray(o.maps)) {
    const maps: (MapEntryInput[] | undefined)[] = []
    for (const es of o.maps) {
      if (es === null) {
        maps.push(undefined)
        continue
      }
      if (!Array.isArray(es)) return undefined
      const list: MapEntryInput[] = []
      for (const e of es) {
        if (typeof e !== 'object' || e === null || Array.isArray(e)) return undefined
        const r = e as Readonly<Record<string, JsonValue>>
        const key = unhex(r.key)
        const value = unhex(r.value)
        if (key === undefined || value === undefined) return undefined
        list.push({ key, value })
      }
      maps.push(list)
    }
    out.maps = maps
  }
  if (Array.isArray(o.calls)) {
    const calls = helperResponsesFromJson(o.calls)
    if (calls === undefined) return undefined
    out.calls = calls
  }
  if (isNumArray(o.randoms)) out.randoms = o.randoms
  if (isNumArray(o.times)) out.times = o.times
  if (isNumArray(o.perfResults)) out.perfResults = o.perfResults
  if (isNumArray(o.ringUsed)) out.ringUsed = o.ringUsed
  if (typeof o.cpu === 'number') out.cpu = o.cpu
  if (typeof o.xdpNoMeta === 'boolean') out.xdpNoMeta = o.xdpNoMeta
  if (typeof o.stackSeed === 'number') out.stackSeed = o.stackSeed
  if (o.kernelMemory !== undefined) {
    const km = kernelMemoryFromJson(o.kernelMemory)
    if (km === undefined) return undefined
    out.kernelMemory = km
  }
  return out
}
