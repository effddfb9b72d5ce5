/** @fileoverview Words for a candidate's kernel check: the badge, sizes and the latency line. */
import type { KernelCheck, KernelLatencyRow } from '../../../src-daemon/api/protocol/schemas'

/** A badge: its colour class and text. */
export interface Badge {
  readonly cls: 'ok' | 'bad' | 'warn' | 'neutral'
  readonly text: string
}

/** The kernel verdict badge; only a candidate the kernel loaded reads "accepted". */
export function kernelBadge(k: KernelCheck | null): Badge {
  if (k === null) return { cls: 'neutral', text: 'kernel verifier: not checked' }
  switch (k.status) {
    case 'accepted':
      return { cls: 'ok', text: `kernel verifier: accepted (${k.kernelRelease})` }
    case 'rejected':
      return { cls: 'bad', text: `kernel verifier: rejected (${k.kernelRelease})` }
    case 'mismatch':
      return {
        cls: 'bad',
        text: `kernel: accepted, but behaves differently on ${k.mismatches.length} input(s)`
      }
    case 'unavailable':
      return { cls: 'warn', text: `kernel verifier: could not check (${k.message ?? 'no BPF'})` }
    case 'error':
      return { cls: 'warn', text: `kernel check failed: ${k.message ?? 'unknown error'}` }
  }
}

/** One word for a table cell: not checked, accepted, rejected, mismatch, unavailable, error. */
export function kernelWord(k: KernelCheck | null): string {
  return k === null ? 'not checked' : k.status === 'unavailable' ? 'could not check' : k.status
}

const ns = (x: number): string => `${x.toFixed(1)} ns`
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`

/** The interval of a repeat count's difference, or why there is none. */
export function intervalText(p: KernelLatencyRow): string {
  return p.interval === undefined
    ? 'too few rounds'
    : `[${signed(p.interval.low)}, ${signed(p.interval.high)}] ns`
}

/** min / median of one side. */
export function sideText(s: { min: number; median: number }): string {
  return `${ns(s.min)} / ${ns(s.median)}`
}

/** The latency verdict as a sentence. */
export function latencyVerdictText(verdict: string): string {
  return verdict === 'slower'
    ? 'measurably slower in the kernel'
    : verdict === 'faster'
      ? 'measurably faster in the kernel'
      : verdict
}

/** `signed` for a difference in ns. */
export function differenceText(x: number): string {
  return `${signed(x)} ns`
}
