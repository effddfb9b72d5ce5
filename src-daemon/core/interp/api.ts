/**
 * @fileoverview Public interpreter API: compile a program once, create a machine, run inputs.
 * `run` returns a value (slow path, allocates); `exec` + `captureOutcome`/`outcomeDistance`
 * is the search's allocation-free path.
 */
import type { Insn } from '../isa/insn'
import * as $compile from './compile'
import type { CompiledProgram } from './compile'
import * as $exec from './exec'
import * as $int64 from './int64'
import * as $machine from './machine'
import * as $map_store from './map-store'
import { XDP_HEADROOM } from './layout'
import type { PreparedRun } from './prepared-run'
import type { CtxKind, MachineOptions, MapDef, MapSnapshot, RunInput, RunResult } from './types'

// Imports copied into module constants once: under tsx/vite-node each access to an
// imported binding is a getter call, too costly on the interpreter hot path.
const { compileProgram } = $compile
const { execute } = $exec
const { pairToBigInt } = $int64
const { Machine, Region, Status } = $machine
const { MapShape } = $map_store

/** A machine with the run API. */
export class BpfMachine extends Machine {
  /** Runs on `input` and leaves the outcome in the machine; returns a Status (0 exit, 1 fault, 2 tail call). */
  exec(input: RunInput): number {
    this.setup(input)
    return execute(this)
  }

  /** Runs on a prepared input (see {@link Machine.prepare}); allocates nothing. */
  execPrepared(p: PreparedRun): number {
    this.setupPrepared(p)
    return execute(this)
  }

  /** Runs on `input` and returns the result as a value. */
  run(input: RunInput): RunResult {
    this.exec(input)
    return this.result()
  }

  /** Register `i` (0..10) after the last run, as an unsigned 64-bit value (for tests and tools). */
  register(i: number): bigint {
    return pairToBigInt(this.regs[i * 2]!, this.regs[i * 2 + 1]!)
  }

  /** The last run's result as a value (allocates). */
  result(): RunResult {
    if (this.status === Status.fault)
      return { kind: 'fault', pc: this.faultPc, reason: this.faultReason, steps: this.steps }
    const k = this.prog.ctxKind
    const pb = this.regionBase[Region.packet]!
    const cb = this.regionBase[Region.ctx]!
    const ctxLen =
      k === 'skb' || k === 'socket' || k === 'xdp' ? this.ctxSize : k === 'scalar' ? 0 : this.memLen
    return {
      kind: 'exit',
      via: this.status === Status.tailCall ? 'tail_call' : 'exit',
      r0: pairToBigInt(this.r0lo, this.r0hi),
      packet: this.heap.slice(pb + this.pktData, pb + this.pktEnd),
      meta: this.heap.slice(pb + this.pktMeta, pb + this.pktData),
      dataOffset: k === 'xdp' ? this.pktData - XDP_HEADROOM : 0,
      ringUsed: Array.from(this.ringUsed),
      ctx: this.heap.slice(cb, cb + ctxLen),
      maps: this.maps.map((m, i): MapSnapshot => {
        const entries = m.entries()
        if (m.shape === MapShape.hash) entries.sort((a, b) => compareBytes(a.key, b.key))
        return { name: m.def.name ?? `map${i}`, type: m.def.type, entries }
      }),
      outputs: this.effects.toEffects(),
      steps: this.steps
    }
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

/** Creates a machine for a compiled program (all state preallocated). */
export function createMachine(compiled: CompiledProgram, options: MachineOptions = {}): BpfMachine {
  return new BpfMachine(compiled, options)
}

/** Compiles and runs once (convenience for tests and the CLI). */
export function runOnce(
  slots: readonly Insn[],
  maps: readonly MapDef[],
  ctxKind: CtxKind,
  input: RunInput,
  options: MachineOptions = {}
): RunResult {
  return createMachine(compileProgram(slots, maps, ctxKind), options).run(input)
}

/** The context kind for K2's `pgm_input_type` (0 scalar, 1 flat buffer, 2 XDP, 3 skb). */
export function ctxKindForK2(pgmInputType: number): CtxKind {
  return pgmInputType === 0
    ? 'scalar'
    : pgmInputType === 2
      ? 'xdp'
      : pgmInputType === 3
        ? 'skb'
        : 'flat'
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i])
}

/** Structural equality of two run results (slow path; fault reasons and step counts ignored). */
export function resultEquals(a: RunResult, b: RunResult): boolean {
  if (a.kind === 'fault' || b.kind === 'fault') return a.kind === b.kind
  if (
    a.via !== b.via ||
    a.r0 !== b.r0 ||
    a.dataOffset !== b.dataOffset ||
    a.ringUsed.some((u, i) => u !== b.ringUsed[i]) ||
    !bytesEqual(a.packet, b.packet) ||
    !bytesEqual(a.meta, b.meta) ||
    !bytesEqual(a.ctx, b.ctx)
  )
    return false
  if (a.maps.length !== b.maps.length) return false
  for (let i = 0; i < a.maps.length; i++) {
    const x = a.maps[i]!.entries
    const y = b.maps[i]!.entries
    if (x.length !== y.length) return false
    for (let j = 0; j < x.length; j++)
      if (!bytesEqual(x[j]!.key, y[j]!.key) || !bytesEqual(x[j]!.value, y[j]!.value)) return false
  }
  return JSON.stringify(a.outputs, jsonBig) === JSON.stringify(b.outputs, jsonBig)
}

function jsonBig(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Uint8Array) return Array.from(v)
  return v
}
