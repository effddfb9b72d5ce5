/**
 * @fileoverview The interpreter loop: one dense switch over compiled ops, registers as int32
 * (lo, hi) pairs, no allocation and no BigInt. Faults are returned as a status with the reason
 * stored on the machine, never thrown. Case labels are numeric literals of `Op` (ops.ts) so
 * the switch compiles to a jump table; a test checks they match.
 */
import { callHelper as callHelperImport } from './helpers'
import * as int64 from './int64'
import * as layout from './layout'
import * as machine from './machine'
import type { Machine } from './machine'
import * as support from './exec-memory'

// Imported bindings are copied into module constants once: under tsx/vite-node every access to
// an import is a getter call, which costs more than the operation itself on the hot path.
const callHelper = callHelperImport
const { atomic, loadAddr, storeAddr } = support
const { arsh64, bswap32, lsh64, mul64, OUT, rsh64, sdivmod64, udivmod64 } = int64
const MAX_FRAMES = layout.MAX_FRAMES
const STACK_FRAME_BYTES = layout.STACK_FRAME_BYTES
const REGION_STACK = machine.Region.stack
const REGION_CTX = machine.Region.ctx
const REGION_PACKET = machine.Region.packet
const FLAG_CTX = machine.RegionFlag.ctx
const EXIT = machine.Status.exit
const FAULT = machine.Status.fault
const TAIL_CALL = machine.Status.tailCall
const H_FAULT = 1
const H_TAIL_CALL = 2
const H_EXIT = 3

const R1_TO_R5 = 0x3e
const R10 = 1 << 10

function stop(m: Machine, pc: number, steps: number, reason: string): number {
  m.faultPc = pc
  m.faultReason = reason
  m.steps = steps
  m.status = FAULT
  return FAULT
}

function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x)
}

/**
 * Runs the machine's program from slot 0 on the state prepared by `setup`; returns a Status and
 * leaves r0, steps and fault details on the machine.
 */
