/** @fileoverview Memory access helpers of the interpreter loop: load/store address checks and atomics. */
import * as machine from './machine'
import type { Machine } from './machine'

// Module copies of imports (imports are getter calls under tsx/vite-node).
const REGION_CTX = machine.Region.ctx
const FLAG_CTX = machine.RegionFlag.ctx
const FLAG_WRITABLE = machine.RegionFlag.writable

/** Heap index for a load of `size` bytes, or -1; context pointer fields are resolved into OUT. */
export function loadAddr(m: Machine, lo: number, hi: number, off: number, size: number): number {
  const a = m.addr(lo, hi, off, size)
  if (a >= 0 && m.lastRegion === REGION_CTX && (m.regionFlags[REGION_CTX]! & FLAG_CTX) !== 0) {
    const o = a - m.regionBase[REGION_CTX]!
    return m.ctxLoad(o, a, size) ? -2 : -1
  }
  return a
}

/** Heap index for a store of `size` bytes, or -1 when outside memory or not writable. */
export function storeAddr(m: Machine, lo: number, hi: number, off: number, size: number): number {
  const a = m.addr(lo, hi, off, size)
  if (a < 0) return -1
  const id = m.lastRegion
  if (
    (m.regionFlags[id]! & FLAG_WRITABLE) === 0 &&
    ((m.regionFlags[id]! & FLAG_CTX) === 0 || !m.ctxStoreAllowed(a - m.regionBase[id]!, size))
  )
    return -1
  m.regionWritten[id] = 1
  return a
}

/** Executes an atomic read-modify-write at heap index `a`; false for an unknown operation. */
export function atomic(
  m: Machine,
  a: number,
  d: number,
  s: number,
  imm: number,
  wide: boolean
): boolean {
  const R = m.regs
  const v = m.view
  const oldLo = v.getInt32(a, true)
  const oldHi = wide ? v.getInt32(a + 4, true) : 0
  const sLo = R[s]!
  const sHi = wide ? R[s + 1]! : 0
  let nLo: number
  let nHi: number
  const base = imm & ~1
  if (imm === 0xf1) {
    const eq = R[0] === oldLo && (!wide || R[1] === oldHi)
    if (eq) {
      v.setInt32(a, sLo, true)
      if (wide) v.setInt32(a + 4, sHi, true)
    }
    R[0] = oldLo
    R[1] = oldHi
    return true
  }
  if (imm === 0xe1) {
    nLo = sLo
    nHi = sHi
  } else if (base === 0x00) {
    nLo = (oldLo + sLo) | 0
    nHi = wide ? (oldHi + sHi + (nLo >>> 0 < oldLo >>> 0 ? 1 : 0)) | 0 : 0
  } else if (base === 0x40) {
    nLo = oldLo | sLo
    nHi = oldHi | sHi
  } else if (base === 0x50) {
    nLo = oldLo & sLo
    nHi = oldHi & sHi
  } else if (base === 0xa0) {
    nLo = oldLo ^ sLo
    nHi = oldHi ^ sHi
  } else return false
  v.setInt32(a, nLo, true)
  if (wide) v.setInt32(a + 4, nHi, true)
  if ((imm & 1) !== 0) {
    R[s] = oldLo
    R[s + 1] = oldHi
  }
  return true
}
