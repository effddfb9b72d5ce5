/** @fileoverview Decides an input's format from its bytes and file name. */

import { decodeUtf8 } from './bytes'

/** Input formats Summit reads. */
export type InputKind = 'elf' | 'k2' | 'conformance' | 'asm' | 'raw' | 'unknown'

/** The detected format and a short reason (for messages and `summit info`). */
export interface DetectedInput {
  /** The format. */
  readonly kind: InputKind
  /** Why this format was chosen. */
  readonly reason: string
}

const CONFORMANCE_DIRECTIVE = /^--\s*(asm|raw|mem|result|error|c)\s*$/m

/** True when the bytes look like text (UTF-8 without NULs or stray control characters). */
export function looksLikeText(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 4096)
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!
    if (b === 0) return false
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) return false
  }
  return !decodeUtf8(bytes, 0, n).slice(0, -4).includes('\ufffd')
}

/**
 * Detects the input format: ELF by magic; K2 by the `.insns` name (its `.maps`/`.desc` live
 * beside it); conformance `.data` by its `-- asm`/`-- raw`/`-- result` directives; other text is
 * assembly; other binary whose length is a multiple of 8 is raw bytecode.
 */
export function detectInput(bytes: Uint8Array, fileName = ''): DetectedInput {
  const lower = fileName.toLowerCase()
  if (
    bytes.length >= 4 &&
    bytes[0] === 0x7f &&
    bytes[1] === 0x45 &&
    bytes[2] === 0x4c &&
    bytes[3] === 0x46
  )
    return { kind: 'elf', reason: 'ELF magic' }
  if (lower.endsWith('.insns'))
    return bytes.length % 8 === 0
      ? { kind: 'k2', reason: 'K2 .insns file name' }
      : { kind: 'unknown', reason: '.insns size is not a multiple of 8' }
  if (looksLikeText(bytes)) {
    const text = decodeUtf8(bytes)
    if (CONFORMANCE_DIRECTIVE.test(text) || (lower.endsWith('.data') && /^--/m.test(text)))
      return { kind: 'conformance', reason: 'bpf_conformance "-- " directives' }
    if (
      lower.endsWith('.data') &&
      text.split(/\r?\n/).every((l) => l.trim() === '' || l.trimStart().startsWith('#'))
    )
      return { kind: 'conformance', reason: '.data file with comments only' }
    if (text.trim() === '' && bytes.length > 0) return { kind: 'unknown', reason: 'blank text' }
    if (bytes.length > 0) return { kind: 'asm', reason: 'text' }
  }
  if (bytes.length > 0 && bytes.length % 8 === 0)
    return { kind: 'raw', reason: 'binary, a multiple of 8 bytes' }
  return {
    kind: 'unknown',
    reason: bytes.length === 0 ? 'empty input' : 'binary, not a multiple of 8 bytes'
  }
}

/** Names of the `.maps` and `.desc` files that accompany a K2 `.insns` path. */
export function k2CompanionNames(insnsPath: string): {
  readonly maps: string
  readonly desc: string
} {
  const base = insnsPath.replace(/\.insns$/i, '')
  return { maps: `${base}.maps`, desc: `${base}.desc` }
}
