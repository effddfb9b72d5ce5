/**
 * @fileoverview The kconfig externs LINUX_KERNEL_VERSION and LINUX_HAS_SYSCALL_WRAPPER
 * (test/fixtures/c/kconfig_version.c): the link points their ld_imm64 at a read-only, frozen
 * `.kconfig` map holding the running kernel's values, as libbpf does (before, every program
 * reading them stopped with "unsupported relocation (extern)"); the search keeps those slots;
 * Summit's loader runs them in the kernel.
 */
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { MAP_RDONLY_PROG } from '../../src-daemon/core/analysis/types'
import { checkTarget } from '../../src-daemon/engine/kernel/kernel-plan'
import {
  hasSyscallWrapper,
  linkProgram,
  linuxKernelVersion
} from '../../src-daemon/engine/kernel/link-object'
import { loadInput, selectPrograms } from '../../src-daemon/engine/program/load'
import { runnable } from '../../src-daemon/engine/program/program-model'
import { prepareJob } from '../../src-daemon/engine/search/prepare'
import { runOnInput } from '../../src-daemon/engine/kernel/subject-run'
import { kernelInput } from '../../src-daemon/engine/kernel/kernel-inputs'
import { ProgType } from '../../src-daemon/engine/kernel/bpf-constants'
import { ipv4Packet, openKernelOracle, unwrap } from './kernel-test-support'
import { skipUnlessKernelHas } from '../support/environment'

const FILE = fileURLToPath(new URL('../fixtures/obj/kconfig_version.o', import.meta.url))
const { oracle, available } = await openKernelOracle('kconfig-extern')
afterAll(() => oracle.dispose())

function program() {
  const input = loadInput(FILE)
  return { input, program: selectPrograms(input, 'xdp')[0]! }
}

describe('kconfig externs', () => {
  it('computes LINUX_KERNEL_VERSION as libbpf does', () => {
    expect(linuxKernelVersion('6.18.44-fc-v1272')).toBe((6 << 16) | (18 << 8) | 44)
    expect(linuxKernelVersion('4.19.300')).toBe((4 << 16) | (19 << 8) | 255)
    expect(linuxKernelVersion('6.1')).toBe((6 << 16) | (1 << 8))
  })

  it('finds syscall wrappers among kernel symbols as libbpf does', () => {
    const syms = (name: string): string =>
      `ffffffff81000000 T _stext\nffffffff8123abc0 T ${name}\nffffffff8123abd0 t other\n`
    expect(hasSyscallWrapper(syms('__x64_sys_bpf'))).toBe(true)
    expect(hasSyscallWrapper(syms('__arm64_sys_bpf'))).toBe(true)
    expect(hasSyscallWrapper(syms('sys_bpf'))).toBe(false)
    expect(hasSyscallWrapper(syms('__x64_sys_bpf_extra'))).toBe(false)
    expect(hasSyscallWrapper('')).toBe(false)
  })

  it("links LINUX_HAS_SYSCALL_WRAPPER to a .kconfig slot holding this kernel's answer", () => {
    const { input } = program()
    const l = linkProgram(input.object!, 'xdp_syscall_wrapper')
    if (!l.ok) throw new Error(l.error.message)
    expect(l.value.externSlots).toEqual([0, 1])
    const i = l.value.insns[0]!.imm
    expect(l.value.maps[i]).toMatchObject({ name: '.kconfig', freeze: true })
    const value = l.value.mapEntries[i]![0]!.value
    expect(value[l.value.insns[1]!.imm]).toBe(hasSyscallWrapper() ? 1 : 0)
  })

  it.skipIf(!available)(
    "runs the syscall-wrapper program in the kernel through Summit's loader",
    async () => {
      await skipUnlessKernelHas('kconfig extern', [{ kind: 'testRun', progType: ProgType.xdp }])
      const input = loadInput(FILE)
      const p = selectPrograms(input, 'xdp').find((q) => q.name === 'xdp_syscall_wrapper')!
      const t = checkTarget(input, p, undefined)
      const subject = t.subject.kind === 'object' ? t.subject.fallback! : t.subject
      const run = unwrap(
        await runOnInput(oracle, subject, kernelInput('xdp', 'short', ipv4Packet(), new Map()))
      )
      if (run.kind !== 'ran') throw new Error(run.reason)
      expect(run.observation.retval).toBe(hasSyscallWrapper() ? 2 : 1)
    }
  )

  it('links the extern to a frozen .kconfig map holding the version', () => {
    const { input } = program()
    const l = linkProgram(input.object!, 'xdp_kernel_version')
    if (!l.ok) throw new Error(l.error.message)
    expect(l.value.externSlots).toEqual([1, 2])
    const i = l.value.insns[1]!.imm
    expect(l.value.insns[1]!.src).toBe(2)
    expect(l.value.maps[i]).toMatchObject({
      name: '.kconfig',
      flags: MAP_RDONLY_PROG,
      freeze: true
    })
    const value = l.value.mapEntries[i]![0]!.value
    expect(new DataView(value.buffer).getUint32(0, true)).toBe(linuxKernelVersion())
  })

  it('keeps the extern slots out of rewrites and lets the analysis read the version', () => {
    const { input, program: p } = program()
    const r = runnable(input, p)
    expect(r.externSlots).toEqual([1, 2])
    const job = prepareJob(r, { iterations: 10 })
    if (!job.ok) throw new Error(job.error.message)
    expect(job.value.pinnedSlots).toEqual([1, 2])
  })

  it.skipIf(!available)("runs in the kernel through Summit's loader", async () => {
    await skipUnlessKernelHas('kconfig extern', [{ kind: 'testRun', progType: ProgType.xdp }])
    const { input, program: p } = program()
    const t = checkTarget(input, p, undefined)
    const subject = t.subject.kind === 'object' ? t.subject.fallback! : t.subject
    const run = unwrap(
      await runOnInput(oracle, subject, kernelInput('xdp', 'short', ipv4Packet(), new Map()))
    )
    if (run.kind !== 'ran') throw new Error(run.reason)
    // This kernel is 5.0 or later: XDP_PASS whatever the packet.
    expect(run.observation.retval).toBe(2)
  })
})
