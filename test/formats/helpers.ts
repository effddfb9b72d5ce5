/** @fileoverview Shared helpers for the formats tests: fixture paths and a seeded PRNG. */

import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Absolute path of a file in test/formats/fixtures. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
}

/** Bytes of a fixture file. */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(name)))
}

/** Absolute path of a file of the bpf_conformance corpus kept in test/data/conformance. */
export function conformancePath(rel: string): string {
  return fileURLToPath(new URL(`../data/conformance/${rel}`, import.meta.url))
}

/** A small seeded PRNG (mulberry32): deterministic 32-bit values. */
export function prng(seed: number): { next(): number; below(n: number): number } {
  let s = seed >>> 0
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
  return { next, below: (n: number) => next() % n }
}
