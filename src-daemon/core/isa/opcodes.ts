/**
 * @fileoverview The eBPF instruction set as one table: one row per opcode (and per variant that
 * a field such as `off`, `imm` or `src` selects), covering RFC 9669 and what Linux and clang
 * emit. Decode, encode, validation, the disassemblers, the assembler, the interpreter, the
 * analysis and the search all read this table; adding an opcode is adding a row.
 */

/** Instruction classes (low 3 bits of the opcode). */
export const Cls = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07
} as const

/** Source bit of ALU/JMP opcodes: immediate (K) or register (X). */
export const Src = {
  K: 0x00,
  X: 0x08
} as const

/** Memory access sizes (bits 3-4 of load/store opcodes). */
export const Size = {
  W: 0x00,
  H: 0x08,
  B: 0x10,
  DW: 0x18
} as const

/** Memory access modes (bits 5-7 of load/store opcodes). */
export const Mode = {
  IMM: 0x00,
  ABS: 0x20,
  IND: 0x40,
  MEM: 0x60,
  MEMSX: 0x80,
  ATOMIC: 0xc0
} as const

/** ALU operations with their operation bits. */
export const ALU_OPS = {
  add: 0x00,
  sub: 0x10,
  mul: 0x20,
  div: 0x30,
  or: 0x40,
  and: 0x50,
  lsh: 0x60,
  rsh: 0x70,
  neg: 0x80,
  mod: 0x90,
  xor: 0xa0,
  mov: 0xb0,
  arsh: 0xc0
} as const

/** An ALU operation name as the table knows it (signed and sign-extending variants included). */
export type AluOp = keyof typeof ALU_OPS | 'sdiv' | 'smod' | 'movsx'

/** Conditional jump conditions with their operation bits. */
export const JMP_CONDS = {
  jeq: 0x10,
  jgt: 0x20,
  jge: 0x30,
  jset: 0x40,
  jne: 0x50,
  jsgt: 0x60,
  jsge: 0x70,
  jlt: 0xa0,
  jle: 0xb0,
  jslt: 0xc0,
  jsle: 0xd0
} as const

/** A conditional jump condition name. */
export type JmpCond = keyof typeof JMP_CONDS

/** Atomic operations: the `imm` value that selects each (BPF_FETCH = 0x01 included). */
export const ATOMIC_OPS = {
  add: 0x00,
  or: 0x40,
  and: 0x50,
  xor: 0xa0,
  fetch_add: 0x01,
  fetch_or: 0x41,
  fetch_and: 0x51,
  fetch_xor: 0xa1,
  xchg: 0xe1,
  cmpxchg: 0xf1
} as const

/** An atomic operation name. */
export type AtomicOp = keyof typeof ATOMIC_OPS

/** ld_imm64 source-register values (pseudo sources) and what the immediate means. */
export const LDDW_SRC = {
  imm64: 0,
  map_fd: 1,
  map_value: 2,
  btf_id: 3,
  func: 4,
  map_idx: 5,
  map_idx_value: 6
} as const

/** An ld_imm64 source kind. */
export type LddwSrc = keyof typeof LDDW_SRC

/** Call kinds selected by the `src` field of the call opcode. */
export const CALL_SRC = { helper: 0, local: 1, kfunc: 2 } as const

/** A call kind. */
export type CallKind = keyof typeof CALL_SRC

/** Access size in bytes. */
export type Bytes = 1 | 2 | 4 | 8

/** A field of the instruction that may select a variant or must be zero. */
export type Field = 'dst' | 'src' | 'off' | 'imm'

/** Fields common to every row. */
interface SpecBase {
  /** Row index in {@link OPS}. */
  readonly id: number
  /** Unique row name, e.g. `add64_imm`, `jeq32_reg`, `ldxw`, `atomic64_fetch_add`. */
  readonly name: string
  /** The opcode byte. */
  readonly code: number
  /** A field whose value selects this row among rows sharing the opcode byte. */
  readonly match?: { readonly field: Field; readonly value: number }
  /** Fields that must be zero (reserved) in this row. */
  readonly zero: readonly Field[]
}

/** Arithmetic and logic: `dst = dst op src|imm` (neg and mov are unary/binary as usual). */
export interface AluSpec extends SpecBase {
  readonly kind: 'alu'
  readonly op: AluOp
  readonly is64: boolean
  readonly source: 'imm' | 'reg'
  /** For movsx: the width sign-extended from (8, 16, 32). */
  readonly ext?: 8 | 16 | 32
}

/** Byte-order conversion: `le`/`be` (ALU class) or unconditional `swap` (ALU64 class). */
export interface EndSpec extends SpecBase {
  readonly kind: 'end'
  readonly order: 'le' | 'be' | 'swap'
}

/** Conditional jump, 64-bit (JMP) or 32-bit (JMP32) comparison. */
export interface JmpSpec extends SpecBase {
  readonly kind: 'jmp'
  readonly cond: JmpCond
  readonly is32: boolean
  readonly source: 'imm' | 'reg'
}

