/** @fileoverview Target kernels: version parsing, the instructions each release lacks, the null-check elision, proposals. */
import { describe, expect, it } from 'vitest'
import {
  firstMissing,
  insnNeeds,
  KERNEL_FEATURES,
  parseKernelVersion,
  targetHas,
  type KernelVersion
} from '../../src-daemon/core/analysis/kernel-target'
import { analyze } from '../../src-daemon/core/analysis/verifier'
import { assemble } from '../../src-daemon/core/isa/asm'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { OPS } from '../../src-daemon/core/isa/opcodes'
import { buildProposalTable, isIsaV4 } from '../../src-daemon/core/search/proposal-table'
import { ARRAY8, LOOKUP, PROG_ARRAY } from './crafted-cases'
import { TYPED } from './crafted-types'

const k = (text: string): KernelVersion => {
  const v = parseKernelVersion(text)
  if (!v.ok) throw new Error(v.error.message)
  return v.value
}

function asm(text: string): Insn[] {
  const a = assemble(text, 'llvm')
  if (!a.ok) throw new Error(a.error.message)
  return a.value
}

/** A constant-key array lookup whose value is used without a null check. */
const UNCHECKED = `${LOOKUP}
  r1 = 1
  lock *(u32 *)(r0 + 0) += r1
  r0 = 0
  exit`

describe('kernel versions', () => {
  it('parses releases as uname prints them and refuses anything else with a stable code', () => {
    expect(k('6.1')).toEqual({ major: 6, minor: 1 })
    expect(k('6.1.0-57-cloud-amd64')).toEqual({ major: 6, minor: 1 })
    expect(k('v6.18.3')).toEqual({ major: 6, minor: 18 })
    for (const bad of ['', '6', 'six.one', '6.1x'])
      expect(parseKernelVersion(bad)).toMatchObject({
        ok: false,
        error: { code: 'KERNEL_VERSION_INVALID' }
      })
  })

  it('names a release and a source for every feature, in release order', () => {
    for (const r of KERNEL_FEATURES) expect(r.source.length).toBeGreaterThan(20)
    expect(targetHas(k('6.13'), 'const_key_lookup')).toBe(false)
    expect(targetHas(k('6.14'), 'const_key_lookup')).toBe(true)
    expect(targetHas(undefined, 'isa_v4')).toBe(true)
  })

  it('knows which instructions need which release', () => {
    const need = (text: string): string | undefined => insnNeeds(asm(text), 0)
    expect(need('w0 = 1')).toBeUndefined()
    expect(need('if w1 > 2 goto +0')).toBe('jmp32')
    expect(need('r0 s/= 3')).toBe('isa_v4')
    expect(need('r0 = (s8)r1')).toBe('isa_v4')
    expect(need('r0 = bswap16 r0')).toBe('isa_v4')
    expect(need('r0 = *(s32 *)(r1 + 0)')).toBe('isa_v4')
    expect(need('lock *(u64 *)(r1 + 0) += r2')).toBeUndefined()
    expect(need('r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)')).toBe('atomic_fetch')
    expect(need('if r1 > 2 goto -1')).toBe('bounded_loops')
    expect(firstMissing(asm('r0 = 0\nr0 s/= 3\nexit'), k('6.1'))).toEqual({
      index: 1,
      feature: 'isa_v4'
    })
    expect(firstMissing(asm('r0 = 0\nr0 s/= 3\nexit'), k('6.6'))).toBeUndefined()
  })
})

describe('the analysis follows the target kernel', () => {
  const maps = [ARRAY8]
  it('drops the null check of a constant-key array lookup only from 6.14', () => {
    const slots = asm(UNCHECKED)
    expect(analyze(slots, { progType: 'xdp', maps }).ok).toBe(true)
    expect(analyze(slots, { progType: 'xdp', maps, targetKernel: k('6.14') }).ok).toBe(true)
    const old = analyze(slots, { progType: 'xdp', maps, targetKernel: k('6.1') })
    expect(old).toMatchObject({
      ok: false,
      error: { code: 'VERIFY_NULL_DEREF', message: "R0 invalid mem access 'map_value_or_null'" }
    })
  })

  it('invalidates packet pointers after a tail call for every target before 6.18', () => {
    // The crafted case that the running 6.18 kernel accepts (test/analysis/crafted-types.ts).
    const tailCall = TYPED.find((c) =>
      c.name.startsWith('packet pointers stay valid after a tail')
    )!
    const slots = asm(tailCall.asm)
    const maps = [PROG_ARRAY]
    expect(analyze(slots, { progType: 'sched_cls', maps }).ok).toBe(true)
    expect(analyze(slots, { progType: 'sched_cls', maps, targetKernel: k('6.18') }).ok).toBe(true)
    const old = analyze(slots, { progType: 'sched_cls', maps, targetKernel: k('6.12') })
    expect(old).toMatchObject({ ok: false, error: { index: 11 } })
  })

  it('refuses instructions the target lacks, naming the release that added them', () => {
    const r = analyze(asm('r0 = 7\nr0 s/= 3\nexit'), {
      progType: 'xdp',
      maps: [],
      targetKernel: k('6.1')
    })
    expect(r).toMatchObject({ ok: false, error: { code: 'CFG_TARGET_KERNEL', index: 1 } })
    if (!r.ok) expect(r.error.message).toMatch(/need Linux 6\.6; the target kernel is 6\.1/)
  })
})

describe('proposals for a target kernel', () => {
  const created = (allowIsaV4: boolean, target?: string): Set<string> => {
    const t = buildProposalTable(allowIsaV4, target === undefined ? undefined : k(target))
    return new Set([...t.createPlain, ...t.createJump].map((r) => OPS[r]!.name))
  }
  it('never creates a row the target lacks', () => {
    const rows = (allow: boolean, target?: string) =>
      [...buildProposalTable(allow, target === undefined ? undefined : k(target)).createPlain].map(
        (r) => OPS[r]!
      )
    expect(rows(true).some(isIsaV4)).toBe(true)
    expect(rows(true, '6.1').some(isIsaV4)).toBe(false)
    expect(rows(true, '6.6').some(isIsaV4)).toBe(true)
    const atomics = (t?: string) =>
      [...created(false, t)].filter((n) => n.includes('atomic') || n.includes('lock'))
    expect(atomics('5.12').length).toBeGreaterThan(atomics('5.10').length)
    const jmp32 = (t?: string) =>
      [...buildProposalTable(false, t === undefined ? undefined : k(t)).createJump].filter(
        (r) => (OPS[r]!.code & 7) === 6
      ).length
    expect(jmp32('5.1')).toBeGreaterThan(0)
    expect(jmp32('4.19')).toBe(0)
  })
})
