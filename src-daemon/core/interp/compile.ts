/**
 * @fileoverview Compiles instruction slots into the typed arrays the interpreter runs: one
 * internal op, register indices, offset, immediate, jump target and register masks per slot.
 * Immediates become read-only "virtual registers" so immediate and register forms share code.
 */
import type { Insn } from '../isa/insn'
import * as $lookup from '../isa/lookup'
import * as $opcodes from '../isa/opcodes'
import type { OpSpec } from '../isa/opcodes'
import * as $helperIds from './helper-ids'
import * as $ops from './ops'
import type { CtxKind, MapDef } from './types'

// Module copies of imports (imports are getter calls under tsx/vite-node).
const lookupSpec = $lookup.lookupSpec
const OPS = $opcodes.OPS
const HELPER_ARGS = $helperIds.HELPER_ARGS
const Op = $ops.Op

/** Register-file index of the constant-zero virtual register. */
export const ZERO_REG = 11
/** Register-file index of slot 0's virtual register (slot i uses VREG_BASE + i). */
export const VREG_BASE = 12

/** How a virtual register's value is made: a constant, a map handle or a map value pointer. */
export const ConstKind = { value: 0, mapHandle: 1, mapValue: 2 } as const

/** A program compiled for the interpreter (immutable once built, except by {@link compileInto}). */
export interface CompiledProgram {
  /** Number of slots; arrays have one extra sentinel slot that faults ("fell off the end"). */
  length: number
  readonly maps: readonly MapDef[]
  readonly ctxKind: CtxKind
  /** Internal op per slot ({@link Op}). */
  op: Int32Array
  /** Register-file index ×2 of dst (lo half). */
  dst: Int32Array
  /** Register-file index ×2 of the source operand (a real or a virtual register). */
  src: Int32Array
  /** Signed offset (memory ops); access size for LDPKT. */
  off: Int32Array
  /** Raw immediate (helper id, endianness width, atomic op, ld_abs offset, ...). */
  imm: Int32Array
  /** Jump or call target slot. */
  target: Int32Array
  /** Bit mask of registers the slot reads (must be initialised). */
  readMask: Int32Array
  /** Bit mask of registers the slot writes (become initialised). */
  writeMask: Int32Array
  /** Virtual register contents: kind ({@link ConstKind}), lo, hi, map index. */
  constKind: Int32Array
  constLo: Int32Array
  constHi: Int32Array
  constMap: Int32Array
  /** Why an INVALID slot is invalid (undefined for valid slots). */
  invalid: (string | undefined)[]
}

function allocate(n: number, maps: readonly MapDef[], ctxKind: CtxKind): CompiledProgram {
  const m = n + 1
  return {
    length: n,
    maps,
    ctxKind,
    op: new Int32Array(m),
    dst: new Int32Array(m),
    src: new Int32Array(m),
    off: new Int32Array(m),
    imm: new Int32Array(m),
    target: new Int32Array(m),
    readMask: new Int32Array(m),
    writeMask: new Int32Array(m),
    constKind: new Int32Array(m),
    constLo: new Int32Array(m),
    constHi: new Int32Array(m),
    constMap: new Int32Array(m),
    invalid: new Array<string | undefined>(m).fill(undefined)
  }
}

/** Compiles `slots` for a program with `maps` and context kind `ctxKind`. */
export function compileProgram(
  slots: readonly Insn[],
  maps: readonly MapDef[],
  ctxKind: CtxKind
): CompiledProgram {
  const p = allocate(slots.length, maps, ctxKind)
  compileInto(p, slots)
  return p
}

/**
 * Recompiles `slots` into an existing program (same maps and context), reusing its arrays when
 * they are large enough: the search's per-candidate path.
 */
export function compileInto(p: CompiledProgram, slots: readonly Insn[]): CompiledProgram {
  const n = slots.length
  if (p.op.length < n + 1) Object.assign(p, allocate(n, p.maps, p.ctxKind))
  p.length = n
  for (let pc = 0; pc < n; pc++) compileSlot(p, slots, pc)
  setInvalid(p, n, 'fell off the end of the program')
  return p
}

