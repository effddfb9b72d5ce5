/**
 * @fileoverview Turns a solver model of an equivalence query into a concrete interpreter input:
 * packet and context bytes, initial map entries, and the random/time sequences.
 */
import type {
  HelperResponse,
  KernelMemoryInput,
  MapDef,
  MapEntryInput,
  RunInput
} from '../interp/types'
import { readKey } from '../interp/kernel-memory'
import { kernelRegion } from './enc-kmem'
import type { Term, TermValue } from './term'
import type { EncodeModel, SharedLayout } from './enc-state'

/** What counterexample extraction needs of a query: its shared inputs. */
interface WithLayout {
  readonly layout: SharedLayout
}
import { bv, evalTerm, freeVars } from './terms'
import { ringUsedName } from './enc-ringbuf'
import { ENV_CPU, ENV_PID_TGID, ENV_UID_GID, innerMapName, lruEvictRegion } from './enc-helpers'
import { roomName, withInnerMaps } from './enc-maps'
import { INNER_POOL, isMapInMap, withInnerPools } from '../interp/map-in-map'
import { XDP_NO_META } from './enc-packet'
import { MapType } from '../interp/layout'
import { RESHAPED_FIELDS } from '../interp/skb-reshape'
import { RESHAPE_LEN, RESHAPE_STRIDE, reshapeField } from './enc-skb-change'
import type { Answer } from './enc-inputs'

/** A model completed with defaults (0 / false) for variables the solver left out. */
function completeEnv(
  model: ReadonlyMap<string, TermValue>,
  terms: readonly Term[]
): Map<string, TermValue> {
  const env = new Map(model)
  for (const v of freeVars(terms))
    if (!env.has(v.name)) env.set(v.name, v.sort === 'bool' ? false : 0n)
  return env
}

function bytesOfKey(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size)
  for (let i = 0; i < size; i++) out[i] = Number((value >> BigInt(8 * i)) & 0xffn)
  return out
}

/**
 * Fills `out` with the model's values of region `rid`'s initial bytes at offsets 0.., and
 * `before` (when given) with those at negative offsets (the last byte is at offset -1).
 */
function regionBytes(
  q: WithLayout,
  env: Map<string, TermValue>,
  rid: string,
  out: Uint8Array,
  before?: Uint8Array
): void {
  for (const r of q.layout.inputs.namedBytes(rid)) {
    const place = r.place[r.place.length - 1] as Term
    const off = Number(BigInt.asIntN(64, evalTerm(place, completeEnv(env, [place])) as bigint))
    const value = (): number => Number(evalTerm(r.value, completeEnv(env, [r.value])) as bigint)
    if (off >= 0 && off < out.length) out[off] = value()
    else if (before !== undefined && off < 0 && off >= -before.length)
      before[before.length + off] = value()
  }
}

/** Bytes of XDP headroom a counterexample can set (the interpreter's and kernel's headroom). */
const HEADROOM_BYTES = 256

/** Initial entries of map `i` that the model makes present (hash-like) or gives values (arrays). */
function mapEntries(
  q: WithLayout,
  env: Map<string, TermValue>,
  i: number,
  keySize: number,
  valueSize: number,
  maxEntries: number,
  arrayLike: boolean
): MapEntryInput[] {
  const rid = `map${i}`
  const byKey = new Map<bigint, Uint8Array>()
  const valueOf = (key: bigint): Uint8Array => {
    let v = byKey.get(key)
    if (v === undefined) {
      v = new Uint8Array(valueSize)
      byKey.set(key, v)
    }
    return v
  }
  const present = new Set<bigint>()
  for (const p of q.layout.inputs.namedPresence(rid)) {
    const key = p.place[0] as Term
    const k = evalTerm(key, completeEnv(env, [key])) as bigint
    if (evalTerm(p.value, completeEnv(env, [p.value])) === true) present.add(k)
  }
  for (const r of q.layout.inputs.namedBytes(rid)) {
    const [key, off] = r.place as [Term, Term]
    const k = evalTerm(key, completeEnv(env, [key])) as bigint
    const o = Number(evalTerm(off, completeEnv(env, [off])) as bigint)
    if (o >= 0 && o < valueSize)
      valueOf(k)[o] = Number(evalTerm(r.value, completeEnv(env, [r.value])) as bigint)
  }
  // Arrays hold only keys below max_entries; values the model gave other keys are unreachable.
  // (A stand-in for the maps of a map-in-map keeps the identity above the 32-bit index.)
  const keys = arrayLike
    ? [...byKey.keys()].filter((k) => (k & 0xffffffffn) < BigInt(maxEntries))
    : [...present]
  return keys.map((k) => ({
    key: bytesOfKey(k, keySize),
    value: byKey.get(k) ?? new Uint8Array(valueSize)
  }))
}

