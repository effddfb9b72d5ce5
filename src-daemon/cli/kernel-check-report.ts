/** @fileoverview Text of `summit kernel-check` reports: one program, or a program against its original. */
import type { CompareReport, LoadReport, SlotsOrReason } from '../engine/kernel/kernel-compare'
import type { VerifierVerdict } from '../engine/kernel/kernel-subject'
import type { LatencyComparison } from '../engine/kernel/latency'
import { hex } from './format-result'

/** What `kernel-check FILE` found for one program. */
export interface KernelCheckReport extends VerifierVerdict {
  readonly file: string
  readonly section: string
  readonly retval?: number
  readonly packetOut?: Uint8Array
  /** Average ns per run over `repeat` runs (packet types only). */
  readonly durationNs?: number
  readonly repeat?: number
  /** Why the program was not run or timed. */
  readonly note?: string
  /** The kernel that answered, when it was a virtual machine's (`6.1.0-57-cloud-amd64 (VM)`). */
  readonly kernel?: string
}

/** The last `lines` lines of a verifier log. */
export function logTail(log: string, lines: number): string {
  return log.trimEnd().split('\n').slice(-lines).join('\n')
}

function loaderText(loader: 'libbpf' | 'summit'): string {
  return loader === 'libbpf' ? 'loaded as libbpf loads objects' : "loaded by Summit's loader"
}

/** Text of a single-program check. */
export function formatSingle(r: KernelCheckReport): string {
  const out = [`${r.file} ${r.section}: `]
  const by = r.kernel !== undefined ? `the verifier of Linux ${r.kernel}` : 'the kernel verifier'
  if (!r.accepted) {
    out[0] += `rejected by ${by} (as ${r.progType})`
    out.push('verifier log (last lines):', logTail(r.log ?? '', 20))
    return out.join('\n') + '\n'
  }
  out[0] += `accepted by ${by} as ${r.progType} (${loaderText(r.loader)})`
  out.push(
    `verifier: ${r.verifiedInsns} instructions processed; ${r.xlatedBytes} bytes translated, ${r.jitedBytes} bytes JITed`
  )
  if (r.retval !== undefined)
    out.push(`test run: retval = ${r.retval} (0x${r.retval.toString(16)})`)
  if (r.packetOut !== undefined) out.push(`packet after the run: ${hex(r.packetOut)}`)
  if (r.durationNs !== undefined)
    out.push(`time: ${r.durationNs} ns per run (BPF_PROG_TEST_RUN, repeat ${r.repeat})`)
  for (const n of r.notes) out.push(`note: ${n}`)
  if (r.note !== undefined) out.push(`note: ${r.note}`)
  return out.join('\n') + '\n'
}

function loadLine(role: string, r: LoadReport): string[] {
  if (!r.accepted)
    return [
      `${role}: ${r.label}: rejected by the kernel verifier (as ${r.progType}, ${loaderText(r.loader)})`,
      'verifier log (last lines):',
      logTail(r.log ?? '', 20)
    ]
  return [
    `${role}: ${r.label}: accepted as ${r.progType} (${loaderText(r.loader)}): ${r.verifiedInsns} instructions processed, ${r.xlatedBytes} bytes translated, ${r.jitedBytes} bytes JITed`,
    ...r.notes.map((n) => `  note: ${n}`)
  ]
}

/** Slot lists as ranges: 3-5,9. */
export function slotRanges(slots: readonly number[]): string {
  const parts: string[] = []
  for (let i = 0; i < slots.length;) {
    let j = i
    while (j + 1 < slots.length && slots[j + 1] === slots[j]! + 1) j++
    parts.push(i === j ? String(slots[i]) : `${slots[i]}-${slots[j]}`)
    i = j + 1
  }
  return parts.length > 0 ? parts.join(',') : 'none'
}

function executedText(e: SlotsOrReason): string {
  return Array.isArray(e) ? `${e.length} slots` : `unknown (${(e as { unknown: string }).unknown})`
}

