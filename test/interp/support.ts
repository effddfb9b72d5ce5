/** @fileoverview Test support for the interpreter: assemble uBPF text, run, and unwrap results. */
import { expect } from 'vitest'
import { assemble } from '../../src-daemon/core/isa/asm'
import { insn, type Insn } from '../../src-daemon/core/isa/insn'
import {
  compileProgram,
  createMachine,
  type CtxKind,
  type ExitResult,
  type MachineOptions,
  type MapDef,
  type RunInput,
  type RunResult
} from '../../src-daemon/core/interp'

/** Assembles uBPF-syntax text; throws on a syntax error (a broken test). */
export function asm(text: string): Insn[] {
  const r = assemble(text, 'ubpf')
  if (!r.ok) throw new Error(`${r.error.message} (line ${r.error.line})`)
  return r.value
}

/** The two slots of `lddw dst, map[index]` (BPF_PSEUDO_MAP_FD with index-as-fd). */
export function ldMap(dst: number, index: number): Insn[] {
  return [insn(0x18, dst, 1, 0, index), insn(0, 0, 0, 0, 0)]
}

/** Runs slots (or uBPF text) once. */
export function run(
  prog: string | Insn[],
  input: RunInput = {},
  ctx: CtxKind = 'plain',
  maps: MapDef[] = [],
  options: MachineOptions = {}
): RunResult {
  const slots = typeof prog === 'string' ? asm(prog) : prog
  return createMachine(compileProgram(slots, maps, ctx), options).run(input)
}

/** Expects an exit and returns it. */
export function exited(r: RunResult): ExitResult {
  if (r.kind !== 'exit') throw new Error(`expected exit, got fault at ${r.pc}: ${r.reason}`)
  return r
}

/** Runs and returns r0 (expects a normal exit). */
export function r0(
  prog: string | Insn[],
  input: RunInput = {},
  ctx: CtxKind = 'plain',
  maps: MapDef[] = []
): bigint {
  return exited(run(prog, input, ctx, maps)).r0
}

/** Expects a fault whose reason matches `pattern`. */
export function expectFault(r: RunResult, pattern: RegExp): void {
  expect(r.kind).toBe('fault')
  if (r.kind === 'fault') expect(r.reason).toMatch(pattern)
}

/** Little-endian bytes of a u32. */
export function u32le(v: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, v >>> 0, true)
  return b
}

/** Little-endian bytes of a u64. */
export function u64le(v: bigint): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true)
  return b
}

/** Placeholder immediate that {@link asmMaps} turns into a map reference to map `k`. */
export function mapRef(k: number): string {
  return `0xabcd0000${k.toString(16).padStart(8, '0')}`
}

/** Assembles uBPF text in which `lddw %rN, ${mapRef(k)}` loads map k (BPF_PSEUDO_MAP_FD, fd = index). */
export function asmMaps(text: string): Insn[] {
  const slots = asm(text)
  for (let i = 0; i + 1 < slots.length; i++) {
    const a = slots[i]!
    const b = slots[i + 1]!
    if (a.code === 0x18 && b.code === 0 && b.imm === (0xabcd0000 | 0)) {
      slots[i] = { ...a, src: 1 }
      slots[i + 1] = { ...b, imm: 0 }
    }
  }
  return slots
}
