/**
 * @fileoverview Kernel helper calls: dispatch by id, map helpers, time/random, outputs, tail
 * calls and redirects. Arguments are read from r1..r5 of the machine; the result goes to r0.
 */
import * as $effects from './effects'
import * as $helpers_packet from './helpers-packet'
import * as $helper_ids from './helper-ids'
import * as $trace_format from './trace-format'
import * as $layout from './layout'
import * as $machine from './machine'
import type { Machine } from './machine'
import type { HelperResponse } from './types'
import * as $map_store from './map-store'
import * as $helpers_conformance from './helpers-conformance'
import * as $helper_util from './helper-util'
import { INNER_POOL } from './map-in-map'
import * as $helper_protos from './helper-protos'
import * as $helpers_opaque from './helpers-opaque'
import * as $perf_sample from './perf-sample'
import * as $helpers_skb from './helpers-skb'

// Imports copied into module constants once: under tsx/vite-node each access to an
// imported binding is a getter call, too costly on the interpreter hot path.
const { EffectKind } = $effects
const {
  csumDiff,
  l3CsumReplace,
  l4CsumReplace,
  skbLoadBytes,
  skbStoreBytes,
  xdpAdjustHead,
  xdpAdjustMeta,
  xdpAdjustTail
} = $helpers_packet
const { Helper, helperName } = $helper_ids
const { formatTracePrintk, traceArgCount } = $trace_format
const {
  Errno,
  LO_BASE,
  MAP_HANDLE_HI,
  MapType,
  PERF_OUTPUT_ERRORS,
  REGION_HI_BASE,
  TC_ACT_REDIRECT,
  TC_ACT_SHOT,
  XDP_ABORTED,
  XDP_REDIRECT
} = $layout
const { Region } = $machine
const { MAP_CAPACITY_EXCEEDED, MapShape } = $map_store
const { conformanceHelper } = $helpers_conformance
const { fault, HelperStatus, ptrArg, setR0 } = $helper_util
const { OPAQUE_HELPERS } = $helper_protos
const { opaqueHelper } = $helpers_opaque
const { appendSample, sampleLength, SAMPLE_UNMODELLED } = $perf_sample
const { skbChangeType, skbPullData, skbReshape } = $helpers_skb

export { HelperStatus } from './helper-util'

/** Map index of the handle in register `r`, or -1. */
function mapArg(m: Machine, r: number): number {
  const lo = m.regs[r * 2]!
  return m.regs[r * 2 + 1] === MAP_HANDLE_HI && lo >= 0 && lo < m.maps.length ? lo : -1
}

/** Calls helper `id`; returns a {@link HelperStatus}. */
export function callHelper(m: Machine, id: number): number {
  if (m.opts.helpers === 'conformance') return conformanceHelper(m, id)
  const R = m.regs
  switch (id) {
    case Helper.map_lookup_elem:
    case Helper.map_update_elem:
    case Helper.map_delete_elem:
      return mapHelper(m, id)
    case Helper.ktime_get_ns: {
      const t = m.nextTime()
      R[0] = (t % 4294967296) | 0
      R[1] = Math.floor(t / 4294967296) | 0
      return HelperStatus.ok
    }
    case Helper.get_prandom_u32:
      R[0] = m.nextRandom()
      R[1] = 0
      return HelperStatus.ok
    case Helper.get_smp_processor_id:
      R[0] = m.cpu
      R[1] = 0
      return HelperStatus.ok
    case Helper.get_current_pid_tgid:
    case Helper.get_current_uid_gid: {
      const at = id === Helper.get_current_pid_tgid ? 0 : 2
      R[0] = m.task[at]!
      R[1] = m.task[at + 1]!
      return HelperStatus.ok
    }
    case Helper.trace_printk:
      return tracePrintk(m)
    case Helper.tail_call:
      return tailCall(m)
    case Helper.redirect:
      return redirect(m)
    case Helper.redirect_map:
      return redirectMap(m)
    case Helper.perf_event_output:
      return output(m, EffectKind.perf)
    case Helper.ringbuf_output:
      return output(m, EffectKind.ringbuf)
    case Helper.ringbuf_reserve:
      return ringbufReserve(m)
    case Helper.ringbuf_submit:
    case Helper.ringbuf_discard:
      return ringbufCommit(m, id === Helper.ringbuf_submit)
    case Helper.skb_store_bytes:
      return skbStoreBytes(m)
    case Helper.skb_load_bytes:
      return skbLoadBytes(m)
    case Helper.l3_csum_replace:
      return l3CsumReplace(m)
    case Helper.l4_csum_replace:
      return l4CsumReplace(m)
    case Helper.csum_diff:
      return csumDiff(m)
    case Helper.xdp_adjust_head:
      return xdpAdjustHead(m)
    case Helper.xdp_adjust_meta:
      return xdpAdjustMeta(m)
    case Helper.xdp_adjust_tail:
      return xdpAdjustTail(m)
    case Helper.skb_change_type:
      return skbChangeType(m)
    case Helper.skb_pull_data:
      return skbPullData(m)
    case Helper.skb_change_proto:
    case Helper.skb_change_tail:
    case Helper.skb_adjust_room:
      return skbReshape(m, id, helperName(id))
    default: {
      const opaque = OPAQUE_HELPERS.get(id)
      if (opaque !== undefined) return opaqueHelper(m, opaque)
      return fault(m, `unsupported helper ${id} (${helperName(id)})`)
    }
  }
}

