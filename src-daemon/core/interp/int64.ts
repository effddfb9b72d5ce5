/**
 * @fileoverview 64-bit integer arithmetic on pairs of 32-bit halves (lo, hi as int32), without
 * BigInt and without allocation: results are written to the shared scratch array {@link OUT}.
 */

/** Scratch results: [lo, hi] of the last result; [2], [3] = remainder of {@link udivmod64}. */
export const OUT = new Int32Array(4)

const TWO32 = 4294967296

/** Unsigned high 32 bits of the 64-bit product of two u32 values. */
export function umulhi32(a: number, b: number): number {
  const a0 = a & 0xffff
  const a1 = a >>> 16
  const b0 = b & 0xffff
  const b1 = b >>> 16
  const p01 = a0 * b1
  const p10 = a1 * b0
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff)
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0
}

/** OUT[0..1] = a * b (mod 2^64). */
export function mul64(alo: number, ahi: number, blo: number, bhi: number): void {
  OUT[0] = Math.imul(alo, blo)
  OUT[1] = (umulhi32(alo, blo) + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0
}

/** OUT[0..1] = a << n for n in 0..63. */
export function lsh64(lo: number, hi: number, n: number): void {
  if (n === 0) {
    OUT[0] = lo
    OUT[1] = hi
  } else if (n < 32) {
    OUT[1] = (hi << n) | (lo >>> (32 - n))
    OUT[0] = lo << n
  } else {
    OUT[1] = lo << (n - 32)
    OUT[0] = 0
  }
}

/** OUT[0..1] = a >>> n (logical) for n in 0..63. */
export function rsh64(lo: number, hi: number, n: number): void {
  if (n === 0) {
    OUT[0] = lo
    OUT[1] = hi
  } else if (n < 32) {
    OUT[0] = (lo >>> n) | (hi << (32 - n))
    OUT[1] = hi >>> n
  } else {
    OUT[0] = hi >>> (n - 32)
    OUT[1] = 0
  }
}

/** OUT[0..1] = a >> n (arithmetic) for n in 0..63. */
export function arsh64(lo: number, hi: number, n: number): void {
  if (n === 0) {
    OUT[0] = lo
    OUT[1] = hi
  } else if (n < 32) {
    OUT[0] = (lo >>> n) | (hi << (32 - n))
    OUT[1] = hi >> n
  } else {
    OUT[0] = hi >> (n - 32)
    OUT[1] = hi >> 31
  }
}

/** True when unsigned a >= unsigned b. */
function uge64(alo: number, ahi: number, blo: number, bhi: number): boolean {
  const ah = ahi >>> 0
  const bh = bhi >>> 0
  return ah > bh || (ah === bh && alo >>> 0 >= blo >>> 0)
}

/**
 * Unsigned division: OUT[0..1] = a / b, OUT[2..3] = a % b. The divisor must be non-zero.
 * Fast paths for 32-bit and 52-bit operands; otherwise binary long division on the halves.
 */
export function udivmod64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (ahi === 0 && bhi === 0) {
    const a = alo >>> 0
    const b = blo >>> 0
    const q = Math.floor(a / b)
    OUT[0] = q | 0
    OUT[1] = 0
    OUT[2] = (a - q * b) | 0
    OUT[3] = 0
    return
  }
  if (ahi >>> 0 < 0x100000 && bhi >>> 0 < 0x100000) {
    const a = (ahi >>> 0) * TWO32 + (alo >>> 0)
    const b = (bhi >>> 0) * TWO32 + (blo >>> 0)
    let q = Math.floor(a / b)
    let r = a - q * b
    if (r < 0) {
      q -= 1
      r += b
    } else if (r >= b) {
      q += 1
      r -= b
    }
    OUT[0] = q | 0
    OUT[1] = Math.floor(q / TWO32) | 0
    OUT[2] = r | 0
    OUT[3] = Math.floor(r / TWO32) | 0
    return
  }
  if (bhi < 0) {
    // Divisor >= 2^63: the quotient is 0 or 1.
    if (uge64(alo, ahi, blo, bhi)) {
      const lo = (alo - blo) | 0
      const borrow = alo >>> 0 < blo >>> 0 ? 1 : 0
      OUT[0] = 1
      OUT[1] = 0
      OUT[2] = lo
      OUT[3] = (ahi - bhi - borrow) | 0
    } else {
      OUT[0] = 0
      OUT[1] = 0
      OUT[2] = alo
      OUT[3] = ahi
    }
    return
  }
  let rlo = 0
  let rhi = 0
  let qlo = 0
  let qhi = 0
  for (let i = 63; i >= 0; i--) {
    const bit = i >= 32 ? (ahi >>> (i - 32)) & 1 : (alo >>> i) & 1
    rhi = (rhi << 1) | (rlo >>> 31)
    rlo = (rlo << 1) | bit
    if (uge64(rlo, rhi, blo, bhi)) {
      const borrow = rlo >>> 0 < blo >>> 0 ? 1 : 0
      rlo = (rlo - blo) | 0
      rhi = (rhi - bhi - borrow) | 0
      if (i >= 32) qhi |= 1 << (i - 32)
      else qlo |= 1 << i
    }
  }
  OUT[0] = qlo
  OUT[1] = qhi
  OUT[2] = rlo
  OUT[3] = rhi
}

/**
 * Signed (truncating) division as the kernel defines it: OUT[0..1] = a / b, OUT[2..3] = a % b
 * (remainder has the sign of the dividend; INT64_MIN / -1 = INT64_MIN, remainder 0).
 * The divisor must be non-zero.
 */
export function sdivmod64(alo: number, ahi: number, blo: number, bhi: number): void {
  const aneg = ahi < 0
  const bneg = bhi < 0
  let xlo = alo
  let xhi = ahi
  let ylo = blo
  let yhi = bhi
  if (aneg) {
    xlo = -alo | 0
    xhi = (~ahi + (alo === 0 ? 1 : 0)) | 0
  }
  if (bneg) {
    ylo = -blo | 0
    yhi = (~bhi + (blo === 0 ? 1 : 0)) | 0
  }
  udivmod64(xlo, xhi, ylo, yhi)
  if (aneg !== bneg) {
    const qlo = OUT[0]!
    const qhi = OUT[1]!
    OUT[0] = -qlo | 0
    OUT[1] = (~qhi + (qlo === 0 ? 1 : 0)) | 0
  }
  if (aneg) {
    const rlo = OUT[2]!
    const rhi = OUT[3]!
    OUT[2] = -rlo | 0
    OUT[3] = (~rhi + (rlo === 0 ? 1 : 0)) | 0
  }
}

/** Converts a (lo, hi) pair to an unsigned bigint (slow path only). */
export function pairToBigInt(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)
}

/** Writes the low 64 bits of `v` into `dst[i]` (lo) and `dst[i + 1]` (hi) (slow path only). */
export function setPairFromBigInt(dst: Int32Array, i: number, v: bigint): void {
  const u = BigInt.asUintN(64, v)
  dst[i] = Number(u & 0xffffffffn) | 0
  dst[i + 1] = Number(u >> 32n) | 0
}

/** Byte-swaps a 32-bit value. */
export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)
}

/** Number of set bits in a 32-bit value. */
export function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555)
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333)
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) | 0
}
