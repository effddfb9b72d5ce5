/**
 * @fileoverview Test helpers: a tiny straight-line ALU evaluator (bigint reference semantics,
 * r1/r2 inputs, r0 output) implementing ErrorEvaluator, and a toy prover over many inputs.
 */
import type { Candidate } from '../../src-daemon/core/search/candidate'
import { SlotKind, NO_ROW } from '../../src-daemon/core/search/candidate'
import type { ErrorEvaluator, JsonValue } from '../../src-daemon/core/search/cost'
import {
  ErrorAccumulator,
  type ErrorMetricOptions
} from '../../src-daemon/core/search/error-metric'
import type { ProofResult } from '../../src-daemon/core/search/chain-types'
import { Rng } from '../../src-daemon/core/search/rng'
import { OPS } from '../../src-daemon/core/isa/opcodes'
import { insn, type Insn } from '../../src-daemon/core/isa/insn'

const M64 = (1n << 64n) - 1n
const M32 = (1n << 32n) - 1n

/** A test input: values of r1 and r2. */
export type ToyInput = readonly [bigint, bigint]

function sx(v: bigint, bits: number): bigint {
  return BigInt.asIntN(bits, v)
}

/** Runs straight-line ALU code; returns r0, or undefined on a fault (unsupported op, unread reg, no exit). */
export function runToy(c: Candidate, input: ToyInput): bigint | undefined {
  const regs = new Array<bigint>(11).fill(0n)
  let readable = (1 << 1) | (1 << 2) | (1 << 10)
  regs[1] = input[0] & M64
  regs[2] = input[1] & M64
  for (let i = 0; i < c.length; i++) {
    if (c.kind[i] !== SlotKind.live) continue
    const r = c.row[i]!
    if (r === NO_ROW) return undefined
    const s = OPS[r]!
    if (s.kind === 'exit') return readable & 1 ? regs[0] : undefined
    if (s.kind !== 'alu' || s.op === 'sdiv' || s.op === 'smod' || s.op === 'movsx') return undefined
    const d = c.dst[i]!
    if (d > 9) return undefined
    const needsDst = s.op !== 'mov'
    if (needsDst && !(readable & (1 << d))) return undefined
    let b: bigint
    if (s.source === 'reg') {
      const sr = c.src[i]!
      if (sr > 10 || !(readable & (1 << sr))) return undefined
      b = regs[sr]!
    } else b = BigInt(c.imm[i]!) & M64 // sign-extended imm
    const width = s.is64 ? 64 : 32
    const mask = s.is64 ? M64 : M32
    const a = regs[d]! & mask
    b &= mask
    let v: bigint
    switch (s.op) {
      case 'add':
        v = a + b
        break
      case 'sub':
        v = a - b
        break
      case 'mul':
        v = a * b
        break
      case 'div':
        v = b === 0n ? 0n : a / b
        break
      case 'mod':
        v = b === 0n ? a : a % b
        break
      case 'or':
        v = a | b
        break
      case 'and':
        v = a & b
        break
      case 'xor':
        v = a ^ b
        break
      case 'lsh':
        v = a << (b & BigInt(width - 1))
        break
      case 'rsh':
        v = a >> (b & BigInt(width - 1))
        break
      case 'arsh':
        v = sx(a, width) >> (b & BigInt(width - 1))
        break
      case 'neg':
        v = -a
        break
      case 'mov':
        v = b
        break
      default:
        return undefined
    }
    regs[d] = v & mask
    readable |= 1 << d
  }
  return undefined
}

const FAULT_DISTANCE = 128

/** Straight-line ALU ErrorEvaluator over r1/r2 inputs; tests are JSON `[r1, r2]` decimal strings. */
export class ToyEvaluator implements ErrorEvaluator {
  readonly inputs: ToyInput[] = []
  readonly expected: bigint[] = []
  calls = 0
  testRuns = 0
  private readonly acc: ErrorAccumulator

