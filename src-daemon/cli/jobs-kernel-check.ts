/** @fileoverview `summit jobs kernel-check JOB [--candidate N]`: the daemon's kernel check of a candidate, waited for and printed. */
import type { SummitClient } from '../api/protocol/client'
import type { CandidateInfo, KernelCheck } from '../api/protocol/schemas'
import { EXIT, type CliIo } from './command'
import { CliError } from './errors'

/** How long to wait for the daemon's verdict (checks queue behind each other). */
const WAIT_MS = 15 * 60_000

const ns = (x: number): string => `${x.toFixed(1)} ns`
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`

/** Text of a stored kernel check. */
export function formatKernelCheck(c: CandidateInfo, k: KernelCheck): string {
  const out = [`candidate ${c.id} of job ${c.jobId}: ${k.status} (kernel ${k.kernelRelease})`]
  if (k.message !== undefined) out.push(`  ${k.message}`)
  for (const [name, s] of [
    ['original', k.original],
    ['candidate', k.candidate]
  ] as const) {
    if (s === undefined) continue
    out.push(
      s.accepted
        ? `  ${name}: accepted as ${s.progType} (${s.loader}): ${s.verifiedInsns} insns processed, ${s.xlatedBytes} bytes translated, ${s.jitedBytes} bytes JITed`
        : `  ${name}: rejected as ${s.progType} (${s.loader}); verifier log (last lines):\n${s.logTail ?? ''}`
    )
  }
  if (k.inputs > 0)
    out.push(
      `  inputs: ${k.inputs} (${k.refused} refused), ${k.reachingChange.length} execute a changed instruction; ${k.mismatches.length === 0 ? 'no mismatch' : `MISMATCH on ${k.mismatches.length}`}`
    )
  for (const m of k.mismatches)
    for (const d of m.differences)
      out.push(`    ${m.label}: ${d.part}: original ${d.original} / candidate ${d.candidate}`)
  const l = k.latency
  if (l !== undefined) {
    out.push(
      `  latency (${l.rounds} rounds, ${l.inputs} inputs, ${Math.round(l.level * 100)}% intervals): ${l.verdict}`
    )
    for (const p of l.perRepeat)
      out.push(
        `    repeat ${p.repeat}: original ${ns(p.original.min)} / ${ns(p.original.median)}, candidate ${ns(p.candidate.min)} / ${ns(p.candidate.median)}, difference ${signed(p.difference)} ns ${p.interval ? `[${signed(p.interval.low)}, ${signed(p.interval.high)}]` : '[too few rounds]'}`
      )
  }
  for (const n of k.notes) out.push(`  note: ${n}`)
  for (const w of k.warnings) out.push(`  warning: ${w}`)
  return out.join('\n') + '\n'
}

/**
 * Queues a kernel check of `candidate` (default: the job's latest improvement) and waits for the
 * verdict. Exit 0 accepted, 1 rejected or mismatch, 2 unavailable or failed.
 */
export async function jobsKernelCheck(
  client: SummitClient,
  io: CliIo,
  job: number,
  candidate: number | undefined,
  json: boolean
): Promise<number> {
  const all = await client.candidates(job)
  const c =
    candidate === undefined
      ? (await client.improvements(job)).at(-1)
      : all.find((x) => x.id === candidate)
  if (c === undefined)
    throw new CliError({
      code: 'NOT_FOUND',
      message:
        candidate === undefined
          ? `job ${job} has no proven improvement yet (give --candidate)`
          : `job ${job} has no candidate ${candidate}`
    })
  const before = c.kernel?.checkedAt ?? 0
  await client.kernelCheck(c.id)
  const end = Date.now() + WAIT_MS
  for (;;) {
    const now = (await client.candidates(job)).find((x) => x.id === c.id)
    const k = now?.kernel
    if (now !== undefined && k != null && k.checkedAt > before) {
      io.out(json ? JSON.stringify(now, null, 2) + '\n' : formatKernelCheck(now, k))
      return k.status === 'accepted'
        ? EXIT.ok
        : k.status === 'rejected' || k.status === 'mismatch'
          ? EXIT.negative
          : EXIT.error
    }
    if (Date.now() > end)
      throw new CliError({ code: 'TIMEOUT', message: 'no kernel verdict within 15 minutes' })
    await new Promise((r) => setTimeout(r, 1000))
  }
}
