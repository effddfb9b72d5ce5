/** @fileoverview `summit run`: interprets programs of every input format on a SPEC input. */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCommand } from '../../src-daemon/cli/cmd-run'
import { parseInputSpec } from '../../src-daemon/cli/input-spec'
import { K2, OBJ, runCli } from './cli-support'

/** A 64-byte Ethernet/IPv4/UDP frame to port `dport`, as hex. */
function udpFrame(dport: number): string {
  const p = new Uint8Array(64)
  const v = new DataView(p.buffer)
  p.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], 0)
  v.setUint16(12, 0x0800)
  p[14] = 0x45
  v.setUint16(16, 50)
  p[22] = 64
  p[23] = 17
  v.setUint16(36, dport)
  return Buffer.from(p).toString('hex')
}

const MAPS = [
  { name: 'counts', type: 2, keySize: 4, valueSize: 8, maxEntries: 4 },
  { name: 'flows', type: 1, keySize: 2, valueSize: 1, maxEntries: 8 }
]

describe('input SPEC', () => {
  it('parses packets, contexts, registers, map entries by index and name, and value lists', () => {
    const input = parseInputSpec(
      'packet=0x00ff_10;map:0=01000000:0200000000000000,map:flows=abcd:07;random=1,2,3;time=5;r1=0x10;stack=9',
      MAPS
    )
    expect(Array.from(input.packet ?? [])).toEqual([0, 255, 16])
    expect(input.maps?.[0]?.map((e) => Buffer.from(e.value).toString('hex'))).toEqual([
      '0200000000000000'
    ])
    expect(input.maps?.[1]?.map((e) => Buffer.from(e.key).toString('hex'))).toEqual(['abcd'])
    expect(input.randoms).toEqual([1, 2, 3])
    expect(input.times).toEqual([5])
    expect(input.r1).toBe(16n)
    expect(input.stackSeed).toBe(9)
    expect(parseInputSpec('ctx.mark=7;packet=zeros:3', MAPS)).toEqual({
      ctx: { mark: 7 },
      packet: new Uint8Array(3)
    })
  })

  it('rejects malformed items with a message naming the problem', () => {
    const err = (spec: string): string => {
      try {
        parseInputSpec(spec, MAPS)
        return 'accepted'
      } catch (e) {
        return e instanceof Error ? e.message : String(e)
      }
    }
    expect(err('packet=0g')).toMatch(/INPUT_SPEC_INVALID.*'0g' is not hex/)
    expect(err('packet=abc')).toMatch(/odd number of hex digits/)
    expect(err('map:0=01:00')).toMatch(/key has 1 bytes, the map's keys have 4/)
    expect(err('map:flows=abcd:0707')).toMatch(/value has 2 bytes, the map's values have 1/)
    expect(err('map:5=00:00')).toMatch(/map 5 does not exist/)
    expect(err('map:nope=00:00')).toMatch(/no map named 'nope' \(maps: counts, flows\)/)
    expect(err('bogus=1')).toMatch(/unknown input item 'bogus'/)
    expect(err('r1=12x')).toMatch(/not an integer/)
  })

  it('reads the JSON form from @file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'summit-spec-'))
    const file = join(dir, 'in.json')
    writeFileSync(
      file,
      JSON.stringify({ packet: '0102', maps: { flows: [['0001', 'ff']] }, randoms: [4] })
    )
    const input = parseInputSpec('@' + file, MAPS)
    expect(Array.from(input.packet ?? [])).toEqual([1, 2])
    expect(input.maps?.[1]?.[0]?.value).toEqual(new Uint8Array([0xff]))
    expect(input.randoms).toEqual([4])
    writeFileSync(file, '{"packet": 5}')
    expect(() => parseInputSpec('@' + file, MAPS)).toThrow(/packet must be a hex string/)
  })
})

describe('summit run', () => {
  it('runs an XDP object: drops UDP port 9 and shows the counter it bumped', async () => {
    const r = await runCli(
      runCommand,
      join(OBJ, 'xdp_udp_filter.o'),
      '--input',
      `packet=${udpFrame(9)}`
    )
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/^r0 = 1 \(0x1\)$/m)
    expect(r.out).toMatch(/packet \(64 bytes, unchanged\)/)
    expect(r.out).toMatch(
      /map 0 \(verdict_count\) key 02000000: 0000000000000000 -> 0100000000000000/
    )
    const pass = await runCli(
      runCommand,
      join(OBJ, 'xdp_udp_filter.o'),
      '--input',
      `packet=${udpFrame(80)}`
    )
    expect(pass.out).toMatch(/^r0 = 2 /m)
  })

  it('shows packet rewrites and prints one JSON document with --json', async () => {
    const r = await runCli(
      runCommand,
      join(OBJ, 'xdp_rewrite.o'),
      '--input',
      `packet=${udpFrame(80)}`,
      '--json'
    )
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.out) as {
      result: { kind: string; r0: string; packet: string }
      packetChanged: boolean
      mapChanges: { map: number; after: string }[]
    }
    expect(doc.result.kind).toBe('exit')
    expect(doc.result.r0).toBe('3') // XDP_TX
    expect(doc.packetChanged).toBe(true)
    expect(doc.result.packet.slice(0, 24)).toBe('020000000001020000000002') // MACs swapped
    expect(doc.mapChanges.length).toBeGreaterThan(0)
  })

  it.skipIf(K2 === undefined)(
    'runs a K2 triple with map contents from the SPEC (xdp_pktcntr counts only when enabled)',
    async () => {
      const file = join(K2 ?? '', 'xdp_pktcntr.insns')
      const off = await runCli(runCommand, file, '--input', 'packet=zeros:64')
      expect(off.code).toBe(0)
      expect(off.out).toMatch(/maps: unchanged/)
      const on = await runCli(
        runCommand,
        file,
        '--input',
        'packet=zeros:64;map:ctl_array=00000000:01000000'
      )
      expect(on.out).toMatch(
        /map 0 \(cntrs_array\) key 00000000: 0000000000000000 -> 0100000000000000/
      )
    }
  )

  it('runs assembly in plain mode on mem=', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'summit-run-'))
    const file = join(dir, 'p.s')
    writeFileSync(file, 'r0 = *(u32 *)(r1 + 0)\nr0 += 5\nexit\n')
    const r = await runCli(runCommand, file, '--input', 'mem=0a000000')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/^r0 = 15 \(0xf\)$/m)
  })

  it('reports a fault with exit 1, and bad usage or input with exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'summit-run-'))
    const file = join(dir, 'p.s')
    writeFileSync(file, 'r0 = *(u32 *)(r1 + 8)\nexit\n')
    const fault = await runCli(runCommand, file, '--input', 'mem=00')
    expect(fault.code).toBe(1)
    expect(fault.out).toMatch(/fault at insn 0/)
    const noInput = await runCli(runCommand, file)
    expect(noInput.code).toBe(2)
    expect(noInput.err).toMatch(/--input SPEC is required/)
    const badSpec = await runCli(runCommand, file, '--input', 'packet=xyz')
    expect(badSpec.code).toBe(2)
    expect(badSpec.err).toMatch(/INPUT_SPEC_INVALID/)
    const missing = await runCli(runCommand, join(dir, 'nope.o'), '--input', 'mem=00')
    expect(missing.code).toBe(2)
    expect(missing.err).toMatch(/INPUT_NOT_FOUND/)
  })
})