const ns = (x: number): string => `${x.toFixed(1)} ns`
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`

/** The latency table and verdict. */
export function formatLatency(l: LatencyComparison): string[] {
  const clock = l.method === 'stats' ? 'BPF_ENABLE_STATS run time' : 'BPF_PROG_TEST_RUN durations'
  const out = [
    `latency (${clock}, mean over ${l.inputs} input${l.inputs === 1 ? '' : 's'}, ${l.rounds} interleaved rounds of fresh loads, ${Math.round(l.level * 100)}% sign-test intervals for the median difference):`,
    '  repeat   original min/median     rewritten min/median    difference [interval]        verdict'
  ]
  for (const p of l.perRepeat) {
    const iv = p.interval
      ? `[${signed(p.interval.low)}, ${signed(p.interval.high)}]`
      : '[too few rounds]'
    out.push(
      `  ${String(p.repeat).padEnd(8)} ${`${ns(p.original.min)} / ${ns(p.original.median)}`.padEnd(23)} ${`${ns(p.rewritten.min)} / ${ns(p.rewritten.median)}`.padEnd(23)} ${`${signed(p.difference)} ns ${iv}`.padEnd(28)} ${p.verdict}`
    )
  }
  const last = l.perRepeat[l.perRepeat.length - 1]
  const detail =
    last?.interval !== undefined
      ? ` (${signed(last.difference)} ns per run, ${Math.round(l.level * 100)}% interval [${signed(last.interval.low)}, ${signed(last.interval.high)}] at repeat ${last.repeat})`
      : ''
  out.push(
    l.verdict === 'slower'
      ? `latency verdict: the rewritten program is measurably slower${detail}`
      : l.verdict === 'faster'
        ? `latency verdict: the rewritten program is measurably faster${detail}`
        : `latency verdict: ${l.verdict}${detail}`
  )
  return out
}

/** Text of a comparison. */
export function formatCompare(r: CompareReport): string {
  const out = [...loadLine('original', r.original), ...loadLine('rewritten', r.rewritten)]
  if (r.notRun !== undefined) {
    out.push(`not run: ${r.notRun}`)
    return out.join('\n') + '\n'
  }
  if (r.changed !== undefined)
    out.push(
      `changed instructions: original slots ${slotRanges(r.changed.original)}; rewritten slots ${slotRanges(r.changed.rewritten)}`
    )
  const refused = r.inputs.filter((i) => i.outcome === 'refused').length
  out.push(`inputs: ${r.inputs.length} (${refused} refused by the test run)`)
  for (const i of r.inputs) {
    const reach = [
      ...i.reachesChange.original.map((s) => `o${s}`),
      ...i.reachesChange.rewritten.map((s) => `r${s}`)
    ]
    out.push(
      `  ${i.label.padEnd(22)} ${i.outcome.padEnd(9)} executes ${executedText(i.executed.original)} / ${executedText(i.executed.rewritten)}; ${reach.length > 0 ? `reaches changed ${reach.join(' ')}` : 'reaches no change'}`
    )
  }
  if (r.mismatches.length === 0)
    out.push('differential: r0, packet, context and maps equal on every input run')
  else {
    out.push(`differential: MISMATCH on ${r.mismatches.length} input(s)`)
    for (const m of r.mismatches)
      for (const d of m.differences)
        out.push(
          `  ${m.label}: ${d.part}: original ${d.original.slice(0, 120)} / rewritten ${d.rewritten.slice(0, 120)}`
        )
  }
  if (r.unstable.length > 0)
    out.push(`not compared (they vary between runs of one program): ${r.unstable.join(', ')}`)
  if (r.latency !== undefined) out.push(...formatLatency(r.latency))
  if (r.latencyNote !== undefined) out.push(`latency: ${r.latencyNote}`)
  for (const w of r.warnings) out.push(`warning: ${w}`)
  return out.join('\n') + '\n'
}