/**
 * The entries of LPM trie `i`: the entry each found lookup reached (the query's constraints make
 * them a trie whose lookups find exactly those), with the value bytes the model gives it.
 */
function lpmEntries(
  q: WithLayout,
  env: Map<string, TermValue>,
  i: number,
  keySize: number,
  valueSize: number
): MapEntryInput[] {
  const rid = `map${i}`
  const value = (t: Term): TermValue => evalTerm(t, completeEnv(env, [t]))
  const found = new Set<number>()
  for (const p of q.layout.inputs.namedPresence(rid))
    if (value(p.value) === true) found.add((p.place[0] as Term).id)
  const entries = new Map<bigint, Uint8Array>()
  for (const m of q.layout.inputs.namedMatches(rid)) {
    if (!found.has((m.place[0] as Term).id)) continue
    const id = value(m.value) as bigint
    if (!entries.has(id)) entries.set(id, new Uint8Array(valueSize))
  }
  for (const r of q.layout.inputs.namedBytes(rid)) {
    const [key, off] = r.place as [Term, Term]
    const bytes = entries.get(value(key) as bigint)
    const o = Number(value(off) as bigint)
    if (bytes !== undefined && o >= 0 && o < valueSize) bytes[o] = Number(value(r.value) as bigint)
  }
  return [...entries].map(([id, v]) => ({ key: bytesOfKey(id, keySize), value: v }))
}

/**
 * Maps of maps: each outer entry the model makes present gets the number of the interpreter's
 * inner map standing for the identity the model chose (in order of appearance); `maps` (the
 * program's maps, outer ones filled in here) is followed by the returned pool contents, taken from
 * the stand-in map's entries split into identity and key.
 */
function innerMapEntries(
  q: WithLayout,
  env: Map<string, TermValue>,
  em: EncodeModel,
  maps: MapEntryInput[][]
): MapEntryInput[][] {
  const value = (t: Term): TermValue => evalTerm(t, completeEnv(env, [t]))
  const { all, inner } = withInnerMaps(em.maps)
  const { all: pooled, pool } = withInnerPools(em.maps)
  const out: MapEntryInput[][] = pooled.slice(em.maps.length).map(() => [])
  em.maps.forEach((def, i) => {
    const stand = inner[i] ?? -1
    const first = pool[i] ?? -1
    if (stand < 0 || first < 0) return
    const chosen = new Map<bigint, bigint>()
    for (const c of q.layout.inputs.namedChoices(innerMapName(i)))
      chosen.set(value(c.place[0] as Term) as bigint, value(c.value) as bigint)
    const ids: bigint[] = []
    const number = (id: bigint): number => {
      if (!ids.includes(id)) ids.push(id)
      return ids.indexOf(id)
    }
    const outer = mapEntries(q, env, i, def.keySize, 4, def.maxEntries, false)
    maps[i] = outer.map((e) => {
      const k = e.key.reduce((a, b, j) => a | (BigInt(b) << BigInt(8 * j)), 0n)
      return { key: e.key, value: bytesOfKey(BigInt(number(chosen.get(k) ?? 0n)), 4) }
    })
    const sd = all[stand] as MapDef
    const arrayLike = ALWAYS_PRESENT.has(sd.type)
    const ks = sd.keySize - 4
    for (const e of mapEntries(q, env, stand, sd.keySize, sd.valueSize, sd.maxEntries, arrayLike)) {
      const id = e.key.slice(ks).reduce((a, b, j) => a | (BigInt(b) << BigInt(8 * j)), 0n)
      const j = number(id)
      if (j < INNER_POOL)
        out[first - em.maps.length + j]?.push({ key: e.key.slice(0, ks), value: e.value })
    }
    ids.forEach((id, j) => {
      const used = usedEntries(q, env, stand, bv(id, 32), sd.maxEntries)
      const k = first - em.maps.length + j
      if (used !== undefined && j < INNER_POOL)
        out[k] = fillUp(out[k] ?? [], ks, sd.valueSize, used)
    })
  })
  return out
}

/** Map types whose in-range keys always exist (their entries carry values only). */
const ALWAYS_PRESENT = new Set([2, 6])

/**
 * How many entries hash map `map` (for a stand-in, the inner map `identity`) held at the start by
 * the model: max_entries less the free entries it chose, when that is below max_entries.
 */
