/**
 * @fileoverview A JSON form of interpreter inputs (bytes as hex) for witnesses stored in the
 * corpus manifests, and a one-line description of an input and a result for reports.
 */
import type { CtxFields, RunInput, RunResult } from '../../src-daemon/core/interp/types'

/** An input as stored in JSON: bytes as lowercase hex, r1 as a decimal string. */
export interface InputJson {
  packet?: string
  ctx?: string | Record<string, number>
  mem?: string
  r1?: string
  maps?: { key: string; value: string }[][]
  randoms?: number[]
  times?: number[]
  calls?: { r0: string; data?: string; keep?: number[]; evict?: string[] }[]
  stackSeed?: number
}

/** Bytes as lowercase hex. */
export function hex(b: Uint8Array): string {
  let s = ''
  for (const x of b) s += x.toString(16).padStart(2, '0')
  return s
}

/** Hex to bytes (throws on malformed fixture text). */
export function unhex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || /[^0-9a-f]/i.test(s)) throw new Error(`bad hex '${s.slice(0, 20)}'`)
  const out = new Uint8Array(s.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** Converts an input to its JSON form. */
export function inputToJson(input: RunInput): InputJson {
  const out: InputJson = {}
  if (input.packet) out.packet = hex(input.packet)
  if (input.ctx) out.ctx = input.ctx instanceof Uint8Array ? hex(input.ctx) : { ...input.ctx }
  if (input.mem) out.mem = hex(input.mem)
  if (input.r1 !== undefined) out.r1 = input.r1.toString()
  if (input.maps)
    out.maps = input.maps.map((m) =>
      (m ?? []).map((e) => ({ key: hex(e.key), value: hex(e.value) }))
    )
  if (input.randoms) out.randoms = [...input.randoms]
  if (input.times) out.times = [...input.times]
  if (input.calls)
    out.calls = input.calls.map((c) => ({
      r0: c.r0.toString(),
      ...(c.data ? { data: hex(c.data) } : {}),
      ...(c.keep ? { keep: [...c.keep] } : {}),
      ...(c.evict ? { evict: c.evict.map(hex) } : {})
    }))
  if (input.stackSeed !== undefined) out.stackSeed = input.stackSeed
  return out
}

/** Converts a JSON form back to an input. */
export function inputFromJson(j: InputJson): RunInput {
  const ctx: Uint8Array | CtxFields | undefined = typeof j.ctx === 'string' ? unhex(j.ctx) : j.ctx
  return {
    ...(j.packet !== undefined ? { packet: unhex(j.packet) } : {}),
    ...(ctx !== undefined ? { ctx } : {}),
    ...(j.mem !== undefined ? { mem: unhex(j.mem) } : {}),
    ...(j.r1 !== undefined ? { r1: BigInt(j.r1) } : {}),
    ...(j.maps !== undefined
      ? { maps: j.maps.map((m) => m.map((e) => ({ key: unhex(e.key), value: unhex(e.value) }))) }
      : {}),
    ...(j.randoms !== undefined ? { randoms: j.randoms } : {}),
    ...(j.times !== undefined ? { times: j.times } : {}),
    ...(j.calls !== undefined
      ? {
          calls: j.calls.map((c) => ({
            r0: BigInt(c.r0),
            ...(c.data !== undefined ? { data: unhex(c.data) } : {}),
            ...(c.keep !== undefined ? { keep: c.keep } : {}),
            ...(c.evict !== undefined ? { evict: c.evict.map(unhex) } : {})
          }))
        }
      : {}),
    ...(j.stackSeed !== undefined ? { stackSeed: j.stackSeed } : {})
  }
}

/** One-line description of an input (packet / ctx hex and non-empty maps). */
export function describeInput(input: RunInput): string {
  const parts: string[] = []
  if (input.packet) parts.push(`packet[${input.packet.length}]=${hex(input.packet)}`)
  if (input.ctx)
    parts.push(
      input.ctx instanceof Uint8Array
        ? `ctx[${input.ctx.length}]=${hex(input.ctx)}`
        : `ctx=${JSON.stringify(input.ctx)}`
    )
  if (input.r1 !== undefined) parts.push(`r1=${input.r1}`)
  input.maps?.forEach((m, i) => {
    if (m && m.length > 0)
      parts.push(`map${i}={${m.map((e) => `${hex(e.key)}:${hex(e.value)}`).join(',')}}`)
  })
  return parts.join(' ')
}

/** One-line description of a result: r0 (or fault) and what else it changed. */
export function describeResult(r: RunResult): string {
  if (r.kind === 'fault') return `fault at ${r.pc}: ${r.reason}`
  const maps = r.maps
    .map(
      (m, i) =>
        `map${i}{${m.entries
          .filter((e) => (m.type !== 2 && m.type !== 6) || e.value.some((b) => b !== 0))
          .map((e) => `${hex(e.key)}:${hex(e.value)}`)
          .join(',')}}`
    )
    .join(' ')
  return `r0=${r.r0}${r.via === 'tail_call' ? ' (tail call)' : ''} ctx=${hex(r.ctx)} packet=${hex(r.packet)} ${maps}`
}
