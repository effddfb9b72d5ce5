/**
 * @fileoverview `--type` on run, verify and optimize (as on kernel-check), and an iproute2 object
 * (legacy `maps` section, tc section names, a numbered tail-call section) through optimize,
 * verify and the kernel as tc would load it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { infoCommand } from '../../src-daemon/cli/cmd-info'
import { kernelCheckCommand } from '../../src-daemon/cli/cmd-kernel-check'
import { optimizeCommand } from '../../src-daemon/cli/cmd-optimize'
import { runCommand } from '../../src-daemon/cli/cmd-run'
import { verifyCommand } from '../../src-daemon/cli/cmd-verify'
import { readBpfObject } from '../../src-daemon/core/formats'
import { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import { OBJ, runCli } from '../differential/cli-support'

const work = mkdtempSync(join(tmpdir(), 'summit-types-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

/** Writes assembly to a file in the scratch directory. */
function asm(name: string, text: string): string {
  const path = join(work, name)
  writeFileSync(path, text + '\n')
  return path
}

// Reads the packet length from an XDP context: meaningful only as an XDP program.
const XDP_LEN = asm(
  'len.s',
  ['r2 = *(u32 *)(r1 + 4)', 'r1 = *(u32 *)(r1 + 0)', 'r2 -= r1', 'r0 = r2', 'exit'].join('\n')
)
const XDP_LEN_SHORT = asm(
  'len2.s',
  ['r0 = *(u32 *)(r1 + 4)', 'r1 = *(u32 *)(r1 + 0)', 'r0 -= r1', 'exit'].join('\n')
)

describe('--type', () => {
  it('run interprets assembly as the named program type', async () => {
    const plain = await runCli(runCommand, XDP_LEN, '--input', 'mem=zeros:16', '--json')
    expect(JSON.parse(plain.out).ctxKind).toBe('plain')
    const xdp = await runCli(
      runCommand,
      XDP_LEN,
      '--type',
      'xdp',
      '--input',
      'packet=zeros:60',
      '--json'
    )
    expect(xdp.code, xdp.err).toBe(0)
    const report = JSON.parse(xdp.out) as { ctxKind: string; result: { r0: string } }
    expect(report.ctxKind).toBe('xdp')
    expect(BigInt(report.result.r0)).toBe(60n)
  })

  it('verify proves two assembly programs equal as XDP programs', async () => {
    const r = await runCli(verifyCommand, XDP_LEN, XDP_LEN_SHORT, '--type', 'xdp')
    expect(r.code, r.out + r.err).toBe(0)
    expect(r.out).toMatch(/^equal/)
  })

  it('an unknown type name is a usage error that lists the names', async () => {
    const r = await runCli(verifyCommand, XDP_LEN, XDP_LEN_SHORT, '--type', 'xdpp')
    expect(r.code).toBe(2)
    expect(r.err).toContain("unknown program type 'xdpp'")
    expect(r.err).toContain('sched_cls')
  })
})

describe('an iproute2 object (tc_iproute2.o)', () => {
  const input = join(OBJ, 'tc_iproute2.o')
  const out = join(work, 'tc_iproute2.summit.o')

  it('needs --type where the section name does not say it', async () => {
    const r = await runCli(
      optimizeCommand,
      input,
      '--section',
      'ingress_redirect',
      '--iterations',
      '10'
    )
    expect(r.code).toBe(2)
    expect(r.err).toContain('error PROGRAM_TYPE_UNKNOWN')
    expect(r.err).toContain("section 'ingress_redirect'; give --type")
  })

  it('optimizes as sched_cls, writes an object that reads back with its legacy maps, proves it equal and loads it', async () => {
    const r = await runCli(
      optimizeCommand,
      input,
      '--section',
      'ingress_redirect',
      '--type',
      'sched_cls',
      '--iterations',
      '30000',
      '--chains',
      '1',
      '--seed',
      '1',
      '--out',
      out,
      '--json'
    )
    expect(r.code, r.err).toBe(0)
    const report = JSON.parse(r.out) as { originalSlots: number; bestSlots: number }
    expect(report.bestSlots).toBeLessThan(report.originalSlots)
    const back = readBpfObject(new Uint8Array(readFileSync(out)))
    if (!back.ok) throw new Error(back.error.message)
    expect(
      back.value.maps.map((m) => [m.name, m.source, m.pinning, m.initial?.length ?? 0])
    ).toEqual([
      ['jumps', 'legacy', 0, 1],
      ['seen', 'legacy', 2, 0]
    ])
    const v = await runCli(
      verifyCommand,
      input,
      out,
      '--section',
      'ingress_redirect',
      '--type',
      'sched_cls'
    )
    expect(v.code, v.out + v.err).toBe(0)
    const oracle = new KernelOracle()
    const a = await oracle.availability()
    await oracle.dispose()
    if (!a.available) {
      console.log(`[program-types] kernel loads skipped: ${a.reason}`)
      return
    }
    // As tc loads it: every program section of the object, typed sched_cls.
    for (const file of [input, out])
      for (const section of ['ingress_redirect', '1/0', 'filter']) {
        const k = await runCli(
          kernelCheckCommand,
          file,
          '--section',
          section,
          '--type',
          'sched_cls',
          '--repeat',
          '1'
        )
        expect(k.code, `${file} ${section}: ${k.out}${k.err}`).toBe(0)
      }
  }, 240_000)
})

describe('K2 triples with map-in-map maps', () => {
  const write = (maps: string): string => {
    const base = join(work, `mim${maps.length}`)
    // r1 = map 0 ll; r0 = 0; exit
    const insns = Buffer.from(
      '18110000000000000000000000000000' + 'b7000000000000009500000000000000',
      'hex'
    )
    writeFileSync(`${base}.insns`, insns)
    writeFileSync(`${base}.maps`, maps)
    writeFileSync(`${base}.desc`, '{ pgm_input_type = 2, }\n{ max_pkt_sz = 64, }\n')
    return `${base}.insns`
  }

  it('info shows the inner map template named by inner_map_idx', async () => {
    const file = write(
      'outer { type = 12, key_size = 4, value_size = 4, max_entries = 2, fd = 0, inner_map_idx = 1 }\n' +
        'inner { type = 2, key_size = 4, value_size = 8, max_entries = 4, fd = 1 }\n'
    )
    const r = await runCli(infoCommand, file)
    expect(r.out).toContain(
      'outer  array_of_maps  key 4 B  value 4 B  max_entries 2  inner array key 4 B value 8 B max_entries 4'
    )
  })

  it('kernel-check says how to give a missing inner map template', async () => {
    const file = write(
      'outer { type = 13, key_size = 4, value_size = 4, max_entries = 2, fd = 0 }\n'
    )
    const r = await runCli(kernelCheckCommand, file)
    expect(r.code).toBe(2)
    expect(r.err).toContain('error K2_MAP_IN_MAP_TEMPLATE: map outer is a map-in-map')
    expect(r.err).toContain('inner_map_idx = N')
  })
})