const ALU64: Readonly<Record<string, number>> = {
  add: Op.ADD64,
  sub: Op.SUB64,
  mul: Op.MUL64,
  div: Op.DIV64,
  sdiv: Op.SDIV64,
  mod: Op.MOD64,
  smod: Op.SMOD64,
  or: Op.OR64,
  and: Op.AND64,
  xor: Op.XOR64,
  lsh: Op.LSH64,
  rsh: Op.RSH64,
  arsh: Op.ARSH64,
  mov: Op.MOV64,
  neg: Op.NEG64
}
const ALU32: Readonly<Record<string, number>> = {
  add: Op.ADD32,
  sub: Op.SUB32,
  mul: Op.MUL32,
  div: Op.DIV32,
  sdiv: Op.SDIV32,
  mod: Op.MOD32,
  smod: Op.SMOD32,
  or: Op.OR32,
  and: Op.AND32,
  xor: Op.XOR32,
  lsh: Op.LSH32,
  rsh: Op.RSH32,
  arsh: Op.ARSH32,
  mov: Op.MOV32,
  neg: Op.NEG32
}
const JMP64: Readonly<Record<string, number>> = {
  jeq: Op.JEQ,
  jgt: Op.JGT,
  jge: Op.JGE,
  jset: Op.JSET,
  jne: Op.JNE,
  jsgt: Op.JSGT,
  jsge: Op.JSGE,
  jlt: Op.JLT,
  jle: Op.JLE,
  jslt: Op.JSLT,
  jsle: Op.JSLE
}
const JMP32: Readonly<Record<string, number>> = {
  jeq: Op.JEQ32,
  jgt: Op.JGT32,
  jge: Op.JGE32,
  jset: Op.JSET32,
  jne: Op.JNE32,
  jsgt: Op.JSGT32,
  jsge: Op.JSGE32,
  jlt: Op.JLT32,
  jle: Op.JLE32,
  jslt: Op.JSLT32,
  jsle: Op.JSLE32
}
const LDX: readonly number[] = [0, Op.LDXB, Op.LDXH, 0, Op.LDXW, 0, 0, 0, Op.LDXDW]
const LDXS: readonly number[] = [0, Op.LDXSB, Op.LDXSH, 0, Op.LDXSW]
const STORE: readonly number[] = [0, Op.STB, Op.STH, 0, Op.STW, 0, 0, 0, Op.STDW]

function setInvalid(p: CompiledProgram, pc: number, why: string): void {
  p.op[pc] = Op.INVALID
  p.invalid[pc] = why
  p.readMask[pc] = 0
  p.writeMask[pc] = 0
}

function setConst(p: CompiledProgram, pc: number, lo: number, hi: number): void {
  p.constKind[pc] = ConstKind.value
  p.constLo[pc] = lo
  p.constHi[pc] = hi
  p.constMap[pc] = 0
}

function mapIndexForFd(maps: readonly MapDef[], imm: number): number {
  if (maps.some((m) => m.fd !== undefined)) return maps.findIndex((m) => m.fd === imm)
  return imm >= 0 && imm < maps.length ? imm : -1
}

/** Special handling of a row beyond the common fields. */
const Special = {
  none: 0,
  end: 1,
  jump: 2,
  call: 3,
  callLocal: 4,
  callx: 5,
  lddw: 6,
  ldpkt: 7,
  atomic: 8,
  unsupported: 9
} as const

/** Per-row compilation facts, computed once from the opcode table. */
interface SlotTemplate {
  readonly name: string
  readonly op: number
  readonly special: number
  /** Bits: 1 dst, 2 src, 4 off, 8 imm must be zero. */
  readonly zeroMask: number
  readonly usesSrcReg: boolean
  readonly writesDst: boolean
  readonly readsDst: boolean
  readonly readsSrc: boolean
  readonly longJump: boolean
  readonly bytes: number
  readonly why: string
  /** Registers read implicitly (r0 by exit). */
  readonly extraRead: number
}

const FIELD_BIT: Readonly<Record<string, number>> = { dst: 1, src: 2, off: 4, imm: 8 }

