/** @fileoverview Guards the interpreter's numeric case labels and runs the K2 benchmark programs. */
import { readFileSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { k2BenchDir } from '../support/environment'
import { parseK2Program } from '../../src-daemon/core/formats/k2'
import { OPS } from '../../src-daemon/core/isa/opcodes'
import { insn } from '../../src-daemon/core/isa/insn'
import { compileProgram, createMachine, ctxKindForK2, Status } from '../../src-daemon/core/interp'
import { Op, OP_COUNT } from '../../src-daemon/core/interp/ops'

describe('dispatch table', () => {
  it('every numeric case label in exec.ts names the Op it stands for', () => {
    const src = readFileSync(
      new URL('../../src-daemon/core/interp/exec.ts', import.meta.url),
      'utf8'
    )
    const labels = [...src.matchAll(/case (\d+): (?:\{\s*)?\/\/ (\w+)/g)]
    const inline = [...src.matchAll(/(\d+) \/\* (\w+) \*\//g)]
    expect(labels.length).toBe(OP_COUNT - 1)
    const ops = Op as Record<string, number>
    for (const [, n, name] of [...labels, ...inline]) expect(ops[name!]).toBe(Number(n))
    expect(new Set(Object.values(Op)).size).toBe(OP_COUNT)
  })
  it('every opcode-table row compiles to a non-invalid op when its fields are valid', () => {
    for (const row of OPS) {
      if (row.kind === 'call' && row.target === 'kfunc') continue
      if (row.kind === 'lddw' && (row.pseudo === 'btf_id' || row.pseudo === 'func')) continue
      const m = row.match
      const ins = insn(row.code, 1, row.kind === 'lddw' ? 0 : 2, 0, 0)
      const fixed = { ...ins, ...(m ? { [m.field]: m.value } : {}) }
      for (const f of row.zero) if (!(m && m.field === f)) (fixed as Record<string, number>)[f] = 0
      if (row.kind === 'end') fixed.imm = 32
      if (row.kind === 'lddw') fixed.imm = 0
      if (row.kind === 'call' && row.target === 'local') fixed.imm = 0
      const maps = [{ type: 2, keySize: 4, valueSize: 8, maxEntries: 1 }]
      const p = compileProgram([fixed, insn(0, 0, 0, 0, 0), insn(0x95)], maps, 'plain')
      expect(p.invalid[0], row.name).toBeUndefined()
    }
  })
})

const K2_DIR = k2BenchDir()

describe.skipIf(K2_DIR === undefined)('K2 benchmark programs', () => {
  const dir = K2_DIR ?? ''
  const names = (K2_DIR === undefined ? [] : readdirSync(dir))
    .filter((f) => f.endsWith('.insns'))
    .map((f) => f.slice(0, -6))
  it('all 11 run to completion on random inputs of their kind', () => {
    expect(names.length).toBe(11)
    let seed = 99
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 8
    for (const name of names) {
      const p = parseK2Program(
        readFileSync(`${dir}${name}.insns`),
        readFileSync(`${dir}${name}.maps`, 'utf8'),
        readFileSync(`${dir}${name}.desc`, 'utf8'),
        name
      )
      if (!p.ok) throw new Error(p.error.message)
      const kind = ctxKindForK2(p.value.desc.pgmInputType)
      const m = createMachine(compileProgram(p.value.slots, p.value.maps, kind))
      for (let i = 0; i < 20; i++) {
        const bytes = Uint8Array.from({ length: p.value.desc.maxPktSz }, () => next() & 0xff)
        const st = m.exec(kind === 'xdp' ? { packet: bytes } : { ctx: bytes })
        expect(st === Status.exit || st === Status.tailCall, `${name}: ${m.faultReason}`).toBe(true)
      }
    }
  })
})
