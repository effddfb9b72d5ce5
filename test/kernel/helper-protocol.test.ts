/** @fileoverview The summit-bpf helper answers every request line, including malformed ones. */
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { ensureHelperBinary } from '../../src-daemon/engine/kernel/helper-binary'
import { printSkip } from '../support/environment'

const binary = await ensureHelperBinary()
if (!binary.ok) printSkip('summit-bpf helper protocol', binary.reason)

/** Sends `lines` to a fresh helper and returns its parsed reply lines. */
function converse(lines: string[]): Record<string, unknown>[] {
  if (!binary.ok) throw new Error('no helper binary')
  const r = spawnSync(binary.path, [], { input: lines.join('\n') + '\n', encoding: 'utf8' })
  expect(r.status).toBe(0)
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe.skipIf(!binary.ok)('summit-bpf helper protocol', () => {
  it('replies to ping with its version and CPU facts, echoing the id', () => {
    const [pong] = converse(['{"id":41,"op":"ping"}'])
    expect(pong).toMatchObject({ id: 41, ok: true, version: 2 })
    expect(pong?.['possibleCpus']).toBeGreaterThanOrEqual(1)
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
