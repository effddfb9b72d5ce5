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

/** `dst = *(size *)(src + off)`. */
export function loadStep(env: Env, st: State, d: Decoded): void {
  const s = d.spec as LoadSpec
  readReg(st, d.insn.src)
  const v = memAccess(env, st, d.insn.src, d.insn.off, s.bytes, 'load', undefined, s.signed)
  top(st).regs[d.insn.dst] = v
}

/** `*(size *)(dst + off) = src | imm`. */
export function storeStep(env: Env, st: State, d: Decoded): void {
  const s = d.spec as StoreSpec
  readReg(st, d.insn.dst)
  if (s.kind === 'stx') {
    const v = readReg(st, d.insn.src)
    memAccess(env, st, d.insn.dst, d.insn.off, s.bytes, 'store', { reg: v })
    return
  }
  memAccess(env, st, d.insn.dst, d.insn.off, s.bytes, 'store', { imm: BigInt(d.insn.imm) })
}

/** Atomic read-modify-write; fetch variants load the old value into src (cmpxchg: r0). */
export function atomicStep(env: Env, st: State, d: Decoded): void {
  const s = d.spec as AtomicSpec
  readReg(st, d.insn.dst)
  readReg(st, d.insn.src)
  if (s.op === 'cmpxchg') readReg(st, 0)
  const base = top(st).regs[d.insn.dst] as Reg
  if (base.type === T.CTX || base.type === T.PKT || base.type === T.PKT_META) {
    throw new Reject(
      'VERIFY_INVALID_MEM',
      `BPF_ATOMIC stores into R${d.insn.dst} ${base.type === T.CTX ? 'ctx' : 'pkt'} is not allowed`
    )
  }
  const old = memAccess(env, st, d.insn.dst, d.insn.off, s.bytes, 'atomic', { reg: UNKNOWN })
  const regs = top(st).regs
  const loadReg =
    s.op === 'cmpxchg' ? 0 : s.op.startsWith('fetch_') || s.op === 'xchg' ? d.insn.src : -1
  // The kernel writes the loaded value before checking the store: a base that receives it is
  // a scalar by then, and the store through it fails.
  if (loadReg === d.insn.dst)
    throw new Reject('VERIFY_INVALID_MEM', `R${d.insn.dst} invalid mem access 'scalar'`)
  if (loadReg >= 0) regs[loadReg] = old
}