/** Unconditional jump: `ja` with a 16-bit offset, or `gotol` with a 32-bit one in `imm`. */
export interface JaSpec extends SpecBase {
  readonly kind: 'ja'
  readonly long: boolean
}

/** Call of a helper (imm = id), a bpf-to-bpf function (imm = relative slot) or a kfunc. */
export interface CallSpec extends SpecBase {
  readonly kind: 'call'
  /** Helper, bpf-to-bpf, kfunc, or (callx) the function whose address is in register `dst`. */
  readonly target: CallKind | 'reg'
}

/** Return from the program or function. */
export interface ExitSpec extends SpecBase {
  readonly kind: 'exit'
}

/** Two-slot 64-bit immediate load with its pseudo source. */
export interface LddwSpec extends SpecBase {
  readonly kind: 'lddw'
  readonly pseudo: LddwSrc
}

/** Legacy packet loads `r0 = ntoh(*(size *)(skb + imm [+ src]))`. */
export interface LdPktSpec extends SpecBase {
  readonly kind: 'ldabs' | 'ldind'
  readonly bytes: 1 | 2 | 4
}

/** Memory load `dst = *(size *)(src + off)`, zero- or sign-extended. */
export interface LoadSpec extends SpecBase {
  readonly kind: 'ldx'
  readonly bytes: Bytes
  readonly signed: boolean
}

/** Memory store of an immediate (`st`) or register (`stx`): `*(size *)(dst + off) = …`. */
export interface StoreSpec extends SpecBase {
  readonly kind: 'st' | 'stx'
  readonly bytes: Bytes
}

/** Atomic read-modify-write on `*(size *)(dst + off)` with `src`. */
export interface AtomicSpec extends SpecBase {
  readonly kind: 'atomic'
  readonly op: AtomicOp
  readonly bytes: 4 | 8
}

/** One row of the opcode table. */
export type OpSpec =
  | AluSpec
  | EndSpec
  | JmpSpec
  | JaSpec
  | CallSpec
  | ExitSpec
  | LddwSpec
  | LdPktSpec
  | LoadSpec
  | StoreSpec
  | AtomicSpec

/** Row kinds. */
export type OpKind = OpSpec['kind']

type Draft = OpSpec extends infer S ? (S extends OpSpec ? Omit<S, 'id'> : never) : never

const SIZES: readonly (readonly [Bytes, number, string])[] = [
  [1, Size.B, 'b'],
  [2, Size.H, 'h'],
  [4, Size.W, 'w'],
  [8, Size.DW, 'dw']
]

function aluRows(): Draft[] {
  const rows: Draft[] = []
  for (const is64 of [false, true]) {
    const cls = is64 ? Cls.ALU64 : Cls.ALU
    const w = is64 ? '64' : '32'
    for (const [op, bits] of Object.entries(ALU_OPS) as [keyof typeof ALU_OPS, number][]) {
      if (op === 'neg') {
        rows.push({
          kind: 'alu',
          op,
          is64,
          source: 'imm',
          name: `neg${w}`,
          code: cls | bits,
          zero: ['src', 'off', 'imm']
        })
        continue
      }
      for (const source of ['imm', 'reg'] as const) {
        const code = cls | bits | (source === 'reg' ? Src.X : Src.K)
        const opnd: Field = source === 'reg' ? 'imm' : 'src'
        const signedName = op === 'div' ? 'sdiv' : op === 'mod' ? 'smod' : undefined
        const match =
          signedName !== undefined || op === 'mov' ? { field: 'off' as const, value: 0 } : undefined
        const base = { kind: 'alu' as const, is64, source, code }
        rows.push({
          ...base,
          op,
          name: `${op}${w}_${source}`,
          zero: match ? [opnd] : [opnd, 'off'],
          ...(match ? { match } : {})
        })
        if (signedName !== undefined) {
          rows.push({
            ...base,
            op: signedName,
            name: `${signedName}${w}_${source}`,
            zero: [opnd],
            match: { field: 'off', value: 1 }
          })
        }
        if (op === 'mov' && source === 'reg') {
          for (const ext of is64 ? ([8, 16, 32] as const) : ([8, 16] as const)) {
            rows.push({
              ...base,
              op: 'movsx',
              ext,
              name: `movsx${w}_${ext}`,
              zero: ['imm'],
              match: { field: 'off', value: ext }
            })
          }
        }
      }
    }
  }
  rows.push({
    kind: 'end',
    order: 'le',
    name: 'le',
    code: Cls.ALU | 0xd0 | Src.K,
    zero: ['src', 'off']
  })
  rows.push({
    kind: 'end',
    order: 'be',
    name: 'be',
    code: Cls.ALU | 0xd0 | Src.X,
    zero: ['src', 'off']
  })
  rows.push({
    kind: 'end',
    order: 'swap',
    name: 'bswap',
    code: Cls.ALU64 | 0xd0 | Src.K,
    zero: ['src', 'off']
  })
  return rows
}

