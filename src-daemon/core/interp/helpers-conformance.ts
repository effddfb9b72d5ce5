/**
 * @fileoverview The helper set the bpf_conformance suite defines for its own tests (plain mode):
 * 0 gather_bytes, 1 memfrob, 2 no_op, 3 sqrt, 4 strcmp_ext, 5 unwind.
 */
import * as $helper_util from './helper-util'
import type { Machine } from './machine'

// Imports copied into module constants once: under tsx/vite-node each access to an
// imported binding is a getter call, too costly on the interpreter hot path.
const { HelperStatus, fault, ptrArg } = $helper_util

/** Calls conformance helper `id` (returns a HelperStatus; exit = stop with r0 as set). */
export function conformanceHelper(m: Machine, id: number): number {
  const R = m.regs
  switch (id) {
    case 0: {
      // (a & 0xff) << 32 | (b & 0xff) << 24 | (c & 0xff) << 16 | (d & 0xff) << 8 | (e & 0xff)
      R[0] =
        ((R[4]! & 0xff) << 24) | ((R[6]! & 0xff) << 16) | ((R[8]! & 0xff) << 8) | (R[10]! & 0xff)
      R[1] = R[2]! & 0xff
      return HelperStatus.ok
    }
    case 1: {
      const len = R[4]!
      const at = len > 0 ? ptrArg(m, 1, len) : 0
      if (at < 0) return fault(m, 'memfrob: invalid pointer')
      if (len > 0) m.noteWrite(m.lastRegion)
      for (let i = 0; i < len; i++) m.heap[at + i] = m.heap[at + i]! ^ 42
      R[0] = 0
      R[1] = 0
      return HelperStatus.ok
    }
    case 2:
      R[0] = 0
      R[1] = 0
      return HelperStatus.ok
    case 3: {
      const v = (R[3]! >>> 0) * 4294967296 + (R[2]! >>> 0)
      let s = Math.floor(Math.sqrt(v))
      while (s * s > v) s--
      R[0] = s | 0
      R[1] = 0
      return HelperStatus.ok
    }
    case 4: {
      const a = cString(m, 1)
      const b = cString(m, 2)
      if (a === undefined || b === undefined) return fault(m, 'strcmp_ext: invalid string pointer')
      const c = a < b ? -1 : a > b ? 1 : 0
      R[0] = c
      R[1] = c >> 31
      return HelperStatus.ok
    }
    case 5:
      R[0] = R[2]!
      R[1] = R[3]!
      return R[0] === 0 && R[1] === 0 ? HelperStatus.exit : HelperStatus.ok
    default:
      return fault(m, `unsupported conformance helper ${id}`)
  }
}

function cString(m: Machine, r: number): string | undefined {
  let s = ''
  for (let i = 0; i < 4096; i++) {
    const at = m.addr(m.regs[r * 2]!, m.regs[r * 2 + 1]!, i, 1)
    if (at < 0) return undefined
    const c = m.heap[at]!
    if (c === 0) return s
    s += String.fromCharCode(c)
  }
  return undefined
}