export function execute(m: Machine): number {
  const p = m.prog
  const OPS = p.op
  const DST = p.dst
  const SRC = p.src
  const OFF = p.off
  const IMM = p.imm
  const TGT = p.target
  const RM = p.readMask
  const WM = p.writeMask
  const R = m.regs
  const heap = m.heap
  const view = m.view
  const budget = m.opts.budget
  const kind = p.ctxKind
  let init = m.initMask
  let pc = 0
  let steps = 0
  let frame = 0
  for (;;) {
    if (++steps > budget) return stop(m, pc, steps, 'budget')
    const rm = RM[pc]!
    if ((rm & ~init) !== 0)
      return stop(m, pc, steps, `read of uninitialised register r${lowestBit(rm & ~init)}`)
    init |= WM[pc]!
    const d = DST[pc]!
    const s = SRC[pc]!
    switch (OPS[pc]!) {
      case 1: {
        // ADD64
        const a = R[d]!
        const lo = (a + R[s]!) | 0
        R[d + 1] = (R[d + 1]! + R[s + 1]! + (lo >>> 0 < a >>> 0 ? 1 : 0)) | 0
        R[d] = lo
        break
      }
      case 2: {
        // SUB64
        const a = R[d]!
        const b = R[s]!
        R[d + 1] = (R[d + 1]! - R[s + 1]! - (a >>> 0 < b >>> 0 ? 1 : 0)) | 0
        R[d] = (a - b) | 0
        break
      }
      case 3: // MUL64
        mul64(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!)
        R[d] = OUT[0]!
        R[d + 1] = OUT[1]!
        break
      case 4: // DIV64
      case 6: // MOD64
      case 5: // SDIV64
      case 7: {
        // SMOD64
        const op = OPS[pc]!
        const isDiv = op === 4 /* DIV64 */ || op === 5 /* SDIV64 */
        if (R[s] === 0 && R[s + 1] === 0) {
          if (isDiv) R[d] = R[d + 1] = 0
          break
        }
        if (op === 4 /* DIV64 */ || op === 6 /* MOD64 */)
          udivmod64(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!)
        else sdivmod64(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!)
        R[d] = isDiv ? OUT[0]! : OUT[2]!
        R[d + 1] = isDiv ? OUT[1]! : OUT[3]!
        break
      }
      case 8: // OR64
        R[d] = R[d]! | R[s]!
        R[d + 1] = R[d + 1]! | R[s + 1]!
        break
      case 9: // AND64
        R[d] = R[d]! & R[s]!
        R[d + 1] = R[d + 1]! & R[s + 1]!
        break
      case 10: // XOR64
        R[d] = R[d]! ^ R[s]!
        R[d + 1] = R[d + 1]! ^ R[s + 1]!
        break
      case 11: // LSH64
        lsh64(R[d]!, R[d + 1]!, R[s]! & 63)
        R[d] = OUT[0]!
        R[d + 1] = OUT[1]!
        break
      case 12: // RSH64
        rsh64(R[d]!, R[d + 1]!, R[s]! & 63)
        R[d] = OUT[0]!
        R[d + 1] = OUT[1]!
        break
      case 13: // ARSH64
        arsh64(R[d]!, R[d + 1]!, R[s]! & 63)
        R[d] = OUT[0]!
        R[d + 1] = OUT[1]!
        break
      case 14: // MOV64
        R[d] = R[s]!
        R[d + 1] = R[s + 1]!
        break
      case 15: {
        // NEG64
        const lo = R[d]!
        R[d] = -lo | 0
        R[d + 1] = (~R[d + 1]! + (lo === 0 ? 1 : 0)) | 0
        break
      }
      case 16: // MOVSX64_8
        R[d] = (R[s]! << 24) >> 24
        R[d + 1] = R[d]! >> 31
        break
      case 17: // MOVSX64_16
        R[d] = (R[s]! << 16) >> 16
        R[d + 1] = R[d]! >> 31
        break
      case 18: // MOVSX64_32
        R[d] = R[s]!
        R[d + 1] = R[d]! >> 31
        break
      case 19: // ADD32
        R[d] = (R[d]! + R[s]!) | 0
        R[d + 1] = 0
        break
      case 20: // SUB32
        R[d] = (R[d]! - R[s]!) | 0
        R[d + 1] = 0
        break
      case 21: // MUL32
        R[d] = Math.imul(R[d]!, R[s]!)
        R[d + 1] = 0
        break
      case 22: {
        // DIV32
        const b = R[s]! >>> 0
        R[d] = b === 0 ? 0 : Math.floor((R[d]! >>> 0) / b) | 0
        R[d + 1] = 0
        break
      }
      case 24: {
        // MOD32
        const b = R[s]! >>> 0
        if (b !== 0) R[d] = ((R[d]! >>> 0) % b) | 0
        R[d + 1] = 0
        break
      }
      case 23: {
        // SDIV32
        const b = R[s]!
        R[d] = b === 0 ? 0 : (R[d]! / b) | 0
        R[d + 1] = 0
        break
      }
      case 25: {
        // SMOD32
        const b = R[s]!
        if (b !== 0) R[d] = (R[d]! % b) | 0
        R[d + 1] = 0
        break
      }
      case 26: // OR32
        R[d] = R[d]! | R[s]!
        R[d + 1] = 0
        break
      case 27: // AND32
        R[d] = R[d]! & R[s]!
        R[d + 1] = 0
        break
      case 28: // XOR32
        R[d] = R[d]! ^ R[s]!
        R[d + 1] = 0
        break
      case 29: // LSH32
        R[d] = R[d]! << (R[s]! & 31)
        R[d + 1] = 0
        break
      case 30: // RSH32
        R[d] = R[d]! >>> (R[s]! & 31)
        R[d + 1] = 0
        break
      case 31: // ARSH32
        R[d] = R[d]! >> (R[s]! & 31)
        R[d + 1] = 0
        break
      case 32: // MOV32
        R[d] = R[s]!
        R[d + 1] = 0
        break
      case 33: // NEG32
        R[d] = -R[d]! | 0
        R[d + 1] = 0
        break
      case 34: // MOVSX32_8
        R[d] = (R[s]! << 24) >> 24
        R[d + 1] = 0
        break
      case 35: // MOVSX32_16
        R[d] = (R[s]! << 16) >> 16
        R[d + 1] = 0
        break
      case 36: // LE16
        R[d] = R[d]! & 0xffff
        R[d + 1] = 0
        break
      case 37: // LE32
        R[d + 1] = 0
        break
      case 38: // LE64
        break
      case 39: {
        // BE16
        const v = R[d]!
        R[d] = ((v & 0xff) << 8) | ((v >>> 8) & 0xff)
        R[d + 1] = 0
        break
      }
      case 40: // BE32
        R[d] = bswap32(R[d]!)
        R[d + 1] = 0
        break
      case 41: {
        // BE64
        const t = bswap32(R[d]!)
        R[d] = bswap32(R[d + 1]!)
        R[d + 1] = t
        break
      }
      case 42: // JA
        pc = TGT[pc]!
        continue
      case 43: // JEQ
        pc = R[d] === R[s] && R[d + 1] === R[s + 1] ? TGT[pc]! : pc + 1
        continue
      case 47: // JNE
        pc = R[d] !== R[s] || R[d + 1] !== R[s + 1] ? TGT[pc]! : pc + 1
        continue
      case 46: // JSET
        pc = (R[d]! & R[s]!) !== 0 || (R[d + 1]! & R[s + 1]!) !== 0 ? TGT[pc]! : pc + 1
        continue
      case 44: // JGT
      case 45: // JGE
      case 50: // JLT
      case 51: {
        // JLE
        const ah = R[d + 1]! >>> 0
        const bh = R[s + 1]! >>> 0
        const c =
          ah !== bh ? (ah > bh ? 1 : -1) : R[d]! >>> 0 > R[s]! >>> 0 ? 1 : R[d] === R[s] ? 0 : -1
        const op = OPS[pc]!
        const t =
          op === 44 /* JGT */
            ? c > 0
            : op === 45 /* JGE */
              ? c >= 0
              : op === 50 /* JLT */
                ? c < 0
                : c <= 0
        pc = t ? TGT[pc]! : pc + 1
        continue
      }
      case 48: // JSGT
      case 49: // JSGE
      case 52: // JSLT
      case 53: {
        // JSLE
        const ah = R[d + 1]!
        const bh = R[s + 1]!
        const c =
          ah !== bh ? (ah > bh ? 1 : -1) : R[d]! >>> 0 > R[s]! >>> 0 ? 1 : R[d] === R[s] ? 0 : -1
        const op = OPS[pc]!
        const t =
          op === 48 /* JSGT */
            ? c > 0
            : op === 49 /* JSGE */
              ? c >= 0
              : op === 52 /* JSLT */
                ? c < 0
                : c <= 0
        pc = t ? TGT[pc]! : pc + 1
        continue
      }
      case 54: // JEQ32
        pc = R[d] === R[s] ? TGT[pc]! : pc + 1
        continue
      case 58: // JNE32
        pc = R[d] !== R[s] ? TGT[pc]! : pc + 1
        continue
      case 57: // JSET32
        pc = (R[d]! & R[s]!) !== 0 ? TGT[pc]! : pc + 1
        continue
      case 55: // JGT32
        pc = R[d]! >>> 0 > R[s]! >>> 0 ? TGT[pc]! : pc + 1
        continue
      case 56: // JGE32
        pc = R[d]! >>> 0 >= R[s]! >>> 0 ? TGT[pc]! : pc + 1
        continue
      case 61: // JLT32
        pc = R[d]! >>> 0 < R[s]! >>> 0 ? TGT[pc]! : pc + 1
        continue
      case 62: // JLE32
        pc = R[d]! >>> 0 <= R[s]! >>> 0 ? TGT[pc]! : pc + 1
        continue
      case 59: // JSGT32
        pc = R[d]! > R[s]! ? TGT[pc]! : pc + 1
        continue
      case 60: // JSGE32
        pc = R[d]! >= R[s]! ? TGT[pc]! : pc + 1
        continue
      case 63: // JSLT32
        pc = R[d]! < R[s]! ? TGT[pc]! : pc + 1
        continue
      case 64: // JSLE32
        pc = R[d]! <= R[s]! ? TGT[pc]! : pc + 1
        continue
      case 68: // LDDW
        R[d] = R[s]!
        R[d + 1] = R[s + 1]!
        pc += 2
        continue
      case 69: // LDXB
      case 70: // LDXH
      case 71: // LDXW
      case 72: // LDXDW
      case 73: // LDXSB
      case 74: // LDXSH
      case 75: {
        // LDXSW
        const op = OPS[pc]!
        const size =
          op === 69 /* LDXB */ || op === 73 /* LDXSB */
            ? 1
            : op === 70 /* LDXH */ || op === 74 /* LDXSH */
              ? 2
              : op === 72 /* LDXDW */
                ? 8
                : 4
        let a = loadAddr(m, R[s]!, R[s + 1]!, OFF[pc]!, size)
        if (a === -1) {
          if (!m.kernelLoad(R[s]!, R[s + 1]!, OFF[pc]!, size))
            return stop(m, pc, steps, `invalid load of ${size} bytes`)
          a = -2
        }
        let lo: number
        let hi: number
        if (a === -2) {
          lo = OUT[0]!
          hi = OUT[1]!
        } else if (size === 1) {
          lo = heap[a]!
          hi = 0
        } else if (size === 2) {
          lo = view.getUint16(a, true)
          hi = 0
        } else if (size === 4) {
          lo = view.getInt32(a, true)
          hi = 0
        } else {
          lo = view.getInt32(a, true)
          hi = view.getInt32(a + 4, true)
        }
        if (op >= 73 /* LDXSB */) {
          lo =
            op === 73 /* LDXSB */ ? (lo << 24) >> 24 : op === 74 /* LDXSH */ ? (lo << 16) >> 16 : lo
          hi = lo >> 31
        }
        R[d] = lo
        R[d + 1] = hi
        break
      }
      case 76: // STB
      case 77: // STH
      case 78: // STW
      case 79: {
        // STDW
        const op = OPS[pc]!
        const size = op === 76 /* STB */ ? 1 : op === 77 /* STH */ ? 2 : op === 78 /* STW */ ? 4 : 8
        const a = storeAddr(m, R[d]!, R[d + 1]!, OFF[pc]!, size)
        if (a < 0) return stop(m, pc, steps, `invalid store of ${size} bytes`)
        if (size === 1) heap[a] = R[s]!
        else if (size === 2) view.setUint16(a, R[s]!, true)
        else if (size === 4) view.setInt32(a, R[s]!, true)
        else {
          view.setInt32(a, R[s]!, true)
          view.setInt32(a + 4, R[s + 1]!, true)
        }
        break
      }
      case 80: // ATOMIC32
      case 81: {
        // ATOMIC64
        const wide = OPS[pc] === 81 /* ATOMIC64 */
        const size = wide ? 8 : 4
        const a = storeAddr(m, R[d]!, R[d + 1]!, OFF[pc]!, size)
        if (
          a < 0 ||
          (m.regionFlags[m.lastRegion]! & FLAG_CTX) !== 0 ||
          m.lastRegion === REGION_PACKET
        )
          return stop(m, pc, steps, `invalid atomic access of ${size} bytes`)
        if (!atomic(m, a, d, s, IMM[pc]!, wide))
          return stop(m, pc, steps, `invalid atomic operation ${IMM[pc]}`)
        break
      }
      case 82: {
        // LDPKT
        const size = OFF[pc]!
        const off = (IMM[pc]! + R[s]!) | 0
        let base: number
        let len: number
        if (kind === 'skb' || kind === 'socket') {
          base = m.regionBase[REGION_PACKET]! + m.pktData
          len = m.pktEnd - m.pktData
        } else if (kind === 'flat' || kind === 'plain') {
          base = m.regionBase[REGION_CTX]!
          len = m.memLen
        } else return stop(m, pc, steps, 'ld_abs/ld_ind are not available for this program type')
        init &= ~R1_TO_R5
        if (off < 0 || off + size > len) {
          m.r0lo = 0
          m.r0hi = 0
          m.steps = steps
          m.status = EXIT
          return EXIT
        }
        R[0] =
          size === 1
            ? heap[base + off]!
            : size === 2
              ? view.getUint16(base + off, false)
              : view.getInt32(base + off, false)
        R[1] = 0
        break
      }
      case 83: // CALLX
      case 65: {
        // CALL_HELPER (CALLX: the helper id is in dst, uBPF semantics; conformance helper set only)
        if (OPS[pc] === 83 /* CALLX */ && m.opts.helpers !== 'conformance')
          return stop(m, pc, steps, 'callx is not supported by the kernel')
        const id = OPS[pc] === 83 /* CALLX */ ? R[d]! : IMM[pc]!
        const st = callHelper(m, id)
        if (st === H_FAULT) return stop(m, pc, steps, m.faultReason)
        if (st === H_TAIL_CALL || st === H_EXIT) {
          m.r0lo = st === H_EXIT ? R[0]! : 0
          m.r0hi = st === H_EXIT ? R[1]! : 0
          m.steps = steps
          m.status = st === H_EXIT ? EXIT : TAIL_CALL
          return m.status
        }
        init = (init & ~R1_TO_R5) | 1
        // Void helpers (tail_call falling through, ringbuf submit/discard) leave r0 uninitialised.
        if (id === 12 || id === 132 || id === 133) init &= ~1
        break
      }
      case 66: {
        // CALL_LOCAL
        if (frame + 1 >= MAX_FRAMES) return stop(m, pc, steps, 'call depth exceeded')
        const b = frame * 8
        const SR = m.savedRegs
        for (let i = 0; i < 8; i++) SR[b + i] = R[12 + i]!
        m.savedInit[frame] = init
        m.savedPc[frame] = pc + 1
        frame++
        R[20] = (R[20]! - STACK_FRAME_BYTES) | 0
        m.regionLow[REGION_STACK] = m.regionHigh[REGION_STACK]! - (frame + 1) * STACK_FRAME_BYTES
        m.fillFrame(frame)
        init = (init & R1_TO_R5) | R10
        pc = TGT[pc]!
        continue
      }
      case 67: {
        // EXIT
        if (frame === 0) {
          m.r0lo = R[0]!
          m.r0hi = R[1]!
          m.steps = steps
          m.status = EXIT
          return EXIT
        }
        frame--
        const b = frame * 8
        const SR = m.savedRegs
        for (let i = 0; i < 8; i++) R[12 + i] = SR[b + i]!
        R[20] = (R[20]! + STACK_FRAME_BYTES) | 0
        m.regionLow[REGION_STACK] = m.regionHigh[REGION_STACK]! - (frame + 1) * STACK_FRAME_BYTES
        init = (m.savedInit[frame]! & ~(R1_TO_R5 | 1)) | 1 | R10
        pc = m.savedPc[frame]!
        continue
      }
      default:
        return stop(m, pc, steps, p.invalid[pc] ?? `invalid instruction`)
    }
    pc++
  }
}
