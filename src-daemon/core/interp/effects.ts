/** @fileoverview The ordered log of observable effects (outputs, redirects, tail calls) kept in typed arrays. */
import * as $int64 from './int64'
import type { Effect } from './types'

// Imports copied into module constants once: under tsx/vite-node each access to an
// imported binding is a getter call, too costly on the interpreter hot path.
const { pairToBigInt } = $int64

/** Effect kinds as stored in the log. */
export const EffectKind = {
  perf: 1,
  ringbuf: 2,
  trace: 3,
  redirect: 4,
  redirectMap: 5,
  tailCall: 6,
  helperCall: 7
} as const

/** Ints per log entry: kind, a, b, flagsLo, flagsHi, dataStart, dataLen, argsStart. */
export const ENTRY_INTS = 8

/** A bounded, resettable log: entries in an Int32Array, payload bytes in an arena. */
export class EffectLog {
  readonly entries: Int32Array
  readonly arena: Uint8Array
  /** 64-bit arguments of trace_printk and helper call entries (lo, hi pairs). */
  readonly args: Int32Array
  count = 0
  arenaUsed = 0
  argsUsed = 0

  constructor(maxEntries = 256, arenaBytes = 65536) {
    this.entries = new Int32Array(maxEntries * ENTRY_INTS)
    this.arena = new Uint8Array(arenaBytes)
    this.args = new Int32Array(maxEntries * 10)
  }

  /** Empties the log. */
  reset(): void {
    this.count = 0
    this.arenaUsed = 0
    this.argsUsed = 0
  }

  /**
   * Appends an entry with `len` payload bytes copied from `src[at]`; returns false when full.
   */
  push(
    kind: number,
    a: number,
    b: number,
    flo: number,
    fhi: number,
    src: Uint8Array,
    at: number,
    len: number
  ): boolean {
    if (this.count * ENTRY_INTS >= this.entries.length || this.arenaUsed + len > this.arena.length)
      return false
    const e = this.count * ENTRY_INTS
    const E = this.entries
    E[e] = kind
    E[e + 1] = a
    E[e + 2] = b
    E[e + 3] = flo
    E[e + 4] = fhi
    E[e + 5] = this.arenaUsed
    E[e + 6] = len
    E[e + 7] = this.argsUsed
    if (len > 0) this.arena.set(src.subarray(at, at + len), this.arenaUsed)
    this.arenaUsed += len
    this.count++
    return true
  }

  /** Appends `len` more payload bytes from `src[at]` to the last entry; false when full. */
  extend(src: Uint8Array, at: number, len: number): boolean {
    if (this.count === 0 || this.arenaUsed + len > this.arena.length) return false
    if (len > 0) this.arena.set(src.subarray(at, at + len), this.arenaUsed)
    this.arenaUsed += len
    const e = (this.count - 1) * ENTRY_INTS + 6
    this.entries[e] = this.entries[e]! + len
    return true
  }

  /** Adds a 64-bit argument to the last entry (trace_printk, helper call). */
  pushArg(lo: number, hi: number): boolean {
    if (this.argsUsed + 2 > this.args.length) return false
    this.args[this.argsUsed++] = lo
    this.args[this.argsUsed++] = hi
    return true
  }

  /** Copies the log into `dst` (for outcome capture). */
  copyTo(dst: EffectLog): void {
    dst.entries.set(this.entries.subarray(0, this.count * ENTRY_INTS))
    dst.arena.set(this.arena.subarray(0, this.arenaUsed))
    dst.args.set(this.args.subarray(0, this.argsUsed))
    dst.count = this.count
    dst.arenaUsed = this.arenaUsed
    dst.argsUsed = this.argsUsed
  }

  /** Number of differing entries between two logs (0 = identical). */
  distance(other: EffectLog): number {
    let d = Math.abs(this.count - other.count)
    const n = Math.min(this.count, other.count)
    for (let k = 0; k < n; k++) {
      const e = k * ENTRY_INTS
      let same = true
      for (let i = 0; i < 5; i++) if (this.entries[e + i] !== other.entries[e + i]) same = false
      const la = this.entries[e + 6]!
      if (same && la === other.entries[e + 6]) {
        const sa = this.entries[e + 5]!
        const sb = other.entries[e + 5]!
        for (let i = 0; i < la; i++) if (this.arena[sa + i] !== other.arena[sb + i]) same = false
        const aa = this.entries[e + 7]!
        const ab = other.entries[e + 7]!
        const na = (k + 1 < this.count ? this.entries[e + ENTRY_INTS + 7]! : this.argsUsed) - aa
        for (let i = 0; i < na; i++) if (this.args[aa + i] !== other.args[ab + i]) same = false
      } else same = false
      if (!same) d++
    }
    return d
  }

  /** The log as values (slow path). */
  toEffects(): Effect[] {
    const out: Effect[] = []
    for (let k = 0; k < this.count; k++) {
      const e = k * ENTRY_INTS
      const E = this.entries
      const kind = E[e]!
      const a = E[e + 1]!
      const b = E[e + 2]!
      const flags = pairToBigInt(E[e + 3]!, E[e + 4]!)
      const data = this.arena.slice(E[e + 5]!, E[e + 5]! + E[e + 6]!)
      if (kind === EffectKind.perf) out.push({ kind: 'perf_output', map: a, flags, data })
      else if (kind === EffectKind.ringbuf)
        out.push({ kind: 'ringbuf_output', map: a, flags, data })
      else if (kind === EffectKind.redirect) out.push({ kind: 'redirect', ifindex: a >>> 0, flags })
      else if (kind === EffectKind.redirectMap)
        out.push({ kind: 'redirect_map', map: a, key: b >>> 0, flags })
      else if (kind === EffectKind.tailCall) out.push({ kind: 'tail_call', map: a, index: b >>> 0 })
      else {
        const start = E[e + 7]!
        const end = k + 1 < this.count ? E[e + ENTRY_INTS + 7]! : this.argsUsed
        const args: bigint[] = []
        for (let i = start; i < end; i += 2)
          args.push(pairToBigInt(this.args[i]!, this.args[i + 1]!))
        if (kind === EffectKind.helperCall) out.push({ kind: 'helper_call', id: a, args, data })
        else out.push({ kind: 'trace_printk', format: data, args })
      }
    }
    return out
  }
}
