/** @fileoverview End-to-end search: a redundant program shrinks, the result is proven, safe and deterministic. */
import { mkdtempSync } from 'node:fs'
import { release, tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { requiredFeatures } from '../../src-daemon/engine/kernel/features'
import { isRoot, missingKernelFeatures, printSkip } from '../support/environment'
import { optimizeCommand } from '../../src-daemon/cli/cmd-optimize'
import { loadInput, selectPrograms } from '../../src-daemon/engine/program/load'
import { kernelVerify } from '../../src-daemon/cli/optimize-kernel'
import { kernelPlan } from '../../src-daemon/engine/kernel/kernel-plan'
import { runnable } from '../../src-daemon/engine/program/program-model'
import { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import { assemble } from '../../src-daemon/core/isa/asm'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { analyze } from '../../src-daemon/core/analysis/verifier'
import { checkEquivalence } from '../../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'
import { runSearch } from '../../src-daemon/engine/search/engine'
import { prepareJob } from '../../src-daemon/engine/search/prepare'
import { Z3Instance } from '../../src-daemon/engine/z3/z3-instance'
import { restoreChain } from '../../src-daemon/core/search/checkpoint'
import { InterpEvaluator } from '../../src-daemon/core/search/evaluator'
import { canonicalProofKey } from '../../src-daemon/core/search/proof-key'
import {
  generateTestInputs,
  runInputFromJson,
  runInputToJson
} from '../../src-daemon/core/search/test-inputs'

const SOURCE = [
  'r0 = *(u32 *)(r1 + 0)',
  'r0 += 0',
  'r2 = r0',
  'r0 = r2',
  'r0 *= 1',
  'r3 = 7',
  'exit'
].join('\n')

const MODEL: EncodeModel = { ctx: 'plain', maxPacket: 0, ctxSize: 512, maps: [] }

function program(): Insn[] {
  const r = assemble(SOURCE, 'auto', { file: 'redundant.s' })
  if (!r.ok) throw new Error(r.error.message)
  return r.value
}

async function search(seed: number): Promise<Insn[]> {
  const job = prepareJob(
    { slots: program(), model: MODEL, progType: 'plain' },
    { seed, iterations: 6000 }
  )
  if (!job.ok) throw new Error(job.error.message)
  const out = await runSearch(job.value, { chains: 1 })
  expect(out.failures).toEqual([])
  expect(out.progress.iterations).toBe(6000)
  return out.best
}

describe('optimize (in-process chain)', () => {
  it('shrinks a redundant program to a proven-equal, analysis-accepted one, deterministically', async () => {
    const original = program()
    const first = await search(3)
    expect(first.length).toBeLessThan(original.length)
    expect(first.length).toBe(2) // r0 = *(u32 *)(r1 + 0); exit
    const z3 = await Z3Instance.create()
    try {
      const proof = await checkEquivalence(original, first, MODEL, z3, { timeoutMs: 30_000 })
      expect(proof.kind).toBe('equal')
    } finally {
      await z3.dispose()
    }
    expect(analyze(first, { progType: 'plain', maps: [], ctxSize: 512 }).ok).toBe(true)
    const second = await search(3)
    expect(second).toEqual(first)
  }, 60_000)
})

describe('target kernel of a job', () => {
  it('defaults to the running kernel, keeps a given one, and refuses originals the target cannot load', () => {
    const slots = program()
    const running = prepareJob({ slots, model: MODEL, progType: 'plain' }, {})
    expect(running.ok && running.value.options.targetKernel).toMatch(/^\d+\.\d+$/)
    expect(running.ok && release().startsWith(running.value.options.targetKernel)).toBe(true)
    const old = prepareJob(
      { slots, model: MODEL, progType: 'plain' },
      { targetKernel: '6.1.0-57-cloud-amd64' }
    )
    expect(old.ok && old.value.options.targetKernel).toBe('6.1')
    expect(old.ok && old.value.profile.targetKernel).toEqual({ major: 6, minor: 1 })
    const v4 = assemble('r0 = 7\nr0 s/= 3\nexit', 'llvm')
    if (!v4.ok) throw new Error(v4.error.message)
    const refused = prepareJob(
      { slots: v4.value, model: MODEL, progType: 'plain' },
      { targetKernel: '6.1' }
    )
    expect(refused).toMatchObject({ ok: false, error: { code: 'OPTIMIZE_ORIGINAL_UNSAFE' } })
    if (!refused.ok) expect(refused.error.message).toMatch(/CFG_TARGET_KERNEL/)
  })
})

describe('search helpers', () => {
  it('test inputs round-trip through JSON and are seeded', () => {
    const model: EncodeModel = {
      ctx: 'xdp',
      maxPacket: 128,
      ctxSize: 24,
      maps: [{ type: 1, keySize: 4, valueSize: 8, maxEntries: 16 }]
    }
    const a = generateTestInputs(model, { count: 12, seed: 5 })
    const b = generateTestInputs(model, { count: 12, seed: 5 })
    expect(a.map(runInputToJson)).toEqual(b.map(runInputToJson))
    for (const t of a)
      expect(runInputToJson(runInputFromJson(runInputToJson(t))!)).toEqual(runInputToJson(t))
    expect(
      a.some((t) => (t.packet?.length ?? 0) >= 34 && t.packet![12] === 8 && t.packet![13] === 0)
    ).toBe(true)
  })

  it('canonical proof keys identify r6..r9 renamings only', () => {
    const a = assemble('r6 = r1\nr0 = *(u32 *)(r6 + 0)\nexit', 'auto', {})
    const b = assemble('r8 = r1\nr0 = *(u32 *)(r8 + 0)\nexit', 'auto', {})
    const c = assemble('r2 = r1\nr0 = *(u32 *)(r2 + 0)\nexit', 'auto', {})
    if (!a.ok || !b.ok || !c.ok) throw new Error('assembly failed')
    expect(canonicalProofKey(a.value)).toBe(canonicalProofKey(b.value))
    expect(canonicalProofKey(a.value)).not.toBe(canonicalProofKey(c.value))
  })
})

/**
 * Asserts that the first program of `out` is proven equal to that of `original` and, where BPF
 * is available, that the kernel verifier accepts it (printing why when it is not available).
 */
async function expectProvenAndLoadable(
  original: string,
  out: string,
  timeoutMs: number
): Promise<void> {
  const input = loadInput(out)
  const prog = selectPrograms(input, undefined)[0]!
  const r = runnable(input, prog)
  const orig = runnable(loadInput(original), selectPrograms(loadInput(original), undefined)[0]!)
  const z3 = await Z3Instance.create()
  try {
    const proof = await checkEquivalence(orig.slots, r.slots, orig.model, z3, { timeoutMs })
    expect(proof.kind).toBe('equal')
  } finally {
    await z3.dispose()
  }
  const what = `kernel load of the optimized ${basename(original)}`
  if (!isRoot(what)) return
  const oracle = new KernelOracle()
  const a = await oracle.availability()
  await oracle.dispose()
  if (!a.available) return printSkip(what, a.reason)
  const plan = kernelPlan(input, prog, undefined)
  const needs = requiredFeatures(
    r.slots,
    plan.progType,
    plan.maps.map((m) => m.type)
  )
  if ((await missingKernelFeatures(what, needs)).length > 0) return
  expect(await kernelVerify(input, prog, r.slots)).toMatch(/^accepted/)
}

describe('optimize command (ELF in, ELF out)', () => {
  it('writes a shorter object that re-reads, re-proves and loads in the kernel', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'summit-opt-'))
    const out = join(dir, 'out.o')
    const fixture = fileURLToPath(
      new URL('../../resources/samples/redundant_xdp.o', import.meta.url)
    )
    const text: string[] = []
    const io = { out: (t: string) => text.push(t), err: () => undefined }
    const code = await optimizeCommand.run(
      [fixture, '--iterations', '4000', '--chains', '1', '--seed', '2', '--out', out, '--json'],
      io
    )
    expect(code).toBe(0)
    const report = JSON.parse(text.join('')) as { originalSlots: number; bestSlots: number }
    expect(report.originalSlots).toBe(6)
    expect(report.bestSlots).toBe(2)
    expect(selectPrograms(loadInput(out), undefined)[0]!.slots.length).toBe(2)
    await expectProvenAndLoadable(fixture, out, 30_000)
  }, 60_000)
})