function template(spec: OpSpec): SlotTemplate {
  const usesSrcReg =
    (spec.kind === 'alu' && spec.source === 'reg') ||
    (spec.kind === 'jmp' && spec.source === 'reg') ||
    spec.kind === 'ldx' ||
    spec.kind === 'stx' ||
    spec.kind === 'atomic' ||
    spec.kind === 'ldind'
  const base = {
    name: spec.name,
    op: Op.INVALID,
    special: Special.none,
    zeroMask: spec.zero.reduce((acc, f) => acc | (FIELD_BIT[f] ?? 0), 0),
    usesSrcReg,
    writesDst:
      spec.kind === 'alu' || spec.kind === 'end' || spec.kind === 'ldx' || spec.kind === 'lddw',
    readsDst: false,
    readsSrc: false,
    longJump: false,
    bytes: 0,
    why: '',
    extraRead: 0
  }
  switch (spec.kind) {
    case 'alu': {
      const isMov = spec.op === 'mov' || spec.op === 'movsx'
      const e = spec.ext
      const op =
        spec.op === 'movsx'
          ? spec.is64
            ? e === 8
              ? Op.MOVSX64_8
              : e === 16
                ? Op.MOVSX64_16
                : Op.MOVSX64_32
            : e === 8
              ? Op.MOVSX32_8
              : Op.MOVSX32_16
          : (spec.is64 ? ALU64 : ALU32)[spec.op]!
      return { ...base, op, readsDst: !isMov, readsSrc: spec.source === 'reg' && spec.op !== 'neg' }
    }
    case 'end':
      return { ...base, special: Special.end, readsDst: true, op: spec.order === 'le' ? 1 : 0 }
    case 'jmp':
      return {
        ...base,
        special: Special.jump,
        op: (spec.is32 ? JMP32 : JMP64)[spec.cond]!,
        readsDst: true,
        readsSrc: spec.source === 'reg'
      }
    case 'ja':
      return { ...base, special: Special.jump, op: Op.JA, longJump: spec.long }
    case 'call':
      if (spec.target === 'kfunc')
        return { ...base, special: Special.unsupported, why: 'kfunc calls are not supported' }
      if (spec.target === 'local') return { ...base, special: Special.callLocal, op: Op.CALL_LOCAL }
      if (spec.target === 'reg')
        return { ...base, special: Special.callx, op: Op.CALLX, readsDst: true }
      return { ...base, special: Special.call, op: Op.CALL_HELPER }
    case 'exit':
      return { ...base, op: Op.EXIT, extraRead: 1 }
    case 'lddw':
      return { ...base, special: Special.lddw, op: Op.LDDW }
    case 'ldabs':
    case 'ldind':
      return {
        ...base,
        special: Special.ldpkt,
        op: Op.LDPKT,
        bytes: spec.bytes,
        readsSrc: spec.kind === 'ldind'
      }
    case 'ldx':
      return { ...base, op: (spec.signed ? LDXS : LDX)[spec.bytes]!, readsSrc: true }
    case 'st':
    case 'stx':
      return { ...base, op: STORE[spec.bytes]!, readsDst: true, readsSrc: spec.kind === 'stx' }
    case 'atomic':
      return {
        ...base,
        special: Special.atomic,
        op: spec.bytes === 8 ? Op.ATOMIC64 : Op.ATOMIC32,
        readsDst: true,
        readsSrc: true
      }
  }
}

const TEMPLATES: readonly SlotTemplate[] = OPS.map(template)

/** Per opcode byte: the row id when one unconditional row has it, -2 when rows need matching, -1 none. */
const DIRECT_ROW: Int32Array = (() => {
  const t = new Int32Array(256).fill(-1)
  for (const row of OPS) t[row.code] = t[row.code] === -1 && row.match === undefined ? row.id : -2
  return t
})()

/**
 * Compiles slot `pc` of `slots` in place (same program length). Alone, valid when neither this
 * slot nor the one before it is or was an lddw, whose compiled forms span two slots.
 */
