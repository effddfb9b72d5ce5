/** @fileoverview Small byte helpers shared by the format readers: bounded integer reads and UTF-8. */

/** Largest value a 64-bit field may hold to be represented exactly as a Number. */
const MAX_SAFE_HIGH = 0x1fffff

/** A little-endian view with bounds-checked reads that never throw on bad input. */
export class LeReader {
  private readonly view: DataView

  /** Wraps `bytes` (no copy). */
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /** Byte length of the underlying data. */
  get length(): number {
    return this.bytes.length
  }

  /** True when `[offset, offset + size)` lies inside the data. */
  has(offset: number, size: number): boolean {
    return offset >= 0 && size >= 0 && offset + size <= this.bytes.length
  }

  /** Unsigned byte (caller checked bounds). */
  u8(offset: number): number {
    return this.view.getUint8(offset)
  }

  /** Unsigned 16-bit (caller checked bounds). */
  u16(offset: number): number {
    return this.view.getUint16(offset, true)
  }

  /** Unsigned 32-bit (caller checked bounds). */
  u32(offset: number): number {
    return this.view.getUint32(offset, true)
  }

  /** Signed 32-bit (caller checked bounds). */
  i32(offset: number): number {
    return this.view.getInt32(offset, true)
  }

  /** Unsigned 64-bit as a Number, or -1 when it exceeds 2^53 - 1 (caller checked bounds). */
  u64(offset: number): number {
    const lo = this.view.getUint32(offset, true)
    const hi = this.view.getUint32(offset + 4, true)
    if (hi > MAX_SAFE_HIGH) return -1
    return hi * 0x100000000 + lo
  }

  /** Signed 64-bit as a Number, or NaN when it is not a safe integer (caller checked bounds). */
  i64(offset: number): number {
    const v = this.view.getBigInt64(offset, true)
    const n = Number(v)
    return Number.isSafeInteger(n) ? n : NaN
  }
}

/** Writes a non-negative safe integer as an unsigned little-endian 64-bit field. */
export function setU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value % 0x100000000, true)
  view.setUint32(offset + 4, Math.floor(value / 0x100000000), true)
}

/** Decodes UTF-8 (invalid sequences become U+FFFD); avoids platform TextDecoder. */
export function decodeUtf8(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = ''
  let i = start
  while (i < end) {
    const b = bytes[i] ?? 0
    if (b < 0x80) {
      out += String.fromCharCode(b)
      i++
      continue
    }
    const need = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : -1
    if (need < 0 || i + need >= end) {
      out += '\ufffd'
      i++
      continue
    }
    let cp = b & (0x3f >> need)
    let good = true
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k] ?? 0
      if ((c & 0xc0) !== 0x80) good = false
      cp = (cp << 6) | (c & 0x3f)
    }
    if (!good || cp > 0x10ffff) {
      out += '\ufffd'
      i++
      continue
    }
    out += String.fromCodePoint(cp)
    i += need + 1
  }
  return out
}

/** Encodes a string as UTF-8. */
export function encodeUtf8(text: string): Uint8Array {
  const out: number[] = []
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0
    if (cp < 0x80) out.push(cp)
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f))
    else if (cp < 0x10000)
      out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f))
    else
      out.push(
        0xf0 | (cp >> 18),
        0x80 | ((cp >> 12) & 0x3f),
        0x80 | ((cp >> 6) & 0x3f),
        0x80 | (cp & 0x3f)
      )
  }
  return Uint8Array.from(out)
}

/** Reads a NUL-terminated string from `[start, limit)`; undefined when no NUL is found. */
export function readCString(bytes: Uint8Array, start: number, limit: number): string | undefined {
  const end = Math.min(limit, bytes.length)
  if (start < 0 || start >= end) return undefined
  let i = start
  while (i < end && bytes[i] !== 0) i++
  if (i >= end) return undefined
  return decodeUtf8(bytes, start, i)
}
