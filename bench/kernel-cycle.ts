/**
 * @fileoverview Measures one full kernel oracle cycle (create maps, load, run, read maps, close).
 * Usage: `npm run bench -- kernel-cycle [CYCLES]` (default 2000; needs root).
 */
import { KernelOracle } from '../src-daemon/engine/kernel/oracle'
import { insn, type Insn } from '../src-daemon/core/isa/insn'
import { MapType, ProgType } from '../src-daemon/engine/kernel/bpf-constants'
import type { MapSpec } from '../src-daemon/engine/kernel/oracle-types'

/** XDP program: counts packets in array map 0 (key 0) with an atomic add; returns XDP_PASS. */
const COUNTER_PROGRAM: Insn[] = [
  insn(0x62, 10, 0, -4, 0), // *(u32 *)(r10 - 4) = 0
  insn(0xbf, 2, 10), // r2 = r10
  insn(0x07, 2, 0, 0, -4), // r2 += -4
  insn(0x18, 1, 1, 0, 0), // r1 = map[0] ll
  insn(0, 0, 0, 0, 0),
  insn(0x85, 0, 0, 0, 1), // call bpf_map_lookup_elem
  insn(0x15, 0, 0, 2, 0), // if r0 == 0 goto +2
  insn(0xb7, 1, 0, 0, 1), // r1 = 1
  insn(0xdb, 0, 1, 0, 0), // lock *(u64 *)(r0 + 0) += r1
  insn(0xb7, 0, 0, 0, 2), // r0 = XDP_PASS
  insn(0x95) // exit
]

const MAPS: MapSpec[] = [
  { type: MapType.array, keySize: 4, valueSize: 8, maxEntries: 4 },
  { type: MapType.hash, keySize: 4, valueSize: 8, maxEntries: 16 }
]

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? NaN
}

async function main(): Promise<void> {
  const cycles = Number(process.argv[2] ?? 2000)
  const oracle = new KernelOracle()
  const a = await oracle.availability()
  if (!a.available) {
    process.stderr.write(`kernel oracle unavailable: ${a.reason}\n`)
    process.exitCode = 2
    return
  }
  const packet = new Uint8Array(64)
  const times: number[] = []
  for (let i = 0; i < cycles + 50; i++) {
    const t0 = process.hrtime.bigint()
    const r = await oracle.runOnce(COUNTER_PROGRAM, MAPS, { progType: ProgType.xdp, data: packet })
    const dt = Number(process.hrtime.bigint() - t0) / 1e6
    if (!r.ok) throw new Error(`cycle failed: ${r.error.message}`)
    if (i >= 50) times.push(dt) // skip warm-up
  }
  const sorted = [...times].sort((x, y) => x - y)
  const p = (q: number): number => sorted[Math.floor(q * (sorted.length - 1))] ?? NaN
  process.stdout.write(
    `kernel cycle (2 maps, ${COUNTER_PROGRAM.length} slots, XDP, 64-byte packet), ${cycles} cycles: ` +
      `median ${median(times).toFixed(3)} ms, p10 ${p(0.1).toFixed(3)} ms, p90 ${p(0.9).toFixed(3)} ms\n`
  )

  // The hot path of differential testing: one loaded program, many test runs.
  const maps = await Promise.all(MAPS.map((m) => oracle.createMap(m)))
  const handles = maps.flatMap((m) => (m.ok ? [m.value] : []))
  const prog = await oracle.load(COUNTER_PROGRAM, handles, { progType: ProgType.xdp })
  if (!prog.ok) throw new Error(`load failed: ${prog.error.message}`)
  const runTimes: number[] = []
  for (let i = 0; i < cycles; i++) {
    const t0 = process.hrtime.bigint()
    const r = await oracle.testRun(prog.value, ProgType.xdp, { data: packet })
    runTimes.push(Number(process.hrtime.bigint() - t0) / 1e6)
    if (!r.ok) throw new Error(`run failed: ${r.error.message}`)
  }
  process.stdout.write(`test run of a loaded program: median ${median(runTimes).toFixed(3)} ms\n`)
  await oracle.dispose()
}

await main()
