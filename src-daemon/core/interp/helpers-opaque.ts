/**
 * @fileoverview Helpers outside the model (helper-protos.ts) in the interpreter: the call is
 * recorded in the effect log (helper, argument values, bytes read), and its result and written
 * bytes are the run input's next answer. A read of the program's own memory through a `src`
 * argument (probe_read of the stack, the context, a map value) is an exact copy instead.
 */
import * as $effects from './effects'
import * as $helper_util from './helper-util'
import * as $layout from './layout'
import * as $machine from './machine'
import type { Machine } from './machine'
import type { OpaqueArg, OpaqueHelper } from './helper-protos'
import { answerResult, defaultResult, OPAQUE_MAX_BYTES } from './helper-protos'

// Imports copied into module constants once (imports are getter calls under tsx/vite-node).
const { EffectKind } = $effects
const { HelperStatus, fault, ptrArg } = $helper_util
const { MAP_HANDLE_HI, REGION_HI_BASE } = $layout
const { RegionFlag } = $machine

const EMPTY = new Uint8Array(0)

/** The byte count in register `r` (a small non-negative value), or -1. */
function sizeIn(m: Machine, r: number): number {
  const lo = m.regs[r * 2]!
  return m.regs[r * 2 + 1] === 0 && lo >= 0 && lo <= OPAQUE_MAX_BYTES ? lo : -1
}

/** Heap index of `size` bytes at the pointer in register `r` (writable when `write`), or -1. */
function bufferIn(m: Machine, r: number, size: number, write: boolean): number {
  if (size === 0) return 0
  const at = ptrArg(m, r, size)
  if (at < 0) return -1
  if (!write) return at
  if ((m.regionFlags[m.lastRegion]! & RegionFlag.writable) === 0) return -1
  m.noteWrite(m.lastRegion)
  return at
}

/** Index of the `out` or `inout` argument, or -1. */
function outIndex(h: OpaqueHelper): number {
  return h.args.findIndex((a) => a.kind === 'out' || a.kind === 'inout')
}

/** Sets r0 to the 64-bit `v`. */
function setR0Big(m: Machine, v: bigint): void {
  const u = BigInt.asUintN(64, v)
  m.regs[0] = Number(u & 0xffffffffn) | 0
  m.regs[1] = Number(u >> 32n) | 0
}

/**
 * A string copy of the program's own bytes at `from` into `to` (at most `size` bytes, the last
 * one NUL): what probe_read_str does on readable memory. Returns the length with the NUL.
 */
function copyString(m: Machine, to: number, from: number, size: number): number {
  const h = m.heap
  let n = size
  for (let i = 0; i < size - 1; i++) {
    if (h[from + i] === 0) {
      n = i + 1
      break
    }
  }
  h.copyWithin(to, from, from + n - 1)
  h[to + n - 1] = 0
  return n
}

/** Calls helper `h` (an entry of the opaque table); returns a HelperStatus. */
export function opaqueHelper(m: Machine, h: OpaqueHelper): number {
  const R = m.regs
  const oi = outIndex(h)
  const outArg = oi < 0 ? undefined : (h.args[oi] as OpaqueArg & { size: number })
  const outSize = outArg === undefined ? 0 : sizeIn(m, outArg.size)
  if (outSize < 0) return fault(m, `${h.name}: invalid size`)
  const out = oi < 0 ? -1 : bufferIn(m, oi + 1, outSize, true)
  if (oi >= 0 && out < 0) return fault(m, `${h.name}: invalid output buffer`)
  // Validate every argument first: a call that faults records nothing.
  let own = -1
  for (let i = 0; i < h.args.length; i++) {
    const a = h.args[i] as OpaqueArg
    const r = i + 1
    if (a.kind === 'map') {
      const mi = R[r * 2]!
      if (R[r * 2 + 1] !== MAP_HANDLE_HI || mi < 0 || mi >= m.maps.length)
        return fault(m, `${h.name}: r${r} is not a map pointer`)
      if (!a.types.includes(m.maps[mi]!.def.type))
        return fault(m, `${h.name}: not allowed on map type ${m.maps[mi]!.def.type}`)
    } else if (a.kind === 'size' && sizeIn(m, r) < 0) return fault(m, `${h.name}: invalid size`)
    else if (a.kind === 'in') {
      const n = sizeIn(m, a.size)
      if (n < 0 || bufferIn(m, r, n, false) < 0) return fault(m, `${h.name}: invalid buffer`)
    } else if (a.kind === 'src' && (R[r * 2 + 1]! - REGION_HI_BASE) >>> 0 < m.nRegions) own = r
  }
  if (own >= 0) return copyOwn(m, h, own, out, outSize)
  return recordCall(m, h, out, oi < 0 ? undefined : outArg?.kind, outSize)
}

/** probe_read of the program's own memory: an exact copy, r0 = 0 (the string length for _str). */
function copyOwn(m: Machine, h: OpaqueHelper, r: number, out: number, size: number): number {
  const from = size === 0 ? 0 : ptrArg(m, r, size)
  if (from < 0) return fault(m, `${h.name}: reads past the program's own memory`)
  if (h.write === 'str') {
    setR0Big(m, size === 0 ? 0n : BigInt(copyString(m, out, from, size)))
    return HelperStatus.ok
  }
  m.heap.copyWithin(out, from, from + size)
  setR0Big(m, 0n)
  return HelperStatus.ok
}

/** Records the call in the effect log and applies the run input's next answer. */
function recordCall(
  m: Machine,
  h: OpaqueHelper,
  out: number,
  outKind: OpaqueArg['kind'] | undefined,
  outSize: number
): number {
  const R = m.regs
  const log = m.effects
  if (!log.push(EffectKind.helperCall, h.id, 0, 0, 0, EMPTY, 0, 0))
    return fault(m, 'output log full')
  for (let i = 0; i < h.args.length; i++) {
    const a = h.args[i] as OpaqueArg
    const r = i + 1
    let ok = true
    if (a.kind === 'value' || a.kind === 'size' || a.kind === 'src')
      ok = log.pushArg(R[r * 2]!, R[r * 2 + 1]!)
    else if (a.kind === 'map') ok = log.pushArg(R[r * 2]!, 0)
    else if (a.kind === 'in' || a.kind === 'inout') {
      const n = sizeIn(m, a.size)
      ok = log.extend(m.heap, bufferIn(m, r, n, false), n)
    }
    if (!ok) return fault(m, 'output log full')
  }
  const answer = m.calls[m.callIdx++]
  const data = answer?.data ?? EMPTY
  const str = h.write === 'str'
  const r0 = answer === undefined ? defaultResult(h, outSize) : answerResult(h, answer.r0, outSize)
  setR0Big(m, r0)
  if (outKind === undefined) return HelperStatus.ok
  const heap = m.heap
  if (outKind === 'inout') {
    const keep = answer?.keep
    for (let i = 0; i < outSize; i++)
      if (keep === undefined || !keep.includes(i)) heap[out + i] = data[i] ?? 0
    return HelperStatus.ok
  }
  const signed = BigInt.asIntN(64, r0)
  if (str ? signed <= 0n : signed < 0n) {
    heap.fill(0, out, out + outSize)
    return HelperStatus.ok
  }
  const n = str ? Math.min(Number(signed), outSize) : outSize
  for (let i = 0; i < n; i++) heap[out + i] = data[i] ?? 0
  if (str && n > 0) heap[out + n - 1] = 0
  return HelperStatus.ok
}
