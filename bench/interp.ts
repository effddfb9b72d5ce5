/**
 * @fileoverview Interpreter benchmark: for each K2 benchmark program, instructions per second
 * and complete runs per second (median of several timed rounds) on random inputs of the
 * program's kind; then a micro benchmark of the 64-bit register representation
 * (int32 halves vs BigInt64Array). Run with `npx tsx bench/interp.ts`.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { parseK2Program } from '../src-daemon/core/formats/k2'
import {
  compileProgram,
  createMachine,
  ctxKindForK2,
  type RunInput
} from '../src-daemon/core/interp'
import { mul64, OUT } from '../src-daemon/core/interp/int64'
import { requireShared } from './support/shared-data'

const DIR = requireShared('bench/k2/', 'interp')
const ROUNDS = 7
const INPUTS = 64
const ROUND_MS = 150

function rng(seed: number): () => number {
  let x = seed | 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return x >>> 0
  }
}

function randomBytes(next: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = next() & 0xff
  return b
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

function benchProgram(name: string): void {
  const base = DIR + name
  const parsed = parseK2Program(
    readFileSync(base + '.insns'),
    readFileSync(base + '.maps', 'utf8'),
    readFileSync(base + '.desc', 'utf8'),
    name
  )
  if (!parsed.ok) throw new Error(parsed.error.message)
  const { slots, maps, desc } = parsed.value
  const kind = ctxKindForK2(desc.pgmInputType)
  const compiled = compileProgram(slots, maps, kind)
  const m = createMachine(compiled)
  const next = rng(1234)
  const inputs: RunInput[] = []
  for (let i = 0; i < INPUTS; i++) {
    const bytes = randomBytes(next, desc.maxPktSz)
    const randoms = [next(), next()]
    inputs.push(
      kind === 'xdp'
        ? { packet: bytes, randoms, stackSeed: i }
        : { ctx: bytes, randoms, stackSeed: i }
    )
  }
  const statuses = [0, 0, 0]
  for (const inp of inputs) statuses[m.exec(inp)]!++
  const runRates: number[] = []
  const insnRates: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    let runs = 0
    let steps = 0
    const t0 = performance.now()
    let t = t0
    while (t - t0 < ROUND_MS) {
      for (let i = 0; i < INPUTS; i++) {
        m.exec(inputs[i]!)
        steps += m.steps
      }
      runs += INPUTS
      t = performance.now()
    }
    const sec = (t - t0) / 1000
    runRates.push(runs / sec)
    insnRates.push(steps / sec)
  }
  const avgSteps = (median(insnRates) / median(runRates)).toFixed(1)
  console.log(
    `${name.padEnd(20)} ${kind.padEnd(5)} slots ${String(slots.length).padStart(3)}  steps/run ${avgSteps.padStart(5)}  ` +
      `runs/s ${(median(runRates) / 1e6).toFixed(2)} M  insns/s ${(median(insnRates) / 1e6).toFixed(1)} M  ` +
      `(exit ${statuses[0]}, fault ${statuses[1]}, tail ${statuses[2]})`
  )
}

/**
 * Representation benchmark: the same tiny interpreter (dispatch over a compiled loop of
 * mul/add/mov/rsh/xor/sub/jne) with registers as int32 halves in an Int32Array versus a
 * BigInt64Array with BigInt arithmetic. Both compute the same r0, which is checked.
 */
const MINI = [
  [0, 0, 2], // r0 *= r2
  [1, 0, 1], // r0 += r1
  [2, 3, 0], // r3 = r0
  [3, 3, 7], // r3 >>= 7 (imm)
  [4, 0, 3], // r0 ^= r3
  [5, 1, 1], // r1 -= 1 (imm)
  [6, 1, 0] // if r1 != 0 goto 0
] as const

function miniHalves(iters: number): bigint {
  const R = new Int32Array(8)
  R[2] = iters
  R[4] = 0x9e3779b9 | 0
  for (let pc = 0; ;) {
    const [op, d, s] = MINI[pc]!
    const a = d * 2
    const b = s * 2
    switch (op) {
      case 0:
        mul64(R[a]!, R[a + 1]!, R[b]!, R[b + 1]!)
        R[a] = OUT[0]!
        R[a + 1] = OUT[1]!
        break
      case 1: {
        const lo = (R[a]! + R[b]!) | 0
        R[a + 1] = (R[a + 1]! + R[b + 1]! + (lo >>> 0 < R[a]! >>> 0 ? 1 : 0)) | 0
        R[a] = lo
        break
      }
      case 2:
        R[a] = R[b]!
        R[a + 1] = R[b + 1]!
        break
      case 3:
        R[a] = (R[a]! >>> s) | (R[a + 1]! << (32 - s))
        R[a + 1] = R[a + 1]! >>> s
        break
      case 4:
        R[a] = R[a]! ^ R[b]!
        R[a + 1] = R[a + 1]! ^ R[b + 1]!
        break
      case 5: {
        const lo = (R[a]! - s) | 0
        R[a + 1] = (R[a + 1]! - (R[a]! >>> 0 < s ? 1 : 0)) | 0
        R[a] = lo
        break
      }
      case 6:
        if (R[a] !== 0 || R[a + 1] !== 0) {
          pc = 0
          continue
        }
        return (BigInt(R[1]! >>> 0) << 32n) | BigInt(R[0]! >>> 0)
    }
    pc++
  }
}

function miniBigInt(iters: number): bigint {
  const R = new BigInt64Array(4)
  R[1] = BigInt(iters)
  R[2] = 0x9e3779b9n
  for (let pc = 0; ;) {
    const [op, d, s] = MINI[pc]!
    switch (op) {
      case 0:
        R[d] = BigInt.asIntN(64, R[d]! * R[s]!)
        break
      case 1:
        R[d] = BigInt.asIntN(64, R[d]! + R[s]!)
        break
      case 2:
        R[d] = R[s]!
        break
      case 3:
        R[d] = BigInt.asIntN(64, BigInt.asUintN(64, R[d]!) >> BigInt(s))
        break
      case 4:
        R[d] = R[d]! ^ R[s]!
        break
      case 5:
        R[d] = BigInt.asIntN(64, R[d]! - BigInt(s))
        break
      case 6:
        if (R[d] !== 0n) {
          pc = 0
          continue
        }
        return BigInt.asUintN(64, R[0]!)
    }
    pc++
  }
}

function microBench(): void {
  const iters = 300_000
  const steps = iters * MINI.length
  const time = (f: () => bigint): [number, bigint] => {
    const xs: number[] = []
    let v = 0n
    for (let r = 0; r < 7; r++) {
      const t0 = performance.now()
      v = f()
      xs.push(performance.now() - t0)
    }
    return [median(xs), v]
  }
  const [th, vh] = time(() => miniHalves(iters))
  const [tb, vb] = time(() => miniBigInt(iters))
  console.log(
    `\nrepresentation (mini interpreter, ${(steps / 1e6).toFixed(1)} M ops/run, median of 7): ` +
      `int32 halves ${(steps / th / 1e3).toFixed(1)} M ops/s, BigInt64Array ${(steps / tb / 1e3).toFixed(1)} M ops/s, ` +
      `halves ${(tb / th).toFixed(1)}x faster, same r0: ${vh === vb}`
  )
}

const names = readdirSync(DIR)
  .filter((f) => f.endsWith('.insns'))
  .map((f) => f.slice(0, -'.insns'.length))
  .sort()
for (const n of names) benchProgram(n)
microBench()
