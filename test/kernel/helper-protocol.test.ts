/** @fileoverview The summit-bpf helper answers every request line, including malformed ones. */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { release } from 'node:os'
import { describe, expect, it } from 'vitest'
import { ensureHelperBinary } from '../../src-daemon/engine/kernel/helper-binary'
import type { HelperReply } from '../../src-daemon/engine/kernel/helper-protocol'
import { decodeKernelBtf } from '../../src-daemon/engine/kernel/kernel-btf-reply'
import { printSkip } from '../support/environment'

const binary = await ensureHelperBinary()
if (!binary.ok) printSkip('summit-bpf helper protocol', binary.reason)

/** Sends `lines` to a fresh helper and returns its parsed reply lines. */
function converse(lines: string[]): Record<string, unknown>[] {
  if (!binary.ok) throw new Error('no helper binary')
  const r = spawnSync(binary.path, [], {
    input: lines.join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 64 << 20
  })
  expect(r.status).toBe(0)
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe.skipIf(!binary.ok)('summit-bpf helper protocol', () => {
  it('replies to ping with its version and CPU facts, echoing the id', () => {
    const [pong] = converse(['{"id":41,"op":"ping"}'])
    expect(pong).toMatchObject({ id: 41, ok: true, version: 4 })
    expect(pong?.['possibleCpus']).toBeGreaterThanOrEqual(1)
  })

  it("reads its kernel's own BTF (kernelBtf), compressed, with the release", () => {
    const path = '/sys/kernel/btf/vmlinux'
    if (!existsSync(path)) {
      printSkip('summit-bpf kernelBtf', `this kernel exposes no BTF (${path})`)
      return
    }
    const [reply] = converse(['{"id":9,"op":"kernelBtf"}'])
    const r = decodeKernelBtf(reply as HelperReply)
    expect(r.ok ? r.value.release : r.error.message).toBe(release())
    if (r.ok) expect(Buffer.from(r.value.btf).equals(readFileSync(path))).toBe(true)
  })

  it('answers malformed requests with an error reply and keeps serving', () => {
    const replies = converse([
      'not json',
      '{"op":',
      '[1,2]',
      '{"op":"ping"} trailing',
      '{"id":1}',
      '{"id":2,"op":"noSuchOp"}',
      '{"id":3,"op":"createMap","type":"two"}',
      '{"id":4,"op":"createMap","type":2,"keySize":4,"valueSize":8}',
      '{"id":5,"op":"load","progType":6,"insns":"abc"}',
      '{"id":6,"op":"load","progType":6,"insns":"zz"}',
      '{"id":7,"op":"load","progType":6,"insns":"b700000002000000"}',
      '{"id":8,"op":"testRun","fd":1.5}',
      '{"id":9,"op":"lookupMap","fd":0,"key":"00000000"}',
      '{"id":10,"op":"ping","nested":{"a":[1,{"b":"\\u0041\\n"}],"c":null},"flag":true}'
    ])
    expect(replies).toHaveLength(14)
    for (const r of replies.slice(0, 13)) {
      expect(r['ok']).toBe(false)
      expect(typeof r['error']).toBe('string')
    }
    expect(replies[4]?.['error']).toBe("missing string field 'op'")
    expect(replies[5]?.['error']).toBe('unknown op')
    expect(replies[7]?.['error']).toBe("missing integer field 'maxEntries'")
    expect(replies[8]?.['error']).toContain('hex')
    expect(replies[10]).toMatchObject({ id: 7, ok: false })
    expect(replies[13]).toMatchObject({ id: 10, ok: true })
  })

  it('checks the fields of the object, timing and map-in-map requests', () => {
    const replies = converse([
      '{"id":1,"op":"openObject"}',
      '{"id":2,"op":"openObject","object":"00","programs":[1]}',
      '{"id":3,"op":"openObject","object":"00","load":"xdp"}',
      '{"id":4,"op":"timeRun","fd":3,"samples":0}',
      '{"id":5,"op":"createMap","type":12,"keySize":4,"valueSize":4,"maxEntries":1,"inner":5}',
      '{"id":6,"op":"cycle","maps":[{"type":2}],"progType":6,"insns":"9500000000000000"}',
      '{"id":7,"op":"cycle","maps":[],"fills":[{"map":0,"key":"00","value":"00"}],"progType":6,"insns":"9500000000000000"}',
      '{"id":8,"op":"closeObject","handle":9}',
      '{"id":9,"op":"load","progType":6,"insns":"9500000000000000","logSize":-1}',
      '{"id":10,"op":"openObject","object":"00112233"}'
    ])
    expect(replies.map((r) => r['error'])).toEqual([
      "missing hex field 'object'",
      'a program override must be an object',
      "field 'load' must be an array",
      "field 'samples' is out of range",
      "field 'inner' must be an object",
      "missing integer field 'keySize'",
      'fill 0 refers to map 0, which the cycle does not create',
      'no open object with that handle',
      "field 'logSize' is out of range",
      'libbpf cannot open the object'
    ])
    expect(replies[9]).toMatchObject({ ok: false, stage: 'open' })
  })

  it('refuses to close file descriptors it did not create (its own stdio)', () => {
    const replies = converse([
      '{"id":1,"op":"close","fd":0}',
      '{"id":2,"op":"close","fd":1}',
      '{"id":3,"op":"ping"}'
    ])
    expect(replies[0]).toMatchObject({ ok: false, errno: 9 })
    expect(replies[1]).toMatchObject({ ok: false, errno: 9 })
    expect(replies[2]).toMatchObject({ id: 3, ok: true })
  })
})

describe.skipIf(!binary.ok)('summit-bpf helper robustness', () => {
  it('survives random and truncated request lines, answering each one', () => {
    let seed = 12345
    const next = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed >>> 8
    }
    const pieces = [
      '{',
      '}',
      '[',
      ']',
      '"',
      ':',
      ',',
      '\\',
      '\\u',
      'op',
      '"op"',
      '"ping"',
      '"load"',
      '1',
      '-',
      'e',
      'true',
      'nul',
      ' ',
      'é'
    ]
    const lines: string[] = []
    for (let i = 0; i < 300; i++) {
      let s = ''
      const n = next() % 20
      for (let j = 0; j < n; j++) s += pieces[next() % pieces.length]
      if (s.trim() === '') s = '{'
      lines.push(s)
    }
    const valid = '{"id":1,"op":"load","progType":6,"insns":"b7000000020000009500000000000000"}'
    lines.push(
      valid.slice(0, 40),
      valid.slice(0, 75),
      '{"op":"ping","x":"' + 'ab'.repeat(200000) + '"}'
    )
    const replies = converse(lines)
    expect(replies).toHaveLength(lines.length)
    expect(replies[replies.length - 1]).toMatchObject({ ok: true })
    expect(replies[replies.length - 2]).toMatchObject({ ok: false })
  })
})
