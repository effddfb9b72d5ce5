/** @fileoverview Crafted safe and unsafe programs: the analysis verdict and reason, and agreement with the kernel. */
import { afterAll, describe, expect, it } from 'vitest'
import { requiredFeatures } from '../../src-daemon/engine/kernel/features'
import { skipUnlessKernelHas } from '../support/environment'
import { analyze } from '../../src-daemon/core/analysis/verifier'
import type { ProgType } from '../../src-daemon/core/analysis/types'
import { assemble } from '../../src-daemon/core/isa/asm'
import { decodeProgram } from '../../src-daemon/core/isa/decode'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { ATTACH_TYPES, KERNEL_PROG_TYPES } from '../../src-daemon/core/analysis/program-kind'
import { openKernelOracle } from '../kernel/kernel-test-support'
import { CRAFTED as BASE, type CraftedCase } from './crafted-cases'
import { NULLNESS } from './crafted-nullness'
import { TYPED } from './crafted-types'

const CRAFTED: readonly CraftedCase[] = [...BASE, ...NULLNESS, ...TYPED]

/** The kernel program type a crafted case loads as (`plain` runs as a socket filter). */
function kernelType(t: ProgType): number {
  return t === 'plain' ? KERNEL_PROG_TYPES.socket_filter : KERNEL_PROG_TYPES[t]
}

function slotsOf(c: CraftedCase): Insn[] {
  const a = assemble(c.asm, 'llvm')
  if (!a.ok) throw new Error(`${c.name}: ${a.error.message}`)
  return a.value
}

function run(c: CraftedCase): ReturnType<typeof analyze> {
  return analyze(slotsOf(c), {
    progType: c.progType,
    ...(c.attachType !== undefined ? { attachType: c.attachType } : {}),
    maps: c.maps ?? [],
    ...(c.ctxSize !== undefined ? { ctxSize: c.ctxSize } : {}),
    ...(c.budget !== undefined ? { insnBudget: c.budget } : {})
  })
}

describe('crafted programs', () => {
  for (const c of CRAFTED) {
    it(c.expect === 'accept' ? `accepts: ${c.name}` : `rejects: ${c.name}`, () => {
      const r = run(c)
      if (c.expect === 'accept') {
        expect(r.ok ? 'accepted' : `${r.error.code}: ${r.error.message}`).toBe('accepted')
        return
      }
      expect(r.ok).toBe(false)
      if (r.ok) return
      expect(r.error.code).toBe(c.expect.code)
      expect(r.error.message).toContain(c.expect.reason)
      expect(r.error.index).toBeGreaterThanOrEqual(0)
    })
  }
})

const { oracle, available } = await openKernelOracle('analysis-crafted')
afterAll(() => oracle.dispose())

describe.skipIf(!available)('crafted programs agree with the kernel verifier', () => {
  for (const c of CRAFTED.filter((x) => x.kernel !== false)) {
    it(c.name, async () => {
      // A case about a refused helper needs that refusal; other cases need what they use.
      const needs = requiredFeatures(
        slotsOf(c),
        kernelType(c.progType),
        (c.maps ?? []).map((m) => m.type)
      ).filter(
        (f) => f.kind !== 'helper' || c.expect === 'accept' || !/helper/.test(c.expect.reason)
      )
      await skipUnlessKernelHas(`crafted program ${c.name}`, needs)
      const maps = []
      for (const m of c.maps ?? []) {
        const h = await oracle.createMap(m)
        if (!h.ok) throw new Error(h.error.message)
        maps.push(h.value)
      }
      const k = await oracle.load(slotsOf(c), maps, {
        progType: kernelType(c.progType),
        ...(c.attachType !== undefined ? { expectedAttachType: ATTACH_TYPES[c.attachType] } : {})
      })
      if (k.ok) await oracle.close(k.value)
      for (const m of maps) await oracle.close(m)
      const ours = run(c)
      expect(
        ours.ok,
        `kernel said: ${k.ok ? 'accept' : (k.error.log ?? k.error.message).slice(-300)}`
      ).toBe(k.ok)
      if (!k.ok && !ours.ok && c.expect !== 'accept')
        expect(k.error.log ?? '').toContain(c.expect.reason.split(',')[0])
    })
  }
})

describe('decoded programs', () => {
  it('accepts a decoded program like its raw slots', () => {
    const slots = slotsOf(CRAFTED[1] as CraftedCase)
    const d = decodeProgram(slots)
    if (!d.ok) throw new Error(d.error.message)
    expect(analyze(d.value, { progType: 'xdp', maps: [] }).ok).toBe(true)
  })

  it('re-validates edited instructions (a shift by 64 is rejected when reached)', () => {
    const d = decodeProgram(
      slotsOf({ ...(CRAFTED[0] as CraftedCase), asm: 'r0 = 1\nr0 <<= 3\nexit' })
    )
    if (!d.ok) throw new Error(d.error.message)
    const shift = d.value.insns[1]
    if (shift === undefined) throw new Error('missing insn')
    d.value.insns[1] = { ...shift, insn: { ...shift.insn, imm: 64 } }
    const r = analyze(d.value, { progType: 'xdp', maps: [] })
    expect(r.ok ? 'accepted' : r.error.index).toBe(1)
  })
})
