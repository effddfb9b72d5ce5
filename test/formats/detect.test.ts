/** @fileoverview Input detection tests on real files of each format. */

import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  detectInput,
  encodeUtf8,
  k2CompanionNames,
  writeK2Insns
} from '../../src-daemon/core/formats'
import { insn } from '../../src-daemon/core/isa/insn'
import { conformancePath, fixture } from './helpers'

const conformance = (p: string): Uint8Array => new Uint8Array(readFileSync(conformancePath(p)))
/** Bytecode of `r0 = 2; exit` as K2 writes it. */
const k2Bytes = writeK2Insns([insn(0xb7, 0, 0, 0, 2), insn(0x95)])

describe('detectInput', () => {
  it('recognises each format from real files', () => {
    expect(detectInput(fixture('prog.o'), 'prog.o').kind).toBe('elf')
    expect(detectInput(k2Bytes, 'xdp1.insns').kind).toBe('k2')
    expect(detectInput(conformance('tests/add.data'), 'add.data').kind).toBe('conformance')
    expect(detectInput(conformance('tests/lddw.data')).kind).toBe('conformance')
    expect(detectInput(conformance('negative/empty.data'), 'empty.data').kind).toBe('conformance')
    expect(detectInput(encodeUtf8('r0 = 1\nexit\n'), 'p.s').kind).toBe('asm')
    expect(detectInput(encodeUtf8('mov %r0, 1\nexit\n')).kind).toBe('asm')
    // The same K2 bytes without the .insns name are raw bytecode.
    expect(detectInput(k2Bytes, 'prog.bin').kind).toBe('raw')
  })

  it('rejects inputs it cannot place', () => {
    expect(detectInput(new Uint8Array(0)).kind).toBe('unknown')
    expect(detectInput(new Uint8Array([0, 1, 2]), 'x.bin').kind).toBe('unknown')
    expect(detectInput(new Uint8Array(12), 'x.insns').kind).toBe('unknown')
    // ELF magic wins even for a non-BPF ELF (the reader then reports ELF_WRONG_MACHINE).
    expect(detectInput(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1]), 'a.out').kind).toBe('elf')
  })

  it('names K2 companion files', () => {
    expect(k2CompanionNames('/a/b/xdp1.insns')).toEqual({
      maps: '/a/b/xdp1.maps',
      desc: '/a/b/xdp1.desc'
    })
  })
})
