/**
 * @fileoverview Attach targets resolved against this machine's kernel BTF
 * (/sys/kernel/btf/vmlinux), as the engine hands them to the analysis; skipped with the reason
 * printed when the kernel exposes no BTF.
 */
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { kernelBtfBinding } from '../../src-daemon/engine/program/kernel-btf'
import { printSkip } from '../support/environment'

const HAS_BTF = existsSync('/sys/kernel/btf/vmlinux')
if (!HAS_BTF)
  printSkip('kernel BTF attach targets', 'this kernel exposes no /sys/kernel/btf/vmlinux')

describe.skipIf(!HAS_BTF)('attach targets in the running kernel', () => {
  it('resolves fentry/do_unlinkat: an int, then a pointer to struct filename', () => {
    const b = kernelBtfBinding('fentry/do_unlinkat', 'GPL')
    const t = b?.btfTarget
    expect(t?.name).toBe('do_unlinkat')
    expect(t?.args[0]).toEqual({ kind: 'scalar' })
    const arg1 = t?.args[1]
    expect(arg1?.kind).toBe('struct')
    const id = arg1?.kind === 'struct' ? arg1.id : -1
    expect(t?.types.find((x) => x.id === id)?.name).toBe('filename')
    expect(t?.gplCompatible).toBe(true)
    expect(t?.kernel).toMatch(/^\d+\.\d+$/)
  })

  it('resolves LSM hooks through bpf_lsm_ and tracepoints through btf_trace_', () => {
    expect(kernelBtfBinding('lsm/file_open', 'GPL')?.btfTarget?.name).toBe('bpf_lsm_file_open')
    const tp = kernelBtfBinding('tp_btf/sched_switch', 'GPL')?.btfTarget
    expect(tp?.kind).toBe('tp_btf')
    // (bool preempt, struct task_struct *prev, struct task_struct *next, ...): __data skipped.
    expect(tp?.args[0]).toEqual({ kind: 'scalar' })
    expect(tp?.args[1]?.kind).toBe('struct')
    expect(tp?.helperStructs['task']).toBeGreaterThan(0)
  })

  it('names a target the kernel lacks, and ignores sections that name none', () => {
    expect(kernelBtfBinding('fentry/summit_no_such_function', 'GPL')).toEqual({
      btfRefusal: "attach target summit_no_such_function not found in the kernel's BTF"
    })
    expect(kernelBtfBinding('kprobe/do_unlinkat', 'GPL')).toBeUndefined()
  })

  it('keeps the data a job carries small enough to clone to each worker', () => {
    const t = kernelBtfBinding('tp_btf/sched_switch', 'GPL')?.btfTarget
    expect(JSON.stringify(t).length).toBeLessThan(4_000_000)
  })
})