function mapHelper(m: Machine, id: number): number {
  const name = helperName(id)
  const mi = mapArg(m, 1)
  if (mi < 0) return fault(m, `${name}: r1 is not a map pointer`)
  const map = m.maps[mi]!
  const type = map.def.type
  if (
    map.shape === MapShape.other ||
    type === MapType.PROG_ARRAY ||
    type === MapType.PERF_EVENT_ARRAY
  )
    return fault(m, `${name}: not allowed on map type ${type}`)
  const key = ptrArg(m, 2, map.keySize)
  if (key < 0) return fault(m, `${name}: invalid key pointer`)
  const R = m.regs
  // Operations on an LRU map are calls to the kernel's LRU: recorded, and answered (evictions).
  const answer = map.lru ? lruCall(m, id, mi, key) : undefined
  if (answer === null) return fault(m, 'output log full')
  if (id === Helper.map_lookup_elem) {
    const slot = map.lookup(key)
    if (slot === MAP_CAPACITY_EXCEEDED)
      return fault(m, `${name}: map ${mi} beyond modelled capacity`)
    const special =
      type === MapType.DEVMAP ||
      type === MapType.CPUMAP ||
      type === MapType.XSKMAP ||
      type === MapType.ARRAY_OF_MAPS
    if (slot < 0 || (special && map.used[slot] !== 1)) {
      R[0] = 0
      R[1] = 0
    } else if (type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS) {
      // The entry names an inner map of this map's pool: the result is that map's handle.
      const j = m.view.getUint32(map.base + slot * map.valueSize, true)
      const pool = m.innerPool[mi]!
      const ok = pool >= 0 && j < INNER_POOL
      R[0] = ok ? pool + j : 0
      R[1] = ok ? MAP_HANDLE_HI : 0
    } else {
      R[0] = (LO_BASE + slot * map.valueSize) | 0
      R[1] = REGION_HI_BASE + Region.firstMap + mi
    }
    return HelperStatus.ok
  }
  if (
    type === MapType.DEVMAP ||
    type === MapType.CPUMAP ||
    type === MapType.XSKMAP ||
    type === MapType.DEVMAP_HASH ||
    type === MapType.ARRAY_OF_MAPS ||
    type === MapType.HASH_OF_MAPS
  )
    return fault(m, `${name}: programs may not modify map type ${type}`)
  let rc: number
  if (id === Helper.map_update_elem) {
    const value = ptrArg(m, 3, map.valueSize)
    if (value < 0) return fault(m, `${name}: invalid value pointer`)
    if (answer !== undefined && BigInt.asIntN(64, answer.r0) === -BigInt(Errno.ENOMEM)) {
      setR0(m, -Errno.ENOMEM)
      return HelperStatus.ok
    }
    for (const k of answer?.evict ?? []) map.evict(k)
    rc = map.update(key, value, R[8]!, R[9]!)
  } else rc = map.delete(key)
  if (rc === MAP_CAPACITY_EXCEEDED) return fault(m, `${name}: map ${mi} beyond modelled capacity`)
  setR0(m, rc)
  return HelperStatus.ok
}

const NO_ANSWER: HelperResponse = { r0: 0n }

/**
 * Records an operation on LRU map `mi` (helper, map index, key bytes) as a call and returns the
 * run's next answer (null when the log is full).
 */
function lruCall(m: Machine, id: number, mi: number, key: number): HelperResponse | null {
  const log = m.effects
  if (!log.push(EffectKind.helperCall, id, 0, 0, 0, m.heap, key, m.maps[mi]!.keySize)) return null
  if (!log.pushArg(mi, 0)) return null
  return m.calls[m.callIdx++] ?? NO_ANSWER
}

