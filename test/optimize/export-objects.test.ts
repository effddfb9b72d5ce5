/**
 * @fileoverview `summit optimize` on compiled objects whose result could not be exported before:
 * a removed map load (tracepoint, cgroup_skb), moved global-data loads, changed subprograms. Each
 * written object must read back, be proven equal by `summit verify` and, where BPF is available,
 * load with bpftool exactly as the original does.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { optimizeCommand } from '../../src-daemon/cli/cmd-optimize'
import { verifyCommand } from '../../src-daemon/cli/cmd-verify'
import { objectLoadVerdict } from '../../src-daemon/cli/object-load-check'
import { readBpfObject, type BpfObject, type BpfProgram } from '../../src-daemon/core/formats'
import { OBJ, runCli } from '../differential/cli-support'

const work = mkdtempSync(join(tmpdir(), 'summit-export-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const canLoad = (process.getuid?.() ?? -1) === 0 && spawnSync('bpftool', ['version']).status === 0
if (!canLoad) console.log('[export-objects] bpftool loads skipped: needs root and bpftool')
const hasKernelBtf = existsSync('/sys/kernel/btf/vmlinux')
if (!hasKernelBtf) console.log('[export-objects] CO-RE export skipped: no /sys/kernel/btf/vmlinux')

function read(path: string): BpfObject {
  const r = readBpfObject(new Uint8Array(readFileSync(path)), { file: path })
  if (!r.ok) throw new Error(`${path}: ${r.error.code} ${r.error.message}`)
  return r.value
}

function program(obj: BpfObject, name: string): BpfProgram {
  const p = obj.programs.find((x) => x.name === name)
  if (p === undefined) throw new Error(`no program ${name}`)
  return p
}

/** `bpftool prog loadall` of an object; its exit status and the end of its log. */
function loadall(path: string, tag: string): { status: number | null; log: string } {
  const pin = `/sys/fs/bpf/summit_export_${process.pid}_${tag}`
  try {
    const r = spawnSync('bpftool', ['prog', 'loadall', path, pin], { encoding: 'utf8' })
    return { status: r.status, log: r.stderr.slice(-400) }
  } finally {
    rmSync(pin, { recursive: true, force: true })
  }
}

interface Exported {
  readonly original: BpfObject
  readonly written: BpfObject
  readonly report: {
    originalSlots: number
    bestSlots: number
    verdict: string
    objectLoad: string
    core?: { relocations: number; kernel: string }
  }
}

/**
 * Optimizes `program` of fixture `name` (a fixed number of iterations on one seeded chain), then
 * checks what every case needs: the object reads back, is proven equal and loads like the original.
 */
async function exportFixture(name: string, section: string): Promise<Exported> {
  const input = join(OBJ, `${name}.o`)
  const out = join(work, `${name}.summit.o`)
  const run = await runCli(
    optimizeCommand,
    input,
    '--section',
    section,
    '--iterations',
    '30000',
    '--chains',
    '1',
    '--seed',
    '1',
    '--out',
    out,
    '--json',
    '--kernel-check'
  )
  expect(run.code, run.err).toBe(0)
  const report = JSON.parse(run.out) as Exported['report']
  expect(report.objectLoad).toMatch(canLoad ? /^accepted/ : /^skipped/)
  expect(report.verdict).toBe('proven equal, accepted by the analysis')
  expect(report.bestSlots).toBeLessThan(report.originalSlots)
  const written = read(out)
  const verify = await runCli(verifyCommand, input, out, '--section', section)
  expect(verify.code, verify.out + verify.err).toBe(0)
  expect(verify.out).toMatch(/^equal/)
  if (canLoad) {
    expect(loadall(input, `${name}_in`).status).toBe(0)
    const loaded = loadall(out, `${name}_out`)
    expect(loaded.status, loaded.log).toBe(0)
  }
  return { original: read(input), written, report }
}

const mapLoads = (p: BpfProgram): number =>
  p.relocations.filter((r) => r.target.kind === 'map').length

