/** @fileoverview Numbers, durations and times as the views print them. */

/** 3723000 → "1 h 02 min 03 s"; under a minute with one decimal. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—'
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const s = Math.floor(ms / 1000)
  const d = Math.floor(s / 86_400)
  const h = Math.floor((s % 86_400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  const two = (n: number): string => String(n).padStart(2, '0')
  if (d > 0) return `${d} d ${two(h)} h ${two(m)} min`
  if (h > 0) return `${h} h ${two(m)} min ${two(sec)} s`
  return `${m} min ${two(sec)} s`
}

/** 1234567 → "1,234,567"; fractions keep up to `digits` decimals. */
export function count(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '—'
  return n.toLocaleString('en-US', { maximumFractionDigits: digits })
}

/** 0.1234 → "12.3 %". */
export function percent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—'
  return `${(fraction * 100).toFixed(1)} %`
}

/** A wall-clock time: "14:03:12" today, else "2026-12-06 14:03". */
export function clock(epochMs: number, now = Date.now()): string {
  const d = new Date(epochMs)
  const two = (n: number): string => String(n).padStart(2, '0')
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
  if (new Date(now).toDateString() === d.toDateString()) return time
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${time.slice(0, 5)}`
}

/** Estimated latency in ns with one decimal. */
export function nanoseconds(ns: number): string {
  return Number.isFinite(ns) ? `${ns.toFixed(1)} ns` : '—'
}
