/** @fileoverview Human-readable and JSON forms of interpreter inputs and results. */
import type { RunInput, RunResult } from '../core/interp/types'

/** Hex of a byte array. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** Hex of a byte array for people: long runs of leading or trailing zeros are counted, not printed. */
export function hexBrief(bytes: Uint8Array): string {
  let start = 0
  while (start < bytes.length && bytes[start] === 0) start++
  if (start === bytes.length)
    return bytes.length <= 16 ? hex(bytes) : `(${bytes.length} zero bytes)`
  let end = bytes.length
  while (bytes[end - 1] === 0) end--
  const lead = start > 16 ? `(${start} zero bytes) …` : ''
  const trail = bytes.length - end > 16 ? `… (then ${bytes.length - end} zero bytes)` : ''
  return `${lead}${hex(bytes.subarray(lead ? start : 0, trail ? end : bytes.length))}${trail}`
}

/** JSON replacer turning bigints into decimal strings and byte arrays into hex. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Uint8Array) return hex(value)
  return value
}

/** Multi-line description of a run input. */
export function describeInput(input: RunInput): string {
  const lines: string[] = []
  if (input.packet !== undefined)
    lines.push(`  packet (${input.packet.length} bytes): ${hexBrief(input.packet)}`)
  if (input.headroom !== undefined && input.headroom.some((b) => b !== 0))
    lines.push(
      `  headroom (last ${input.headroom.length} bytes before the packet): ${hexBrief(input.headroom)}`
    )
  if (input.ctx instanceof Uint8Array)
    lines.push(`  context (${input.ctx.length} bytes): ${hexBrief(input.ctx)}`)
  if (input.mem !== undefined)
    lines.push(`  memory (${input.mem.length} bytes): ${hexBrief(input.mem)}`)
  if (input.r1 !== undefined) lines.push(`  r1: ${input.r1}`)
  input.maps?.forEach((entries, i) => {
    if (entries === undefined || entries.length === 0) return
    const shown = entries.slice(0, 8).map((e) => `${hex(e.key)}=${hex(e.value)}`)
    const more = entries.length > 8 ? ` (+${entries.length - 8} more)` : ''
    lines.push(`  map ${i}: ${shown.join(' ')}${more}`)
  })
  if (input.xdpNoMeta === true) lines.push('  driver without XDP metadata support')
  if (input.cpu !== undefined && input.cpu !== 0) lines.push(`  cpu: ${input.cpu}`)
  if (input.pidTgid !== undefined) lines.push(`  pid_tgid: 0x${input.pidTgid.toString(16)}`)
  if (input.uidGid !== undefined) lines.push(`  uid_gid: 0x${input.uidGid.toString(16)}`)
  if (input.ringUsed !== undefined)
    lines.push(`  ring buffer bytes in use at start: ${input.ringUsed.join(' ')}`)
  if (input.randoms !== undefined && input.randoms.length > 0)
    lines.push(`  get_prandom_u32: ${input.randoms.join(' ')}`)
  if (input.times !== undefined && input.times.length > 0)
    lines.push(`  ktime_get_ns: ${input.times.join(' ')}`)
  input.calls?.forEach((c, i) => {
    const data = c.data !== undefined && c.data.length > 0 ? `, writes ${hexBrief(c.data)}` : ''
    const keep =
      c.keep !== undefined && c.keep.length > 0 ? `, keeps bytes ${c.keep.join(' ')}` : ''
    const evict =
      c.evict !== undefined && c.evict.length > 0 ? `, evicts ${c.evict.map(hex).join(' ')}` : ''
    const packet =
      c.packet !== undefined
        ? `, packet after it (${c.packet.length} bytes) ${hexBrief(c.packet)}`
        : ''
    const fields =
      c.fields !== undefined
        ? `, protocol/hash/gso_segs/gso_size ${c.fields.map((f) => `0x${(f >>> 0).toString(16)}`).join(' ')}`
        : ''
    lines.push(
      `  helper call ${i + 1} answers r0 = ${BigInt.asIntN(64, c.r0)}${data}${keep}${evict}${packet}${fields}`
    )
  })
  return lines.join('\n')
}

/** Multi-line description of a run result. */
export function describeResult(r: RunResult): string {
  if (r.kind === 'fault') return `  fault at insn ${r.pc}: ${r.reason}`
  const lines = [
    `  ${r.via === 'tail_call' ? 'tail call' : 'exit'}, r0 = ${r.r0} (0x${r.r0.toString(16)})`
  ]
  if (r.dataOffset !== 0) lines.push(`  packet start moved by ${r.dataOffset} bytes`)
  if (r.meta.length > 0) lines.push(`  metadata: ${hex(r.meta)}`)
  if (r.packet.length > 0) lines.push(`  packet: ${hexBrief(r.packet)}`)
  if (r.ctx.length > 0) lines.push(`  context: ${hexBrief(r.ctx)}`)
  for (const [i, m] of r.maps.entries()) {
    const nonZero = m.entries.filter((e) => e.value.some((b) => b !== 0))
    if (nonZero.length === 0) continue
    const shown = nonZero.slice(0, 8).map((e) => `${hex(e.key)}=${hex(e.value)}`)
    const zeros = m.entries.length - nonZero.length
    lines.push(
      `  map ${i} (${m.name}): ${shown.join(' ')}${nonZero.length > 8 ? ' ...' : ''}${zeros > 0 ? ` (${zeros} all-zero entries not shown)` : ''}`
    )
  }
  for (const e of r.outputs) lines.push(`  effect: ${JSON.stringify(e, jsonReplacer)}`)
  if (r.ringUsed.some((u) => u !== 0))
    lines.push(`  ring buffer bytes in use: ${r.ringUsed.join(' ')}`)
  return lines.join('\n')
}

/** Which observable parts of two exits differ (r0, packet, context, map N, effects). */
export function differingParts(a: RunResult, b: RunResult): string[] {
  if (a.kind === 'fault' || b.kind === 'fault') return a.kind === b.kind ? [] : ['fault']
  const out: string[] = []
  if (a.via !== b.via) out.push('exit kind')
  if (a.r0 !== b.r0) out.push('r0')
  if (a.dataOffset !== b.dataOffset) out.push('packet start')
  if (hex(a.meta) !== hex(b.meta)) out.push('metadata')
  if (hex(a.packet) !== hex(b.packet)) out.push('packet')
  if (hex(a.ctx) !== hex(b.ctx)) out.push('context')
  a.maps.forEach((m, i) => {
    const other = b.maps[i]
    if (
      other === undefined ||
      JSON.stringify(m.entries, jsonReplacer) !== JSON.stringify(other.entries, jsonReplacer)
    )
      out.push(`map ${i} (${m.name})`)
  })
  if (JSON.stringify(a.outputs, jsonReplacer) !== JSON.stringify(b.outputs, jsonReplacer))
    out.push('effects')
  if (a.ringUsed.join() !== b.ringUsed.join()) out.push('ring buffer space')
  return out
}
