/**
 * @fileoverview Observable outcome of a run, captured once (e.g. for a reference program on a
 * test) and compared with a machine's latest run without allocating: equality and a graded
 * distance (bits that differ) for the search's error cost.
 */
import * as $effects from './effects'
type EffectLog = $effects.EffectLog
import * as $int64 from './int64'
import * as $machine from './machine'
import type { Machine } from './machine'
import * as $map_store from './map-store'
import type { MapStore } from './map-store'

// Imports copied into module constants once: under tsx/vite-node each access to an
// imported binding is a getter call, too costly on the interpreter hot path.
const { EffectLog } = $effects
const { popcount32 } = $int64
const { Region, Status } = $machine
const { hashBytes, MapShape } = $map_store

/** A captured map: array values with the touched indices, or hash entries with an index table. */
interface MapCapture {
  readonly shape: number
  /** The run may have changed the map (else it holds exactly the input's entries). */
  readonly written: boolean
  readonly values: Uint8Array
  readonly valuesView: DataView
  readonly dirty: Int32Array
  readonly allDirty: boolean
  readonly count: number
  readonly keys: Uint8Array
  readonly table: Int32Array
  readonly hashes: Int32Array
}

/** What one run produced, detached from the machine. */
export interface Outcome {
  readonly status: number
  readonly r0lo: number
  readonly r0hi: number
  readonly faultPc: number
  readonly metaLen: number
  /** Where the metadata starts in the packet region (moves with xdp_adjust_head/meta). */
  readonly metaAt: number
  readonly packet: Uint8Array
  readonly packetView: DataView
  /** Bytes in use in each ring buffer (by map index). */
  readonly ringUsed: Int32Array
  readonly ctx: Uint8Array
  readonly ctxView: DataView
  readonly maps: readonly MapCapture[]
  readonly effects: EffectLog
}

/** Weight of a different exit kind (exit / tail call / fault) in {@link outcomeDistance}. */
export const STATUS_MISMATCH_COST = 1 << 16

/** Bytes of the context a run's outcome includes (the writable kinds' whole context). */
function outputCtxLength(m: Machine): number {
  const k = m.ctxOutput
  return k === 1 ? m.ctxSize : k === 2 ? m.memLen : 0
}

function viewOf(a: Uint8Array): DataView {
  return new DataView(a.buffer, a.byteOffset, a.byteLength)
}

function captureMap(m: Machine, i: number): MapCapture {
  const map = m.maps[i]!
  const written = m.mapWritten(i)
  const values = map.heap.slice(map.base, map.base + map.valueBytes)
  if (map.shape !== MapShape.hash) {
    return {
      shape: map.shape,
      written,
      values,
      valuesView: viewOf(values),
      dirty: map.dirty.slice(0, map.dirtyCount),
      allDirty: map.allDirty,
      count: 0,
      keys: new Uint8Array(0),
      table: new Int32Array(0),
      hashes: new Int32Array(0)
    }
  }
  const ks = map.keySize
  const n = map.count
  const keys = new Uint8Array(n * ks)
  const packed = new Uint8Array(n * map.valueSize)
  const hashes = new Int32Array(n)
  let t = 4
  while (t < n * 2) t *= 2
  const table = new Int32Array(t)
  let k = 0
  for (let slot = 0; slot < map.slotLimit; slot++) {
    if (map.used[slot] !== 1) continue
    keys.set(map.keys.subarray(slot * ks, (slot + 1) * ks), k * ks)
    packed.set(values.subarray(slot * map.valueSize, (slot + 1) * map.valueSize), k * map.valueSize)
    const h = map.slotHash[slot]!
    hashes[k] = h
    let pos = h & (t - 1)
    while (table[pos] !== 0) pos = (pos + 1) & (t - 1)
    table[pos] = k + 1
    k++
  }
  return {
    shape: map.shape,
    written,
    values: packed,
    valuesView: viewOf(packed),
    dirty: new Int32Array(0),
    allDirty: false,
    count: n,
    keys,
    table,
    hashes
  }
}

/** Captures the machine's last run. */
export function captureOutcome(m: Machine): Outcome {
  const pb = m.regionBase[Region.packet]!
  const c0 = m.regionBase[Region.ctx]!
  const c1 = c0 + outputCtxLength(m)
  const packet = m.heap.slice(pb + m.pktMeta, pb + m.pktEnd)
  const ctx = m.heap.slice(c0, c1)
  const effects = new EffectLog(Math.max(1, m.effects.count), Math.max(1, m.effects.arenaUsed))
  m.effects.copyTo(effects)
  return {
    status: m.status,
    r0lo: m.r0lo,
    r0hi: m.r0hi,
    faultPc: m.faultPc,
    metaLen: m.pktData - m.pktMeta,
    metaAt: m.pktMeta,
    ringUsed: m.ringUsed.slice(),
    packet,
    packetView: viewOf(packet),
    ctx,
    ctxView: viewOf(ctx),
    maps: m.maps.map((_, i) => captureMap(m, i)),
    effects
  }
}