  /** `ignoreBound` evaluates every test regardless of the bound (for early-exit checks). */
  constructor(
    readonly reference: Candidate,
    inputs: readonly ToyInput[],
    metric: ErrorMetricOptions = { errorMetric: 'pop', errorMode: 'eq2', errorAverage: true },
    readonly ignoreBound = false
  ) {
    this.acc = new ErrorAccumulator(metric)
    for (const t of inputs) this.push(t)
  }

  private push(t: ToyInput): void {
    const out = runToy(this.reference, t)
    if (out === undefined) throw new Error('reference faults')
    this.inputs.push(t)
    this.expected.push(out)
  }

  error(c: Candidate, bound: number): number {
    this.calls++
    const acc = this.acc
    acc.begin(this.inputs.length)
    for (let k = 0; k < this.inputs.length; k++) {
      const got = runToy(c, this.inputs[k]!)
      this.testRuns++
      if (got === undefined) acc.distance(FAULT_DISTANCE)
      else {
        const e = this.expected[k]!
        acc.word(Number(e & M32), Number(e >> 32n), Number(got & M32), Number(got >> 32n))
      }
      acc.endTest()
      if (!this.ignoreBound && acc.exceeds(bound)) return acc.value()
    }
    return acc.value()
  }

  addTest(test: JsonValue): void {
    if (!Array.isArray(test) || test.length !== 2) throw new Error('bad toy test')
    this.push([BigInt(test[0] as string), BigInt(test[1] as string)])
  }
}

/** Inputs used by the toy prover: edge values plus seeded random 64-bit values. */
function proverInputs(): ToyInput[] {
  const edges = [
    0n,
    1n,
    2n,
    0xffn,
    0x100n,
    0xffffffffn,
    0x100000000n,
    1n << 63n,
    M64,
    12345678901234n
  ]
  const out: ToyInput[] = []
  for (const a of edges) for (const b of edges) out.push([a, b])
  const rng = new Rng(4242)
  const r64 = (): bigint => (BigInt(rng.nextU32()) << 32n) | BigInt(rng.nextU32())
  for (let i = 0; i < 200; i++) out.push([r64(), r64()])
  return out
}

const PROVER_INPUTS = proverInputs()

/** A toy "prover": equal when outputs agree on ~300 inputs, else the first differing input. */
export function toyProver(reference: Candidate): (c: Candidate) => ProofResult {
  return (c) => {
    for (const t of PROVER_INPUTS) {
      const want = runToy(reference, t)
      const got = runToy(c, t)
      if (got === undefined) return { kind: 'unknown', reason: 'candidate faults' }
      if (got !== want)
        return { kind: 'notEqual', counterexample: [t[0].toString(), t[1].toString()] }
    }
    return { kind: 'equal' }
  }
}

/** Shorthand constructors for test programs. */
export const asm = {
  movReg: (d: number, s: number): Insn => insn(0xbf, d, s),
  movImm: (d: number, imm: number): Insn => insn(0xb7, d, 0, 0, imm),
  addImm: (d: number, imm: number): Insn => insn(0x07, d, 0, 0, imm),
  addReg: (d: number, s: number): Insn => insn(0x0f, d, s),
  mulImm: (d: number, imm: number): Insn => insn(0x27, d, 0, 0, imm),
  lshImm: (d: number, imm: number): Insn => insn(0x67, d, 0, 0, imm),
  rshImm: (d: number, imm: number): Insn => insn(0x77, d, 0, 0, imm),
  andImm: (d: number, imm: number): Insn => insn(0x57, d, 0, 0, imm),
  ja: (off: number): Insn => insn(0x05, 0, 0, off),
  jeqImm: (d: number, imm: number, off: number): Insn => insn(0x15, d, 0, off, imm),
  lddw: (d: number, lo: number, hi: number): Insn[] => [
    insn(0x18, d, 0, 0, lo),
    insn(0, 0, 0, 0, hi)
  ],
  ldxw: (d: number, s: number, off: number): Insn => insn(0x61, d, s, off),
  stxdw: (d: number, s: number, off: number): Insn => insn(0x7b, d, s, off),
  stw: (d: number, off: number, imm: number): Insn => insn(0x62, d, 0, off, imm),
  call: (id: number): Insn => insn(0x85, 0, 0, 0, id),
  exit: (): Insn => insn(0x95)
}
