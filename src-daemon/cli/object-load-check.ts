/**
 * @fileoverview `optimize --kernel-check` for objects: loads the written object with libbpf (through
 * `bpftool prog loadall`) exactly as the original loads, when the original does.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The last lines of a bpftool/libbpf log, on one line. */
function tail(log: string): string {
  return log.trim().split('\n').slice(-3).join(' | ')
}

/** Runs `bpftool prog loadall FILE PIN` and removes the pins; its status and log. */
function loadall(file: string, pin: string): { status: number | null; log: string } {
  try {
    const r = spawnSync('bpftool', ['prog', 'loadall', file, pin], {
      encoding: 'utf8',
      timeout: 60_000
    })
    return {
      status: r.error === undefined ? r.status : null,
      log: r.stderr || String(r.error ?? '')
    }
  } finally {
    rmSync(pin, { recursive: true, force: true })
  }
}

/**
 * Loads `original` and then `written` (the optimized object's bytes) with `bpftool prog loadall`;
 * a one-line verdict starting `accepted`, `rejected` (the original loads but the written object
 * does not) or `skipped` (no bpftool, no permission, or the original does not load this way).
 */
export function objectLoadVerdict(original: string, written: Uint8Array): string {
  if (spawnSync('bpftool', ['version']).status !== 0) return 'skipped: bpftool is not installed'
  const dir = mkdtempSync(join(tmpdir(), 'summit-load-'))
  const pin = `/sys/fs/bpf/summit_check_${process.pid}_${Date.now()}`
  try {
    const before = loadall(original, `${pin}_in`)
    if (before.status !== 0)
      return `skipped: the original does not load with bpftool here either (${tail(before.log)})`
    const path = join(dir, 'written.o')
    writeFileSync(path, written)
    const after = loadall(path, `${pin}_out`)
    return after.status === 0
      ? 'accepted: the written object loads with libbpf (bpftool prog loadall) like the original'
      : `rejected: the original loads with bpftool but the written object does not (${tail(after.log)})`
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
