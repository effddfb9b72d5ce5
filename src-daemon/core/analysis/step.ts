/** @fileoverview Transfer functions of straight-line instructions other than ALU: lddw, loads, stores, atomics. */
import type { Decoded } from '../isa/decode'
import type { AtomicSpec, LddwSpec, LoadSpec, StoreSpec } from '../isa/opcodes'
import { readReg } from './alu'
import type { Env } from './env'
import { memAccess } from './memory'
import { constReg, NOT_INIT, UNKNOWN } from './reg'
import { top, type State } from './state'
import { Reject, T, type Reg } from './types'

/** `dst = imm64` or a map / map-value / function pseudo load. */
export function lddwStep(env: Env, st: State, d: Decoded): void {
  const s = d.spec as LddwSpec
  const regs = top(st).regs
  const dst = d.insn.dst
  switch (s.pseudo) {
    case 'imm64':
      regs[dst] = constReg(d.imm64 ?? 0n)
      return
    case 'map_fd':
    case 'map_idx':
    case 'map_value':
    case 'map_idx_value': {
      const index = d.insn.imm
      const m = env.maps[index]
      if (m === undefined)
        throw new Reject('VERIFY_UNSUPPORTED', `fd ${index} is not pointing to valid bpf_map`)
      if (s.pseudo === 'map_fd' || s.pseudo === 'map_idx') {
        regs[dst] = { ...NOT_INIT, type: T.MAP_PTR, map: index }
        return
      }
      const off = d.next?.imm ?? 0
      if (off < 0 || off >= m.valueSize) {
        throw new Reject(
          'VERIFY_MAP_BOUNDS',
          `invalid access to map value pointer, value_size=${m.valueSize} off=${off}`
        )
      }
      regs[dst] = { ...NOT_INIT, type: T.MAP_VALUE, map: index, off }
      return
    }
    case 'func':
      regs[dst] = { ...NOT_INIT, type: T.FUNC }
      return
    case 'btf_id':
      throw new Reject('VERIFY_UNSUPPORTED', 'ld_imm64 of a BTF id is not supported')
  }
}

/** Kinds whose loads and stores the kernel rewrites per instruction: one kind per instruction. */
const REWRITTEN: ReadonlySet<T> = new Set([
  T.CTX,
  T.SOCKET,
  T.SOCK_COMMON,
  T.TCP_SOCK,
  T.XDP_SOCK,
  T.BTF_ID
])

/**
 * Records the pointer kind a memory instruction used; the kernel refuses an instruction reached
 * with a context or socket pointer on one path and another kind on another (save_aux_ptr_type).
 */
function notePointerKind(env: Env, d: Decoded, kind: T): void {
  const prev = env.accessKinds.get(d.index)
  if (prev === undefined) {
    env.accessKinds.set(d.index, kind)
    return
  }
  if (prev !== kind && (REWRITTEN.has(prev) || REWRITTEN.has(kind)))
    throw new Reject('VERIFY_INVALID_MEM', 'same insn cannot be used with different pointers')
}

/** `dst = *(size *)(src + off)`. */
export function loadStep(env: Env, st: State, d: Decoded): void {
  const s = d.spec as LoadSpec
  const base = readReg(st, d.insn.src).type
  const v = memAccess(env, st, d.insn.src, d.insn.off, s.bytes, 'load', undefined, s.signed)
  notePointerKind(env, d, base)
  top(st).regs[d.insn.dst] = v
}

/** `*(size *)(dst + off) = src | imm`. */
export function storeStep(env: Env, st: State, d: Decoded): void {
  const s = d.spec as StoreSpec
  const base = readReg(st, d.insn.dst).type
  if (s.kind === 'stx') {
    const v = readReg(st, d.insn.src)
    memAccess(env, st, d.insn.dst, d.insn.off, s.bytes, 'store', { reg: v })
  } else {
    memAccess(env, st, d.insn.dst, d.insn.off, s.bytes, 'store', { imm: BigInt(d.insn.imm) })
  }
  notePointerKind(env, d, base)
}

/** Pointer kinds atomics may not go through (check_atomic), with the kernel's name for each. */
const ATOMIC_REFUSED: ReadonlyMap<T, string> = new Map([
  [T.CTX, 'ctx'],
  [T.PKT, 'pkt'],
  [T.PKT_META, 'pkt'],
  [T.FLOW_KEYS, 'flow_keys'],
  [T.SOCKET, 'sock'],
  [T.SOCK_COMMON, 'sock_common'],
  [T.TCP_SOCK, 'tcp_sock'],
  [T.XDP_SOCK, 'xdp_sock']
])

/** Atomic read-modify-write; fetch variants load the old value into src (cmpxchg: r0). */
export function atomicStep(env: Env, st: State, d: Decoded): void {
  const s = d.spec as AtomicSpec
  readReg(st, d.insn.dst)
  readReg(st, d.insn.src)
  if (s.op === 'cmpxchg') readReg(st, 0)
  const base = top(st).regs[d.insn.dst] as Reg
  const where = ATOMIC_REFUSED.get(base.type)
  if (where !== undefined) {
    throw new Reject(
      'VERIFY_INVALID_MEM',
      `BPF_ATOMIC stores into R${d.insn.dst} ${where} is not allowed`
    )
  }
  const old = memAccess(env, st, d.insn.dst, d.insn.off, s.bytes, 'atomic', { reg: UNKNOWN })
  notePointerKind(env, d, base.type)
  const regs = top(st).regs
  const loadReg =
    s.op === 'cmpxchg' ? 0 : s.op.startsWith('fetch_') || s.op === 'xchg' ? d.insn.src : -1
  // The kernel writes the loaded value before checking the store: a base that receives it is
  // a scalar by then, and the store through it fails.
  if (loadReg === d.insn.dst)
    throw new Reject('VERIFY_INVALID_MEM', `R${d.insn.dst} invalid mem access 'scalar'`)
  if (loadReg >= 0) regs[loadReg] = old
}