function bytesDistance(a: Uint8Array, ai: number, b: Uint8Array, bi: number, n: number): number {
  let d = 0
  for (let i = 0; i < n; i++) {
    const x = a[ai + i]! ^ b[bi + i]!
    if (x !== 0) d += popcount32(x)
  }
  return d
}

/** Bits that differ between `n` bytes of two views, compared four bytes at a time. */
function viewDistance(a: DataView, ai: number, b: DataView, bi: number, n: number): number {
  let d = 0
  let i = 0
  for (; i + 4 <= n; i += 4) {
    const x = a.getInt32(ai + i, true) ^ b.getInt32(bi + i, true)
    if (x !== 0) d += popcount32(x)
  }
  for (; i < n; i++) {
    const x = a.getUint8(ai + i) ^ b.getUint8(bi + i)
    if (x !== 0) d += popcount32(x)
  }
  return d
}

function findCaptured(c: MapCapture, src: Uint8Array, at: number, ks: number, h: number): number {
  const mask = c.table.length - 1
  let pos = h & mask
  for (;;) {
    const e = c.table[pos]!
    if (e === 0) return -1
    const k = e - 1
    if (c.hashes[k] === h && bytesDistance(c.keys, k * ks, src, at, ks) === 0) return k
    pos = (pos + 1) & mask
  }
}

function mapDistance(view: DataView, map: MapStore, c: MapCapture, limit: number): number {
  const vs = map.valueSize
  const cv = c.valuesView
  if (map.shape !== MapShape.hash) {
    if (map.allDirty || c.allDirty) return viewDistance(view, map.base, cv, 0, map.valueBytes)
    let d = 0
    for (let k = 0; k < map.dirtyCount && d <= limit; k++) {
      const i = map.dirty[k]!
      d += viewDistance(view, map.base + i * vs, cv, i * vs, vs)
    }
    for (let k = 0; k < c.dirty.length && d <= limit; k++) {
      const i = c.dirty[k]!
      if (map.isDirty[i] !== 1) d += viewDistance(view, map.base + i * vs, cv, i * vs, vs)
    }
    return d
  }
  const ks = map.keySize
  const missing = 8 * (ks + vs)
  let d = Math.abs(map.count - c.count) * missing
  let found = 0
  for (let slot = 0; slot < map.slotLimit && d <= limit; slot++) {
    if (map.used[slot] !== 1) continue
    const k =
      c.count === 0
        ? -1
        : findCaptured(c, map.keys, slot * ks, ks, hashBytes(map.keys, slot * ks, ks))
    if (k < 0) d += missing
    else {
      found++
      d += viewDistance(view, map.base + slot * vs, cv, k * vs, vs)
    }
  }
  if (found < c.count && map.count >= c.count) d += (c.count - found) * missing
  return d
}

/**
 * Bits that differ between the machine's last run and `o` (0 = same observable behaviour):
 * r0, packet, writable context, maps, outputs; a different ending costs STATUS_MISMATCH_COST.
 * Stops counting early once the distance exceeds `limit`. A map neither run wrote holds the
 * input's entries in both and is skipped, unless `compareAllMaps` (for tests of that shortcut).
 */
export function outcomeDistance(
  m: Machine,
  o: Outcome,
  limit = Infinity,
  compareAllMaps = false
): number {
  if (m.status !== o.status) return STATUS_MISMATCH_COST
  if (m.status === Status.fault) return 0
  let d = 0
  if (m.status === Status.exit) d += popcount32(m.r0lo ^ o.r0lo) + popcount32(m.r0hi ^ o.r0hi)
  const pb = m.regionBase[Region.packet]!
  const plen = m.pktEnd - m.pktMeta
  const metaLen = m.pktData - m.pktMeta
  if (plen !== o.packet.length || metaLen !== o.metaLen || m.pktMeta !== o.metaAt)
    d += 8 * (Math.abs(plen - o.packet.length) + 1)
  else d += viewDistance(m.view, pb + m.pktMeta, o.packetView, 0, plen)
  const clen = outputCtxLength(m)
  if (clen === o.ctx.length)
    d += viewDistance(m.view, m.regionBase[Region.ctx]!, o.ctxView, 0, clen)
  else d += 8 * Math.abs(clen - o.ctx.length) + 8
  for (let i = 0; i < m.maps.length && d <= limit; i++) {
    const c = o.maps[i]!
    if (compareAllMaps || c.written || m.mapWritten(i))
      d += mapDistance(m.view, m.maps[i]!, c, limit)
  }
  d += 64 * m.effects.distance(o.effects)
  for (let i = 0; i < m.ringUsed.length; i++) if (m.ringUsed[i] !== o.ringUsed[i]) d += 8
  return d
}

/** True when the machine's last run is observably identical to `o`. */
export function outcomeEquals(m: Machine, o: Outcome): boolean {
  return outcomeDistance(m, o, 0) === 0
}