function usedEntries(
  q: WithLayout,
  env: Map<string, TermValue>,
  map: number,
  identity: Term,
  maxEntries: number
): number | undefined {
  const id = evalTerm(identity, completeEnv(env, [identity]))
  for (const c of q.layout.inputs.namedChoices(roomName(map))) {
    const place = c.place[0] as Term
    if (evalTerm(place, completeEnv(env, [place])) !== id) continue
    const room = evalTerm(c.value, completeEnv(env, [c.value])) as bigint
    return room < BigInt(maxEntries) ? maxEntries - Number(room) : undefined
  }
  return undefined
}

/** Adds distinct filler keys until the map holds `max` entries (the model said it is full). */
function fillUp(
  entries: MapEntryInput[],
  keySize: number,
  valueSize: number,
  max: number
): MapEntryInput[] {
  const used = new Set(entries.map((e) => Array.from(e.key).join(',')))
  const out = [...entries]
  for (let n = 0n; out.length < max && n < 1n << BigInt(Math.min(keySize * 8, 52)); n++) {
    const key = bytesOfKey(n ^ 0x5a5a5a5an, keySize)
    const id = Array.from(key).join(',')
    if (used.has(id)) continue
    used.add(id)
    out.push({ key, value: new Uint8Array(valueSize) })
  }
  return out
}

/** The main frame's initial bytes the model fixed (offsets below r10), as the 512 bytes under r10. */
function stackBytes(q: WithLayout, env: Map<string, TermValue>): Uint8Array | undefined {
  const reads = q.layout.inputs.namedBytes('stack0')
  if (reads.length === 0) return undefined
  const out = new Uint8Array(512)
  for (const r of reads) {
    const place = r.place[r.place.length - 1] as Term
    const off = Number(BigInt.asIntN(64, evalTerm(place, completeEnv(env, [place])) as bigint))
    if (off >= -512 && off < 0)
      out[512 + off] = Number(evalTerm(r.value, completeEnv(env, [r.value])) as bigint)
  }
  return out
}

function sequence(
  env: Map<string, TermValue>,
  name: string,
  mask: bigint,
  signed = false
): number[] {
  const out: number[] = []
  for (let i = 0; env.has(`${name}_${i}`); i++) {
    const v = (env.get(`${name}_${i}`) as bigint) & mask
    out.push(Number(signed ? BigInt.asIntN(64, v) : v))
  }
  return out
}

/**
 * What answer `a` says about a reshaping tc helper (enc-skb-change), if it answers one: the
 * packet after the call (the packet region's input bytes at the answer's place, as long as its
 * length) and the context fields it changes.
 */
function reshapeAnswer(
  q: WithLayout,
  env: Map<string, TermValue>,
  a: Answer
): { packet?: Uint8Array; fields?: number[] } {
  const named = a.values()
  const len = named.get(RESHAPE_LEN)
  if (len === undefined) return {}
  const value = (t: Term): bigint => evalTerm(t, completeEnv(env, [t])) as bigint
  const packet = new Uint8Array(Number(value(len)))
  const start = RESHAPE_STRIDE * (a.position + 1)
  for (const r of q.layout.inputs.namedBytes('pkt')) {
    const off = Number(BigInt.asIntN(64, value(r.place[r.place.length - 1] as Term))) - start
    if (off >= 0 && off < packet.length) packet[off] = Number(value(r.value))
  }
  const fields = RESHAPED_FIELDS.map((_, i) => {
    const v = named.get(reshapeField(i))
    return v === undefined ? 0 : Number(value(v))
  })
  return { packet, fields }
}

/** The model's answers to calls (helpers outside the model, LRU map operations), by position. */
function helperAnswers(
  q: WithLayout,
  env: Map<string, TermValue>,
  em: EncodeModel
): HelperResponse[] {
  return q.layout.inputs.answersUsed().map((a) => {
    const value = (t: Term): TermValue => evalTerm(t, completeEnv(env, [t]))
    const evict: Uint8Array[] = []
    em.maps.forEach((def, i) => {
      for (const r of q.layout.inputs.namedPresence(lruEvictRegion(a.position, i)))
        if (value(r.value) === true)
          evict.push(bytesOfKey(value(r.place[0] as Term) as bigint, def.keySize))
    })
    const sizes = a.sizes()
    const data = new Uint8Array(sizes.data)
    for (let i = 0; i < sizes.data; i++) data[i] = Number(value(a.byte(i)) as bigint)
    const keep: number[] = []
    for (let i = 0; i < sizes.kept; i++) if (value(a.keep(i)) === true) keep.push(i)
    return {
      r0: value(a.r0) as bigint,
      ...(sizes.data > 0 ? { data } : {}),
      ...(keep.length > 0 ? { keep } : {}),
      ...(evict.length > 0 ? { evict } : {}),
      ...reshapeAnswer(q, env, a)
    }
  })
}