export function compileSlot(p: CompiledProgram, slots: readonly Insn[], pc: number): void {
  const ins = slots[pc]!
  const n = slots.length
  p.invalid[pc] = undefined
  p.off[pc] = ins.off
  p.imm[pc] = ins.imm
  p.target[pc] = 0
  p.dst[pc] = ins.dst * 2
  setConst(p, pc, ins.imm, ins.imm >> 31)
  if (pc > 0 && slots[pc - 1]!.code === 0x18 && isSecondOfPair(slots, pc))
    return setInvalid(p, pc, 'jump into the second slot of lddw')
  const direct = DIRECT_ROW[ins.code & 0xff]!
  const spec = direct >= 0 ? OPS[direct] : direct === -2 ? lookupSpec(ins) : undefined
  if (spec === undefined)
    return setInvalid(p, pc, `unknown opcode 0x${ins.code.toString(16).padStart(2, '0')}`)
  const t = TEMPLATES[spec.id]!
  const z = t.zeroMask
  if (z !== 0) {
    const bad =
      (z & 1 && ins.dst !== 0 ? 'dst' : '') ||
      (z & 2 && ins.src !== 0 ? 'src' : '') ||
      (z & 4 && ins.off !== 0 ? 'off' : '') ||
      (z & 8 && ins.imm !== 0 ? 'imm' : '')
    if (bad !== '') return setInvalid(p, pc, `${t.name}: reserved field ${bad} must be 0`)
  }
  if (ins.dst > 10 || (t.usesSrcReg && ins.src > 10))
    return setInvalid(p, pc, `${t.name}: invalid register`)
  if (t.writesDst && ins.dst === 10) return setInvalid(p, pc, `${t.name}: r10 is read-only`)
  const d = 1 << ins.dst
  const sbit = 1 << ins.src
  p.op[pc] = t.op
  p.src[pc] = t.usesSrcReg ? ins.src * 2 : (VREG_BASE + pc) * 2
  p.writeMask[pc] = t.writesDst ? d : 0
  p.readMask[pc] = (t.readsDst ? d : 0) | (t.readsSrc ? sbit : 0) | t.extraRead
  switch (t.special) {
    case Special.none:
      return
    case Special.end: {
      const w = ins.imm
      if (w !== 16 && w !== 32 && w !== 64)
        return setInvalid(p, pc, `${t.name}: width must be 16, 32 or 64`)
      const le = t.op === 1
      p.op[pc] =
        w === 16
          ? le
            ? Op.LE16
            : Op.BE16
          : w === 32
            ? le
              ? Op.LE32
              : Op.BE32
            : le
              ? Op.LE64
              : Op.BE64
      return
    }
    case Special.jump:
    case Special.callLocal: {
      const target = pc + 1 + (t.longJump || t.special === Special.callLocal ? ins.imm : ins.off)
      if (target < 0 || target >= n || isSecondOfPair(slots, target))
        return setInvalid(
          p,
          pc,
          `${t.special === Special.jump ? 'jump' : 'call'} to invalid slot ${target}`
        )
      p.target[pc] = target
      return
    }
    case Special.call:
      p.readMask[pc] = (1 << ((HELPER_ARGS[ins.imm] ?? 0) + 1)) - 2
      return
    case Special.callx:
      return
    case Special.lddw:
      return compileLddw(p, slots, pc, spec.kind === 'lddw' ? spec.pseudo : 'imm64')
    case Special.ldpkt:
      p.off[pc] = t.bytes
      if (!t.readsSrc) p.src[pc] = ZERO_REG * 2
      p.readMask[pc] |= 1 << 6
      p.writeMask[pc] = 1
      return
    case Special.atomic: {
      const cmpxchg = ins.imm === 0xf1
      if (cmpxchg) p.readMask[pc] |= 1
      p.writeMask[pc] = cmpxchg ? 1 : ins.imm & 1 ? sbit : 0
      return
    }
    default:
      return setInvalid(p, pc, t.why)
  }
}

function isSecondOfPair(slots: readonly Insn[], pc: number): boolean {
  // A slot is the second half of lddw when an odd-length run of 0x18 codes precedes it.
  let k = 0
  for (let i = pc - 1; i >= 0 && slots[i]!.code === 0x18; i--) k++
  return k % 2 === 1
}

function compileLddw(p: CompiledProgram, slots: readonly Insn[], pc: number, pseudo: string): void {
  const ins = slots[pc]!
  const next = slots[pc + 1]
  if (next === undefined) return setInvalid(p, pc, 'lddw without its second slot')
  if (next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0)
    return setInvalid(p, pc, 'lddw second slot must have code, registers and offset 0')
  p.op[pc] = Op.LDDW
  p.readMask[pc] = 0
  p.writeMask[pc] = 1 << ins.dst
  p.src[pc] = (VREG_BASE + pc) * 2
  if (pseudo === 'imm64') return setConst(p, pc, ins.imm, next.imm)
  let map = -1
  if (pseudo === 'map_fd' || pseudo === 'map_value') map = mapIndexForFd(p.maps, ins.imm)
  else if (pseudo === 'map_idx' || pseudo === 'map_idx_value')
    map = ins.imm >= 0 && ins.imm < p.maps.length ? ins.imm : -1
  else return setInvalid(p, pc, `lddw pseudo source ${pseudo} is not supported`)
  if (map < 0) return setInvalid(p, pc, `lddw refers to no map (imm ${ins.imm})`)
  const isValue = pseudo === 'map_value' || pseudo === 'map_idx_value'
  p.constKind[pc] = isValue ? ConstKind.mapValue : ConstKind.mapHandle
  p.constMap[pc] = map
  p.constLo[pc] = isValue ? next.imm : 0
  p.constHi[pc] = 0
}