describe('optimize a program K2 rejects', () => {
  it('shrinks the compiled bounded-loop fixture (a backward jump) to a proven, kernel-accepted object', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'summit-opt-loop-'))
    const out = join(dir, 'loop.o')
    const fixture = fileURLToPath(new URL('../fixtures/obj/bounded_loop.o', import.meta.url))
    const text: string[] = []
    const io = { out: (t: string) => text.push(t), err: () => undefined }
    const code = await optimizeCommand.run(
      // A short run finds 24 → 19 here; the proof limit is generous so that a loaded machine
      // (a proof taking longer) does not change the outcome.
      [
        fixture,
        '--iterations',
        '600',
        '--chains',
        '1',
        '--seed',
        '1',
        '--proof-timeout',
        '60000',
        '--out',
        out,
        '--json'
      ],
      io
    )
    expect(code).toBe(0)
    const report = JSON.parse(text.join('')) as { originalSlots: number; bestSlots: number }
    expect(report.bestSlots).toBeLessThan(report.originalSlots)
    const orig = selectPrograms(loadInput(fixture), undefined)[0]!
    expect(orig.slots.some((s) => (s.code & 7) === 5 && s.off < 0)).toBe(true)
    await expectProvenAndLoadable(fixture, out, 60_000)
  }, 600_000)
})

describe('optimize (worker chains)', () => {
  it('runs two chains in worker threads, shares the best and returns checkpoints', async () => {
    const job = prepareJob(
      { slots: program(), model: MODEL, progType: 'plain' },
      { seed: 11, iterations: 0 }
    )
    if (!job.ok) throw new Error(job.error.message)
    const seen: number[] = []
    const out = await runSearch(job.value, {
      chains: 2,
      timeSeconds: 4,
      progressMs: 200,
      onProgress: (p) => seen.push(p.bestSlots)
    })
    expect(out.failures).toEqual([])
    expect(out.bestSlots).toBe(2)
    // Improvement times count from the first chain ready; the start-up before it is in `ms`.
    expect(out.improvements.length).toBeGreaterThan(0)
    for (const m of out.improvements) {
      expect(m.searchMs).toBeGreaterThanOrEqual(0)
      expect(m.searchMs).toBeLessThan(m.ms)
    }
    expect(out.progress.chains.length).toBe(2)
    expect(out.checkpoints.filter((c) => c !== undefined).length).toBe(2)
    expect(seen.length).toBeGreaterThan(0)
    const restored = restoreChain(out.checkpoints[0]!, {
      evaluator: new InterpEvaluator(program(), MODEL, [], job.value.options)
    })
    expect(restored.ok).toBe(true)
  }, 90_000)
})