/** The interpreter input a satisfying `model` of query `q` describes. */
export function counterexampleInput(
  q: WithLayout,
  model: ReadonlyMap<string, TermValue>,
  em: EncodeModel
): RunInput {
  const env = new Map(model)
  const k = em.ctx
  const input: {
    packet?: Uint8Array
    headroom?: Uint8Array
    ctx?: Uint8Array
    mem?: Uint8Array
    stack?: Uint8Array
    r1?: bigint
    maps?: MapEntryInput[][]
    randoms?: number[]
    times?: number[]
    perfResults?: number[]
    ringUsed?: number[]
    xdpNoMeta?: boolean
    cpu?: number
    pidTgid?: bigint
    uidGid?: bigint
    calls?: HelperResponse[]
    kernelMemory?: KernelMemoryInput
  } = {}
  if (k === 'xdp' || k === 'skb' || k === 'socket') {
    const len = Number((env.get('pkt_len') as bigint | undefined) ?? 0n)
    const pkt = new Uint8Array(Math.min(len, em.maxPacket))
    const head = new Uint8Array(k === 'xdp' ? HEADROOM_BYTES : 0)
    regionBytes(q, env, 'pkt', pkt, head)
    input.packet = pkt
    if (head.some((b) => b !== 0)) input.headroom = head
    const ctx = new Uint8Array(k === 'xdp' ? 24 : 192)
    regionBytes(q, env, 'ctx', ctx)
    input.ctx = ctx
  } else if (k === 'scalar') {
    input.r1 = (env.get('in_r1') as bigint | undefined) ?? 0n
  } else {
    const buf = new Uint8Array(em.ctxSize)
    regionBytes(q, env, 'ctx', buf)
    if (k === 'plain') input.mem = buf
    else input.ctx = buf
  }
  input.maps = em.maps.map((def, i): MapEntryInput[] => {
    if (def.type === MapType.LPM_TRIE) return lpmEntries(q, env, i, def.keySize, def.valueSize)
    if (isMapInMap(def.type)) return []
    const entries = mapEntries(
      q,
      env,
      i,
      def.keySize,
      def.valueSize,
      def.maxEntries,
      ALWAYS_PRESENT.has(def.type)
    )
    const used = usedEntries(q, env, i, bv(0, 32), def.maxEntries)
    return used === undefined ? entries : fillUp(entries, def.keySize, def.valueSize, used)
  })
  input.maps.push(...innerMapEntries(q, env, em, input.maps))
  const stack = stackBytes(q, env)
  if (stack !== undefined) input.stack = stack
  if (env.get(XDP_NO_META) === true) input.xdpNoMeta = true
  const cpu = env.get(ENV_CPU)
  if (typeof cpu === 'bigint') input.cpu = Number(cpu)
  const pid = env.get(ENV_PID_TGID)
  if (typeof pid === 'bigint') input.pidTgid = pid
  const uid = env.get(ENV_UID_GID)
  if (typeof uid === 'bigint') input.uidGid = uid
  const rings = em.maps.map((_, i) =>
    Number((env.get(ringUsedName(i)) as bigint | undefined) ?? 0n)
  )
  if (rings.some((u) => u !== 0)) input.ringUsed = rings
  const calls = helperAnswers(q, env, em)
  if (calls.length > 0) input.calls = calls
  input.randoms = sequence(env, 'rand', 0xffffffffn)
  const times = sequence(env, 'time', 0xffffffffffffffffn)
  if (times.length > 0) input.times = times
  const perf = sequence(env, 'perf', 0xffffffffffffffffn, true)
  if (perf.length > 0) input.perfResults = perf
  if (em.kernelReads === true) input.kernelMemory = { seed: 0, reads: kernelReads(q, env) }
  return input
}

/** The kernel memory loads read in the model (see enc-kmem.ts), one value per address and size. */
function kernelReads(
  q: WithLayout,
  env: Map<string, TermValue>
): { address: bigint; size: number; value: bigint }[] {
  const out = new Map<string, { address: bigint; size: number; value: bigint }>()
  for (const size of [1, 2, 4, 8]) {
    for (const r of q.layout.inputs.namedBytes(kernelRegion(size))) {
      const [at, index] = r.place as [Term, Term]
      const value = evalTerm(r.value, completeEnv(env, [r.value])) as bigint
      const address = evalTerm(at, completeEnv(env, [at])) as bigint
      const i = Number(evalTerm(index, completeEnv(env, [index])) as bigint)
      const key = readKey(address, size)
      const read = out.get(key) ?? { address, size, value: 0n }
      out.set(key, { ...read, value: read.value | (value << BigInt(8 * i)) })
    }
  }
  return [...out.values()]
}
