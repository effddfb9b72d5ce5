/**
 * @fileoverview A run input with what the machine's setup derives from it computed once: map
 * images, the task's and the given registers' 32-bit halves, and named context fields as offsets.
 * The search runs every candidate on the same inputs, so this keeps BigInt arithmetic, object
 * iteration and entry-by-entry map loading out of its hot path.
 */
import { KernelMemory } from './kernel-memory'
import type { MapImage, MapStore } from './map-store'
import { SK_BUFF, XDP_MD } from './layout'
import type { CtxKind, HelperResponse, MapEntryInput, RunInput } from './types'

const NO_VALUES: readonly number[] = Object.freeze([])
const NO_CALLS: readonly HelperResponse[] = Object.freeze([])
const EMPTY_BYTES = new Uint8Array(0)

/**
 * What setup needs from a run input, precomputed for one machine. Every field is present, so
 * setup's reads stay monomorphic whatever optional fields the inputs had.
 */
export interface PreparedRun {
  readonly input: RunInput
  readonly packet: Uint8Array
  readonly headroom: Uint8Array | undefined
  /** The context's bytes when the input gives bytes (not named fields). */
  readonly ctxBytes: Uint8Array | undefined
  readonly mem: Uint8Array | undefined
  readonly ringUsed: readonly number[] | undefined
  readonly randoms: readonly number[]
  readonly times: readonly number[]
  readonly perfResults: readonly number[]
  readonly calls: readonly HelperResponse[]
  readonly cpu: number
  readonly xdpNoMeta: boolean
  readonly stackSeed: number
  readonly stack: Uint8Array | undefined
  /** pid_tgid and uid_gid as [low, high] int32 halves. */
  readonly task: Int32Array
  /** Registers r0..r9 the input gives, as [low, high] halves; bit i of `regMask` says ri is given. */
  readonly regs: Int32Array
  readonly regMask: number
  /** A scalar context's r1 as [low, high]. */
  readonly r1: Int32Array
  /** Per map: its image after the input's entries were loaded, or undefined. */
  readonly images: readonly (MapImage | undefined)[]
  /** Per map: entries to load one by one where no image could be taken. */
  readonly entries: readonly (readonly MapEntryInput[] | undefined)[]
  /** Named context fields as (offset, value) pairs. */
  readonly ctxFields: Int32Array
  /** Kernel memory that loads outside the machine's regions read (BTF-typed programs). */
  readonly kernelMemory: KernelMemory | undefined
}

function halves(v: bigint, out: Int32Array, at: number): void {
  const u = BigInt.asUintN(64, v)
  out[at] = Number(u & 0xffffffffn) | 0
  out[at + 1] = Number(u >> 32n) | 0
}

/** Named context fields of `input` at their offsets in the context of `kind`. */
function ctxFieldsOf(input: RunInput, kind: CtxKind): Int32Array {
  const fields = input.ctx
  if (fields === undefined || fields instanceof Uint8Array) return new Int32Array(0)
  if (kind !== 'xdp' && kind !== 'skb' && kind !== 'socket') return new Int32Array(0)
  const layout: Readonly<Record<string, number>> = kind === 'xdp' ? XDP_MD : SK_BUFF
  const pairs: number[] = []
  for (const [name, value] of Object.entries(fields)) {
    const at = layout[name]
    if (at !== undefined) pairs.push(at, value | 0)
  }
  return Int32Array.from(pairs)
}

/**
 * Prepares `input` for a machine whose maps are `maps` and whose context is `kind`. Loads each
 * map to take its image, leaving the maps reset.
 */
export function prepareRun(maps: readonly MapStore[], kind: CtxKind, input: RunInput): PreparedRun {
  const task = new Int32Array(4)
  halves(input.pidTgid ?? 0n, task, 0)
  halves(input.uidGid ?? 0n, task, 2)
  const regs = new Int32Array(20)
  let regMask = 0
  const given = input.regs
  if (given !== undefined) {
    for (let i = 0; i < given.length && i < 10; i++) {
      const v = given[i]
      if (v === undefined) continue
      halves(v, regs, i * 2)
      regMask |= 1 << i
    }
  }
  const r1 = new Int32Array(2)
  halves(input.r1 ?? 0n, r1, 0)
  const images: (MapImage | undefined)[] = []
  const entries: (readonly MapEntryInput[] | undefined)[] = []
  const initial = input.maps
  for (let i = 0; i < maps.length; i++) {
    const list = initial !== undefined && i < initial.length ? initial[i] : undefined
    let image: MapImage | undefined
    if (list !== undefined && list.length > 0) {
      const map = maps[i]!
      map.reset()
      for (const e of list) map.load(e.key, e.value)
      image = map.captureImage()
      map.reset()
    }
    images.push(image)
    entries.push(image === undefined ? list : undefined)
  }
  return {
    input,
    packet: input.packet ?? EMPTY_BYTES,
    headroom: input.headroom,
    ctxBytes: input.ctx instanceof Uint8Array ? input.ctx : undefined,
    mem: input.mem,
    ringUsed: input.ringUsed,
    randoms: input.randoms ?? NO_VALUES,
    times: input.times ?? NO_VALUES,
    perfResults: input.perfResults ?? NO_VALUES,
    calls: input.calls ?? NO_CALLS,
    cpu: input.cpu ?? 0,
    xdpNoMeta: input.xdpNoMeta === true && kind === 'xdp',
    stackSeed: input.stackSeed ?? 0,
    stack: input.stack,
    task,
    regs,
    regMask,
    r1,
    images,
    entries,
    ctxFields: ctxFieldsOf(input, kind),
    kernelMemory:
      input.kernelMemory !== undefined ? new KernelMemory(input.kernelMemory) : undefined
  }
}