describe('optimize writes back what it proves', () => {
  it('a tracepoint program whose dead map load the search removed', async () => {
    const { original, written, report } = await exportFixture('syscall_counts', 'on_enter_openat')
    const before = program(original, 'on_enter_openat')
    const after = program(written, 'on_enter_openat')
    expect(after.slotCount).toBe(report.bestSlots)
    expect([mapLoads(before), mapLoads(after)]).toEqual([2, 1])
    expect(after.relocations[0]!.target).toMatchObject({ kind: 'map', name: 'enter_count' })
    // The other program, in its own section, is untouched.
    expect(program(written, 'on_exit_openat').slots).toEqual(
      program(original, 'on_exit_openat').slots
    )
  }, 240_000)

  it('a cgroup_skb program whose dead map load the search removed', async () => {
    const { original, written } = await exportFixture('cgroup_traffic', 'account_ingress')
    expect(mapLoads(program(original, 'account_ingress'))).toBe(2)
    expect(mapLoads(program(written, 'account_ingress'))).toBe(1)
  }, 240_000)

  it('global data loads that moved keep their variables and offsets', async () => {
    const { original, written } = await exportFixture('global_counters', 'xdp_count_small')
    const data = (p: BpfProgram): string[] =>
      p.relocations.flatMap((r) =>
        r.target.kind === 'data' ? [`${r.symbol}:${r.target.section}+${r.target.offset}`] : []
      )
    const before = data(program(original, 'xdp_count_small'))
    const after = data(program(written, 'xdp_count_small'))
    expect(before).toContain('last_small:.bss+8')
    expect(after.every((d) => before.includes(d))).toBe(true)
    expect(after).toContain('last_small:.bss+8')
    expect(after).toContain('small_frame:.rodata+0')
    const moved = program(written, 'xdp_count_small').relocations.map((r) => r.slot)
    const was = program(original, 'xdp_count_small').relocations.map((r) => r.slot)
    expect(moved.at(-1)).toBeLessThan(was.at(-1)!)
  }, 240_000)

  it('subprograms are written back into .text; a call from another program follows its callee', async () => {
    const { original, written } = await exportFixture('subprog_shrink', 'xdp_fold_calls')
    const size = (o: BpfObject, n: string): number => program(o, n).slotCount
    expect(size(written, 'bump') + size(written, 'fold')).toBeLessThan(
      size(original, 'bump') + size(original, 'fold')
    )
    // tc_scramble calls scramble, which sits after the shrunk functions in .text.
    expect(program(written, 'scramble').firstSlot).toBeLessThan(
      program(original, 'scramble').firstSlot
    )
    expect(program(written, 'scramble').slots).toEqual(program(original, 'scramble').slots)
    const call = program(written, 'tc_scramble').relocations[0]!
    expect(call.target).toMatchObject({ kind: 'call', function: 'scramble' })
    const verify = await runCli(
      verifyCommand,
      join(OBJ, 'subprog_shrink.o'),
      join(work, 'subprog_shrink.summit.o'),
      '--section',
      'tc_scramble'
    )
    expect(verify.code, verify.out + verify.err).toBe(0)
  }, 240_000)
})

describe('subprograms other programs also call', () => {
  it('stay as they are, so the result exports; what the program has alone may change', async () => {
    // Before: the search shrank fold (also called by tc_shared_fold) and the export refused it
    // (EXPORT_SHARED_SUBPROGRAM).
    const { original, written, report } = await exportFixture('subprog_shared', 'xdp_shared_fold')
    expect(program(written, 'fold').slots).toEqual(program(original, 'fold').slots)
    expect(report.bestSlots).toBeLessThanOrEqual(report.originalSlots)
    const verify = await runCli(
      verifyCommand,
      join(OBJ, 'subprog_shared.o'),
      join(work, 'subprog_shared.summit.o'),
      '--section',
      'tc_shared_fold'
    )
    expect(verify.code, verify.out + verify.err).toBe(0)
  }, 240_000)
})

describe('CO-RE programs are optimized for the running kernel', () => {
  it.skipIf(!hasKernelBtf)(
    'resolves the CO-RE relocations as libbpf does, writes compiled forms the loader patches back',
    async () => {
      const { original, written, report } = await exportFixture('core_fields', 'tc_core_fields')
      expect(report.core).toMatchObject({ relocations: 8 })
      const p = program(written, 'tc_core_fields')
      // The load of skb->mark keeps the compiled offset of the local struct (0); libbpf makes it 8.
      const mark = p.slots.findIndex((s) => (s.code & 7) === 1 && s.dst === 0)
      expect(p.slots[mark]!.off).toBe(0)
      expect(program(original, 'tc_core_fields').slots.length).toBeGreaterThan(p.slots.length)
    },
    240_000
  )

  it('poisons, as libbpf does, a relocation with no kernel type: the analysis then refuses the program', async () => {
    const features = join(OBJ, '../../formats/fixtures/features.o')
    const run = await runCli(
      optimizeCommand,
      features,
      '--section',
      'kp_open',
      '--iterations',
      '10'
    )
    expect(run.code).toBe(2)
    if (hasKernelBtf) expect(run.err).toContain('error OPTIMIZE_ORIGINAL_UNSAFE')
    else expect(run.err).toContain('error CORE_NO_KERNEL_BTF')
  })
})

describe('objectLoadVerdict', () => {
  it.skipIf(!canLoad)(
    'rejects a written object the kernel refuses, skips an original bpftool cannot load',
    () => {
      const original = join(OBJ, 'syscall_counts.o')
      const broken = new Uint8Array(readFileSync(original))
      const text = read(original).sections.find((s) => s.name.startsWith('tracepoint/'))!
      broken[text.offset] = 0xff // an opcode the kernel does not know
      expect(objectLoadVerdict(original, broken)).toMatch(/^rejected: the original loads/)
      const legacy = join(OBJ, 'tc_iproute2.o')
      expect(objectLoadVerdict(legacy, new Uint8Array(readFileSync(legacy)))).toMatch(
        /^skipped: the original does not load with bpftool/
      )
    }
  )
})
