/** @fileoverview Register states as the kernel's verifier log prints them (`R1=map_value_or_null(id=1,off=0)`). */
import { decodeLenient } from '../isa/decode'
import { llvmText } from '../isa/disasm-llvm'
import type { Insn } from '../isa/insn'
import { isConst } from './reg'
import { M64 } from './tnum'
import { T, TYPE_NAMES, type Reg } from './types'

const S64_MIN = -(1n << 63n)
const S64_MAX = (1n << 63n) - 1n

/** The variable part of a value or offset, as `name=value` pairs (empty when unbounded). */
function bounds(r: Reg): string[] {
  const out: string[] = []
  if (r.smin !== S64_MIN) out.push(`smin=${r.smin}`)
  if (r.smax !== S64_MAX) out.push(`smax=${r.smax}`)
  if (r.umin !== 0n) out.push(`umin=${r.umin}`)
  if (r.umax !== M64) out.push(`umax=${r.umax}`)
  if (r.tm !== M64 && r.tm !== 0n)
    out.push(`var_off=(0x${r.tv.toString(16)}; 0x${r.tm.toString(16)})`)
  return out
}

/** One register's abstract value in the kernel log's notation. */
export function describeReg(r: Reg): string {
  if (r.type === T.NOT_INIT) return '?'
  if (r.type === T.SCALAR) {
    if (isConst(r)) return String(BigInt.asIntN(64, r.tv))
    const b = bounds(r)
    return b.length === 0 ? 'scalar()' : `scalar(${b.join(',')})`
  }
  if (r.type === T.STACK && isConst(r) && r.tv === 0n) return `fp${r.off}`
  const parts: string[] = []
  if (r.id !== 0) parts.push(`id=${r.id}`)
  if (r.ref !== 0) parts.push(`ref_obj_id=${r.ref}`)
  if (r.type === T.MAP_VALUE || r.type === T.MAP_VALUE_OR_NULL || r.type === T.MAP_PTR)
    parts.push(`map=${r.map}`)
  if (r.type === T.MEM || r.type === T.MEM_OR_NULL) parts.push(`sz=${r.map}`)
  parts.push(`off=${r.off}`)
  if (r.type === T.PKT || r.type === T.PKT_META) parts.push(`r=${r.range}`)
  if (!isConst(r) || r.tv !== 0n) parts.push(...bounds(r))
  return `${TYPE_NAMES[r.type] ?? '?'}(${parts.join(',')})`
}

/** The registers in `mask` (bit i = ri) as `R1=... R2=...`. */
export function describeRegs(regs: readonly Reg[], mask: number): string {
  const out: string[] = []
  for (let i = 0; i <= 10; i++) {
    if ((mask & (1 << i)) === 0) continue
    const r = regs[i]
    if (r !== undefined) out.push(`R${i}=${describeReg(r)}`)
  }
  return out.join(' ')
}

/** The llvm-objdump text of the instruction at slot `index` (empty when there is none). */
export function insnText(slots: readonly Insn[], index: number): string {
  const d = decodeLenient(slots).find((e) => e.index === index)
  return d === undefined ? '' : llvmText(d)
}

/**
 * A refusal as one line, like the kernel's log: the instruction, the reason and the abstract
 * values of the registers it reads, e.g. ``insn 14 `r3 = *(u64 *)(r1 + 0)`: R1 invalid mem
 * access 'map_value_or_null' (R1=map_value_or_null(id=1,map=0,off=0))``.
 */
export function describeRefusal(
  slots: readonly Insn[],
  error: { readonly message: string; readonly index?: number },
  state: string | undefined
): string {
  const at = error.index ?? 0
  const text = insnText(slots, at)
  const where = text === '' ? `insn ${at}` : `insn ${at} \`${text}\``
  return `${where}: ${error.message}${state !== undefined && state !== '' ? ` (${state})` : ''}`
}