function tracePrintk(m: Machine): number {
  const R = m.regs
  const size = R[4]!
  if (size <= 0) return fault(m, 'trace_printk: format size must be positive')
  const at = ptrArg(m, 1, size)
  if (at < 0) return fault(m, 'trace_printk: invalid format pointer')
  const len = formatTracePrintk(m.heap, at, size, R)
  if (!m.effects.push(EffectKind.trace, 0, 0, 0, 0, m.heap, at, size))
    return fault(m, 'output log full')
  // Only the arguments the format reads are output (the others may be scratch registers).
  const used = traceArgCount(m.heap, at, size)
  for (let r = 3; r <= 5; r++)
    if (r - 3 < used) m.effects.pushArg(R[r * 2]!, R[r * 2 + 1]!)
    else m.effects.pushArg(0, 0)
  setR0(m, len)
  return HelperStatus.ok
}

function tailCall(m: Machine): number {
  const mi = mapArg(m, 2)
  if (mi < 0 || m.maps[mi]!.def.type !== MapType.PROG_ARRAY)
    return fault(m, 'tail_call: r2 is not a prog array')
  const map = m.maps[mi]!
  const index = m.regs[6]! >>> 0
  if (index < map.capacity && map.used[index] === 1) {
    if (!m.effects.push(EffectKind.tailCall, mi, index, 0, 0, m.heap, 0, 0))
      return fault(m, 'output log full')
    return HelperStatus.tailCall
  }
  return HelperStatus.ok
}

function redirect(m: Machine): number {
  const R = m.regs
  const xdp = m.prog.ctxKind === 'xdp'
  if (!xdp && m.prog.ctxKind !== 'skb')
    return fault(m, 'redirect: not available for this program type')
  const bad = xdp ? R[4] !== 0 || R[5] !== 0 : (R[4]! & ~1) !== 0 || R[5] !== 0
  if (bad) {
    setR0(m, xdp ? XDP_ABORTED : TC_ACT_SHOT)
    return HelperStatus.ok
  }
  if (!m.effects.push(EffectKind.redirect, R[2]!, 0, R[4]!, R[5]!, m.heap, 0, 0))
    return fault(m, 'output log full')
  setR0(m, xdp ? XDP_REDIRECT : TC_ACT_REDIRECT)
  return HelperStatus.ok
}

function redirectMap(m: Machine): number {
  const mi = mapArg(m, 1)
  if (mi < 0) return fault(m, 'redirect_map: r1 is not a map pointer')
  const map = m.maps[mi]!
  const t = map.def.type
  if (
    t !== MapType.DEVMAP &&
    t !== MapType.DEVMAP_HASH &&
    t !== MapType.CPUMAP &&
    t !== MapType.XSKMAP
  )
    return fault(m, `redirect_map: not allowed on map type ${t}`)
  const R = m.regs
  const flo = R[6]!
  const fhi = R[7]!
  if ((flo & ~(3 | 8 | 16)) !== 0 || fhi !== 0) {
    setR0(m, XDP_ABORTED)
    return HelperStatus.ok
  }
  const key = R[4]! >>> 0
  let slot = -1
  if (map.shape === MapShape.array) slot = key < map.capacity && map.used[key] === 1 ? key : -1
  else {
    const h = m.heap
    // The key of a devmap_hash is a u32: look it up through a scratch copy on the stack top.
    const scratch = m.regionBase[Region.stack]!
    const saved = h.slice(scratch, scratch + 4)
    m.view.setUint32(scratch, key, true)
    slot = map.find(scratch)
    h.set(saved, scratch)
  }
  if (slot < 0) {
    setR0(m, flo & 3)
    return HelperStatus.ok
  }
  if (!m.effects.push(EffectKind.redirectMap, mi, key, flo, fhi, m.heap, 0, 0))
    return fault(m, 'output log full')
  setR0(m, XDP_REDIRECT)
  return HelperStatus.ok
}

