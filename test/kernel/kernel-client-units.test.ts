/** @fileoverview Pure parts of the kernel client: hex, map fd patching, per-CPU values, K2 run types. */
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { insn } from '../../src-daemon/core/isa/insn'
import { MapType, ProgType } from '../../src-daemon/engine/kernel/bpf-constants'
import { defaultNativeDir, ensureHelperBinary } from '../../src-daemon/engine/kernel/helper-binary'
import { HelperProcess } from '../../src-daemon/engine/kernel/helper-process'
import { bytesToHex, hexToBytes } from '../../src-daemon/engine/kernel/hex'
import { k2KernelRun, usesLegacyPacketLoads } from '../../src-daemon/engine/kernel/k2-run-type'
import { patchMapFds } from '../../src-daemon/engine/kernel/map-fd-patching'
import { entryFromSyscall, syscallValue } from '../../src-daemon/engine/kernel/map-values'

describe('kernel client pure parts', () => {
  it('round-trips hex and rejects malformed hex', () => {
    const bytes = new Uint8Array([0, 1, 0x7f, 0x80, 0xff])
    expect(bytesToHex(bytes)).toBe('00017f80ff')
    expect(hexToBytes('00017F80ff')).toEqual(bytes)
    expect(hexToBytes('abc')).toBeUndefined()
    expect(hexToBytes('zz')).toBeUndefined()
  })

  it('patches ld_imm64 map (src=1) and map-value (src=2) indices, not constants or second slots', () => {
    const prog = [
      insn(0x18, 1, 1, 0, 1),
      insn(0, 0, 0, 0, 0),
      insn(0x18, 2, 2, 0, 0),
      insn(0, 0, 0, 0, 16),
      insn(0x18, 3, 0, 0, 1),
      insn(0, 0, 1, 0, 1), // second slot with src bits set: data, not an instruction
      insn(0x95)
    ]
    const r = patchMapFds(prog, [40, 41])
    expect(r.ok && r.value.map((i) => i.imm)).toEqual([41, 0, 40, 16, 1, 1, 0])
    expect(prog[0]!.imm).toBe(1) // input untouched
    const bad = patchMapFds(prog, [40])
    expect(!bad.ok && [bad.error.code, bad.error.index]).toEqual(['KERNEL_BAD_MAP_INDEX', 0])
  })

  it('lays out per-CPU values: one 8-aligned slot per CPU, the pinned CPU as the value', () => {
    const spec = { type: MapType.percpuArray, keySize: 4, valueSize: 4, maxEntries: 1 }
    const layout = { possibleCpus: 3, cpu: 1 }
    const full = syscallValue(spec, new Uint8Array([1, 2, 3, 4]), layout)
    expect(full.ok && [...full.value]).toEqual([
      1, 2, 3, 4, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0
    ])
    expect(syscallValue(spec, new Uint8Array(5), layout).ok).toBe(false)
    const raw = new Uint8Array(24).map((_, i) => i)
    const e = entryFromSyscall(spec, new Uint8Array(4), raw, layout)
    expect([...e.value]).toEqual([8, 9, 10, 11])
    expect(e.perCpu?.map((v) => v[0])).toEqual([0, 8, 16])
    const plain = { type: MapType.hash, keySize: 4, valueSize: 3, maxEntries: 1 }
    expect(syscallValue(plain, new Uint8Array(3), layout)).toEqual({
      ok: true,
      value: new Uint8Array(3)
    })
  })

  it('picks the kernel run type of K2 programs from pgm_input_type and ld_abs/ld_ind use', () => {
    const ldAbs = [insn(0xbf, 6, 1), insn(0x30, 0, 0, 0, 23), insn(0x95)]
    const ldInd = [insn(0xbf, 6, 1), insn(0x50, 0, 1, 0, 0), insn(0x95)]
    const flat = [insn(0x61, 0, 1, 0, 0), insn(0x95)]
    const lddwLikeAbs = [insn(0x18, 0, 0, 0, 0), insn(0x20, 0, 0, 0, 0), insn(0x95)]
    expect([ldAbs, ldInd, flat, lddwLikeAbs].map(usesLegacyPacketLoads)).toEqual([
      true,
      true,
      false,
      false
    ])
    expect(k2KernelRun(2, flat).progType).toBe(ProgType.xdp)
    expect(k2KernelRun(1, ldAbs).progType).toBe(ProgType.socketFilter)
    expect(k2KernelRun(1, flat)).toEqual({
      progType: ProgType.rawTracepoint,
      input: 'ctx',
      maxInputBytes: 96
    })
  })

  it('reports why the helper binary is unavailable', async () => {
    const missing = await ensureHelperBinary('/nonexistent/summit-native/')
    expect(missing).toEqual({
      ok: false,
      reason: 'helper sources not found in /nonexistent/summit-native/'
    })
  })

  it('names the Debian package when a library the helper needs is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'summit-native-'))
    try {
      for (const f of readdirSync(defaultNativeDir()))
        if (/\.(c|h|sh)$/.test(f)) copyFileSync(join(defaultNativeDir(), f), join(dir, f))
      // A compiler that cannot find json-c: every link against -ljson-c fails.
      const fakeCc = join(dir, 'cc-without-json-c')
      writeFileSync(
        fakeCc,
        '#!/bin/sh\nfor a in "$@"; do [ "$a" = -ljson-c ] && { echo "ld: cannot find -ljson-c" >&2; exit 1; }; done\nexec cc "$@"\n',
        { mode: 0o755 }
      )
      const saved = process.env['CC']
      process.env['CC'] = fakeCc
      try {
        const r = await ensureHelperBinary(dir)
        expect(r).toEqual({
          ok: false,
          reason:
            'building the kernel helper failed: libjson-c-dev is missing or too old: install it (Debian/Ubuntu: apt-get install libjson-c-dev)'
        })
      } finally {
        if (saved === undefined) delete process.env['CC']
        else process.env['CC'] = saved
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('answers requests with an error value when the helper exits or cannot start', async () => {
    const exits = new HelperProcess('/bin/true')
    const r = await exits.request({ op: 'ping' })
    expect(r.ok).toBe(false)
    expect(r.error).toMatch(/helper (exited|failed)/)
    expect(exits.alive).toBe(false)
    await exits.dispose()
    const missing = new HelperProcess('/nonexistent/summit-bpf')
    const m = await missing.request({ op: 'ping' })
    expect(m.ok).toBe(false)
    await missing.dispose()
  })
})
