/**
 * @fileoverview An independent, deliberately simple BigInt model of eBPF ALU and jump semantics
 * (RFC 9669 + Linux), used only by property tests of the interpreter.
 */

const M64 = (1n << 64n) - 1n
const M32 = (1n << 32n) - 1n

function u64(x: bigint): bigint {
  return x & M64
}
function s64(x: bigint): bigint {
  return BigInt.asIntN(64, x)
}
function u32(x: bigint): bigint {
  return x & M32
}
function s32(x: bigint): bigint {
  return BigInt.asIntN(32, x)
}

/** Result of `dst op src` for a 64-bit ALU operation (operands and result as u64). */
export function alu64(op: string, dst: bigint, src: bigint): bigint {
  switch (op) {
    case 'add':
      return u64(dst + src)
    case 'sub':
      return u64(dst - src)
    case 'mul':
      return u64(dst * src)
    case 'div':
      return src === 0n ? 0n : dst / src
    case 'mod':
      return src === 0n ? dst : dst % src
    case 'sdiv':
      return src === 0n ? 0n : u64(s64(dst) / s64(src))
    case 'smod':
      return src === 0n ? dst : u64(s64(dst) % s64(src))
    case 'or':
      return dst | src
    case 'and':
      return dst & src
    case 'xor':
      return dst ^ src
    case 'lsh':
      return u64(dst << (src & 63n))
    case 'rsh':
      return dst >> (src & 63n)
    case 'arsh':
      return u64(s64(dst) >> (src & 63n))
    case 'mov':
      return src
    case 'neg':
      return u64(-dst)
    default:
      throw new Error(op)
  }
}

/** Result of `dst op src` for a 32-bit ALU operation (zero-extended to u64). */
export function alu32(op: string, dst: bigint, src: bigint): bigint {
  const a = u32(dst)
  const b = u32(src)
  switch (op) {
    case 'add':
      return u32(a + b)
    case 'sub':
      return u32(a - b)
    case 'mul':
      return u32(a * b)
    case 'div':
      return b === 0n ? 0n : a / b
    case 'mod':
      return b === 0n ? a : a % b
    case 'sdiv':
      return b === 0n ? 0n : u32(s32(a) / s32(b))
    case 'smod':
      return b === 0n ? a : u32(s32(a) % s32(b))
    case 'or':
      return a | b
    case 'and':
      return a & b
    case 'xor':
      return a ^ b
    case 'lsh':
      return u32(a << (b & 31n))
    case 'rsh':
      return a >> (b & 31n)
    case 'arsh':
      return u32(s32(a) >> (b & 31n))
    case 'mov':
      return b
    case 'neg':
      return u32(-a)
    default:
      throw new Error(op)
  }
}

/** Whether a conditional jump is taken (operands as u64). */
export function jumpTaken(cond: string, is32: boolean, dst: bigint, src: bigint): boolean {
  const a = is32 ? u32(dst) : dst
  const b = is32 ? u32(src) : src
  const sa = is32 ? s32(a) : s64(a)
  const sb = is32 ? s32(b) : s64(b)
  switch (cond) {
    case 'jeq':
      return a === b
    case 'jne':
      return a !== b
    case 'jgt':
      return a > b
    case 'jge':
      return a >= b
    case 'jlt':
      return a < b
    case 'jle':
      return a <= b
    case 'jset':
      return (a & b) !== 0n
    case 'jsgt':
      return sa > sb
    case 'jsge':
      return sa >= sb
    case 'jslt':
      return sa < sb
    case 'jsle':
      return sa <= sb
    default:
      throw new Error(cond)
  }
}