/** perf_event_output(ctx, map, flags, data, size) or ringbuf_output(map, data, size, flags). */
function output(m: Machine, kind: number): number {
  const R = m.regs
  const perf = kind === EffectKind.perf
  const mi = mapArg(m, perf ? 2 : 1)
  const want = perf ? MapType.PERF_EVENT_ARRAY : MapType.RINGBUF
  const name = perf ? 'perf_event_output' : 'ringbuf_output'
  if (mi < 0 || m.maps[mi]!.def.type !== want) return fault(m, `${name}: wrong map argument`)
  const flo = perf ? R[6]! : R[8]!
  const fhi = perf ? R[7]! : R[9]!
  const sizeReg = perf ? 5 : 3
  const size = R[sizeReg * 2]!
  if (R[sizeReg * 2 + 1] !== 0 || size < 0) return fault(m, `${name}: invalid size`)
  const data = size === 0 ? 0 : ptrArg(m, perf ? 4 : 2, size)
  if (data < 0) return fault(m, `${name}: invalid data pointer`)
  let sample = 0
  if (perf) {
    // BPF_F_CURRENT_CPU picks the slot of the CPU the run is on; an empty slot (no perf event
    // installed there) gives -ENOENT.
    const map = m.maps[mi]!
    const index = flo >>> 0 === 0xffffffff ? m.cpu : flo >>> 0
    // BPF_F_CTXLEN_MASK asks for a packet sample after the record (see perf-sample.ts).
    sample = sampleLength(m, fhi)
    if (sample === SAMPLE_UNMODELLED)
      return fault(m, 'perf_event_output: BPF_F_CTXLEN_MASK for this program type is not modelled')
    if (sample < 0) return (setR0(m, sample), HelperStatus.ok)
    if (index >= map.maxEntries) return (setR0(m, -Errno.E2BIG), HelperStatus.ok)
    if (index >= map.capacity || map.used[index] !== 1)
      return (setR0(m, -Errno.ENOENT), HelperStatus.ok)
    // The buffer may refuse the record (full, another CPU's event, ...), as the input says.
    const answer = m.perfResults[m.perfIdx++] ?? 0
    if (answer < 0 && PERF_OUTPUT_ERRORS.includes(-answer))
      return (setR0(m, answer), HelperStatus.ok)
  } else {
    if ((flo & ~3) !== 0 || fhi !== 0) return (setR0(m, -Errno.EINVAL), HelperStatus.ok)
    if (!ringbufTake(m, mi, size)) return (setR0(m, -Errno.EAGAIN), HelperStatus.ok)
  }
  if (!m.effects.push(kind, mi, 0, flo, fhi, m.heap, data, size) || !appendSample(m, sample))
    return fault(m, 'output log full')
  setR0(m, 0)
  return HelperStatus.ok
}

/** Takes space for a record of `size` bytes (plus an 8-byte header, 8-aligned) in ring buffer `mi`. */
function ringbufTake(m: Machine, mi: number, size: number): boolean {
  const len = (size + 8 + 7) & ~7
  const used = m.ringUsed[mi]!
  if (used + len > m.maps[mi]!.maxEntries) return false
  m.ringUsed[mi] = used + len
  return true
}

/** bpf_ringbuf_reserve(ringbuf, size, flags): a pointer to a fresh record, or NULL. */
function ringbufReserve(m: Machine): number {
  const R = m.regs
  const mi = mapArg(m, 1)
  if (mi < 0 || m.maps[mi]!.def.type !== MapType.RINGBUF)
    return fault(m, 'ringbuf_reserve: wrong map argument')
  const size = R[4]!
  const region = m.reserveRegion
  const at = m.regionHigh[region]!
  const n = m.reservationCount
  const ok =
    R[5] === 0 &&
    size >= 0 &&
    R[6] === 0 &&
    R[7] === 0 &&
    n * 4 < m.reservations.length &&
    at + size <= reserveCapacity(m) &&
    ringbufTake(m, mi, size)
  if (!ok) {
    setR0(m, 0)
    return HelperStatus.ok
  }
  const rv = m.reservations
  rv[n * 4] = at
  rv[n * 4 + 1] = size
  rv[n * 4 + 2] = mi
  rv[n * 4 + 3] = 1
  m.reservationCount = n + 1
  const next = (at + size + 7) & ~7
  m.heap.fill(0, m.regionBase[region]! + at, m.regionBase[region]! + next)
  m.regionHigh[region] = next
  R[0] = (LO_BASE + at) | 0
  R[1] = REGION_HI_BASE + region
  return HelperStatus.ok
}

function reserveCapacity(m: Machine): number {
  const r = m.reserveRegion
  const next = r + 1 < m.nRegions ? m.regionBase[r + 1]! : m.heap.length
  return next - m.regionBase[r]!
}

/** bpf_ringbuf_submit / bpf_ringbuf_discard(data, flags): publishes (or drops) a reserved record. */
function ringbufCommit(m: Machine, submit: boolean): number {
  const R = m.regs
  const name = submit ? 'ringbuf_submit' : 'ringbuf_discard'
  if (R[3] !== REGION_HI_BASE + m.reserveRegion) return fault(m, `${name}: not a reserved record`)
  const at = (R[2]! - LO_BASE) | 0
  const rv = m.reservations
  for (let k = 0; k < m.reservationCount; k++) {
    if (rv[k * 4] !== at || rv[k * 4 + 3] !== 1) continue
    rv[k * 4 + 3] = 0
    if (!submit) return HelperStatus.ok
    const base = m.regionBase[m.reserveRegion]! + at
    const ok = m.effects.push(
      EffectKind.ringbuf,
      rv[k * 4 + 2]!,
      0,
      R[4]!,
      R[5]!,
      m.heap,
      base,
      rv[k * 4 + 1]!
    )
    return ok ? HelperStatus.ok : fault(m, 'output log full')
  }
  return fault(m, `${name}: not a live reserved record`)
}
