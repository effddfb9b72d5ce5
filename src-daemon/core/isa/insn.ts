/** @fileoverview The raw eBPF instruction slot and its 8-byte little-endian encoding. */

/**
 * One 8-byte instruction slot exactly as stored: a `ld_imm64` occupies two slots, the second
 * with code 0 whose `imm` carries the upper 32 bits. Fields are kept raw so every slot
 * round-trips bit-exactly, including reserved fields that validation may reject.
 */
export interface Insn {
  /** The opcode byte (class | source | operation, or class | mode | size). */
  code: number
  /** Destination register field, 0..15 (low nibble of byte 1). */
  dst: number
  /** Source register field, 0..15 (high nibble of byte 1). */
  src: number
  /** Signed 16-bit offset. */
  off: number
  /** Signed 32-bit immediate. */
  imm: number
}

/** Size of one instruction slot in bytes. */
export const INSN_SIZE = 8

/** Makes an instruction slot; fields are normalised to their encoded ranges. */
export function insn(code: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return { code: code & 0xff, dst: dst & 0xf, src: src & 0xf, off: (off << 16) >> 16, imm: imm | 0 }
}

/** Reads slot `index` of `bytes` (which must hold it). */
export function readInsn(bytes: Uint8Array, index: number): Insn {
  const view = new DataView(bytes.buffer, bytes.byteOffset + index * INSN_SIZE, INSN_SIZE)
  const regs = view.getUint8(1)
  return {
    code: view.getUint8(0),
    dst: regs & 0xf,
    src: regs >> 4,
    off: view.getInt16(2, true),
    imm: view.getInt32(4, true)
  }
}

/** Writes `ins` into slot `index` of `bytes`. */
export function writeInsn(bytes: Uint8Array, index: number, ins: Insn): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + index * INSN_SIZE, INSN_SIZE)
  view.setUint8(0, ins.code & 0xff)
  view.setUint8(1, ((ins.src & 0xf) << 4) | (ins.dst & 0xf))
  view.setInt16(2, ins.off, true)
  view.setInt32(4, ins.imm, true)
}

/** Splits raw bytecode (length a multiple of 8) into slots. */
export function slotsFromBytes(bytes: Uint8Array): Insn[] {
  const out: Insn[] = []
  const n = Math.floor(bytes.length / INSN_SIZE)
  for (let i = 0; i < n; i++) out.push(readInsn(bytes, i))
  return out
}

/** Joins slots into raw bytecode. */
export function bytesFromSlots(slots: readonly Insn[]): Uint8Array {
  const out = new Uint8Array(slots.length * INSN_SIZE)
  slots.forEach((s, i) => writeInsn(out, i, s))
  return out
}
