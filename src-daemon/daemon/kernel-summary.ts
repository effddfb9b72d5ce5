/** @fileoverview A kernel comparison as the API stores and shows it (KernelCheck). */
import type { CompareReport, LoadReport } from '../engine/kernel/kernel-compare'
import type { KernelCheck, KernelSide } from '../api/protocol/schemas'

/** Lines of a verifier log kept in a stored verdict. */
const LOG_LINES = 30

function side(r: LoadReport): KernelSide {
  return {
    accepted: r.accepted,
    progType: r.progType,
    loader: r.loader,
    ...(r.verifiedInsns !== undefined ? { verifiedInsns: r.verifiedInsns } : {}),
    ...(r.xlatedBytes !== undefined ? { xlatedBytes: r.xlatedBytes } : {}),
    ...(r.jitedBytes !== undefined ? { jitedBytes: r.jitedBytes } : {}),
    ...(r.log !== undefined
      ? { logTail: r.log.trimEnd().split('\n').slice(-LOG_LINES).join('\n') }
      : {}),
    notes: [...r.notes]
  }
}

/** The stored form of a comparison of a candidate with its original. */
export function summarizeCheck(
  r: CompareReport,
  kernelRelease: string,
  checkedAt = Date.now()
): KernelCheck {
  const status = !r.rewritten.accepted
    ? 'rejected'
    : r.mismatches.length > 0
      ? 'mismatch'
      : 'accepted'
  const notes = [r.notRun, r.latencyNote].filter((n): n is string => n !== undefined)
  if (!r.original.accepted) notes.push('the kernel verifier rejected the original')
  const l = r.latency
  return {
    status,
    checkedAt,
    kernelRelease,
    original: side(r.original),
    candidate: side(r.rewritten),
    inputs: r.inputs.length,
    refused: r.inputs.filter((i) => i.outcome === 'refused').length,
    reachingChange: r.inputs
      .filter((i) => i.reachesChange.original.length + i.reachesChange.rewritten.length > 0)
      .map((i) => i.label),
    mismatches: r.mismatches.map((m) => ({
      label: m.label,
      differences: m.differences.map((d) => ({
        part: d.part,
        original: d.original.slice(0, 200),
        candidate: d.rewritten.slice(0, 200)
      }))
    })),
    ...(l !== undefined
      ? {
          latency: {
            method: l.method,
            rounds: l.rounds,
            inputs: l.inputs,
            level: l.level,
            verdict: l.verdict,
            perRepeat: l.perRepeat.map((p) => ({
              repeat: p.repeat,
              original: p.original,
              candidate: p.rewritten,
              difference: p.difference,
              ...(p.interval !== undefined
                ? { interval: { low: p.interval.low, high: p.interval.high } }
                : {}),
              verdict: p.verdict
            }))
          }
        }
      : {}),
    notes,
    warnings: [...r.warnings]
  }
}

/** A check that could not run: the kernel is unavailable here, or the check failed. */
export function failedCheck(
  status: 'unavailable' | 'error',
  message: string,
  kernelRelease: string,
  checkedAt = Date.now()
): KernelCheck {
  return {
    status,
    checkedAt,
    kernelRelease,
    message,
    inputs: 0,
    refused: 0,
    reachingChange: [],
    mismatches: [],
    notes: [],
    warnings: []
  }
}