function jmpRows(): Draft[] {
  const rows: Draft[] = []
  rows.push({ kind: 'ja', long: false, name: 'ja', code: Cls.JMP, zero: ['dst', 'src', 'imm'] })
  rows.push({ kind: 'ja', long: true, name: 'gotol', code: Cls.JMP32, zero: ['dst', 'src', 'off'] })
  for (const is32 of [false, true]) {
    const cls = is32 ? Cls.JMP32 : Cls.JMP
    for (const [cond, bits] of Object.entries(JMP_CONDS) as [JmpCond, number][]) {
      for (const source of ['imm', 'reg'] as const) {
        const code = cls | bits | (source === 'reg' ? Src.X : Src.K)
        const name = `${cond}${is32 ? '32' : ''}_${source}`
        rows.push({
          kind: 'jmp',
          cond,
          is32,
          source,
          name,
          code,
          zero: [source === 'reg' ? 'imm' : 'src']
        })
      }
    }
  }
  for (const [target, src] of Object.entries(CALL_SRC) as [CallKind, number][]) {
    const zero: Field[] = target === 'kfunc' ? ['dst'] : ['dst', 'off']
    rows.push({
      kind: 'call',
      target,
      name: `call_${target}`,
      code: Cls.JMP | 0x80,
      match: { field: 'src', value: src },
      zero
    })
  }
  rows.push({
    kind: 'call',
    target: 'reg',
    name: 'callx',
    code: Cls.JMP | Src.X | 0x80,
    zero: ['src', 'off', 'imm']
  })
  rows.push({
    kind: 'exit',
    name: 'exit',
    code: Cls.JMP | 0x90,
    zero: ['dst', 'src', 'off', 'imm']
  })
  return rows
}

function memRows(): Draft[] {
  const rows: Draft[] = []
  for (const [pseudo, src] of Object.entries(LDDW_SRC) as [LddwSrc, number][]) {
    rows.push({
      kind: 'lddw',
      pseudo,
      name: `lddw_${pseudo}`,
      code: Cls.LD | Mode.IMM | Size.DW,
      match: { field: 'src', value: src },
      zero: ['off']
    })
  }
  for (const [bytes, size, sfx] of SIZES) {
    if (bytes !== 8) {
      rows.push({
        kind: 'ldabs',
        bytes,
        name: `ldabs${sfx}`,
        code: Cls.LD | Mode.ABS | size,
        zero: ['dst', 'src', 'off']
      })
      rows.push({
        kind: 'ldind',
        bytes,
        name: `ldind${sfx}`,
        code: Cls.LD | Mode.IND | size,
        zero: ['dst', 'off']
      })
      rows.push({
        kind: 'ldx',
        bytes,
        signed: true,
        name: `ldxs${sfx}`,
        code: Cls.LDX | Mode.MEMSX | size,
        zero: ['imm']
      })
    }
    rows.push({
      kind: 'ldx',
      bytes,
      signed: false,
      name: `ldx${sfx}`,
      code: Cls.LDX | Mode.MEM | size,
      zero: ['imm']
    })
    rows.push({
      kind: 'st',
      bytes,
      name: `st${sfx}`,
      code: Cls.ST | Mode.MEM | size,
      zero: ['src']
    })
    rows.push({
      kind: 'stx',
      bytes,
      name: `stx${sfx}`,
      code: Cls.STX | Mode.MEM | size,
      zero: ['imm']
    })
  }
  for (const bytes of [4, 8] as const) {
    const code = Cls.STX | Mode.ATOMIC | (bytes === 8 ? Size.DW : Size.W)
    for (const [op, imm] of Object.entries(ATOMIC_OPS) as [AtomicOp, number][]) {
      rows.push({
        kind: 'atomic',
        op,
        bytes,
        name: `atomic${bytes * 8}_${op}`,
        code,
        match: { field: 'imm', value: imm },
        zero: []
      })
    }
  }
  return rows
}

/** Every row of the instruction set, indexed by `id`. */
export const OPS: readonly OpSpec[] = [...aluRows(), ...jmpRows(), ...memRows()].map(
  (row, id) => Object.freeze({ ...row, id }) as OpSpec
)

/** Rows by unique name. */
export const OPS_BY_NAME: ReadonlyMap<string, OpSpec> = new Map(OPS.map((s) => [s.name, s]))

/** Rows sharing each opcode byte (index 0..255; empty for unassigned bytes). */
export const OPS_BY_CODE: readonly (readonly OpSpec[])[] = (() => {
  const table: OpSpec[][] = Array.from({ length: 256 }, () => [])
  for (const s of OPS) table[s.code]?.push(s)
  return table
})()

/** Looks up a row by name; throws for unknown names (a programming error). */
export function opByName(name: string): OpSpec {
  const s = OPS_BY_NAME.get(name)
  if (s === undefined) throw new Error(`no opcode row named ${name}`)
  return s
}
