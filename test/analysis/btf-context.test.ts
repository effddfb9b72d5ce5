/**
 * @fileoverview BTF-typed contexts (fentry, fexit, fmod_ret, LSM, tp_btf) against a hand-made
 * kernel BTF: attach target resolution, context loads (btf_ctx_access) and loads through
 * kernel-BTF pointers (btf_struct_walk), accepted and refused as the kernel does.
 */
import { describe, expect, it } from 'vitest'
import {
  btfTargetName,
  indexByName,
  resolveBtfTarget,
  type BtfTarget
} from '../../src-daemon/core/analysis/btf-target'
import { parseKernelVersion } from '../../src-daemon/core/analysis/kernel-target'
import { attachTypeOfSection } from '../../src-daemon/core/analysis/program-kind'
import type { AnalyzeOptions } from '../../src-daemon/core/analysis/types'
import { analyze } from '../../src-daemon/core/analysis/verifier'
import { assemble } from '../../src-daemon/core/isa/asm'
import { TEST_BTF } from './btf-fixture'

const INDEX = indexByName(TEST_BTF)

function target(section: string, license = 'GPL'): BtfTarget {
  const r = resolveBtfTarget(TEST_BTF, INDEX, section, license)
  if (!r.ok) throw new Error(r.error.message)
  return r.value
}

/** The analysis verdict on `asm` as the program of `section`: 'accept' or `CODE: reason`. */
function verdict(section: string, asm: string, extra: Partial<AnalyzeOptions> = {}): string {
  const a = assemble(asm, 'llvm')
  if (!a.ok) throw new Error(a.error.message)
  const attachType = attachTypeOfSection(section)
  const r = analyze(a.value, {
    progType: section.startsWith('lsm') ? 'lsm' : 'tracing',
    maps: [],
    ...(attachType !== undefined ? { attachType } : {}),
    btfTarget: target(section),
    ...extra
  })
  return r.ok ? 'accept' : `${r.error.code}: ${r.error.message}`
}

/** `r2` = the task pointer (argument 1 of do_thing), then `body`, then return 0. */
const withTask = (body: string): string => `r2 = *(u64 *)(r1 + 8)\n${body}\nr0 = 0\nexit`

describe('attach targets from BTF', () => {
  it('names the target a section names, as libbpf does', () => {
    expect(btfTargetName('fentry/do_unlinkat')).toEqual({ kind: 'fentry', name: 'do_unlinkat' })
    expect(btfTargetName('fexit.s/vfs_read')).toEqual({
      kind: 'fexit',
      name: 'vfs_read',
      sleepable: true
    })
    expect(btfTargetName('lsm/file_open')).toEqual({ kind: 'lsm', name: 'file_open' })
    expect(btfTargetName('lsm_cgroup/file_open')).toBeUndefined()
    expect(btfTargetName('kprobe/do_unlinkat')).toBeUndefined()
  })

  it('resolves fentry to the FUNC, LSM to bpf_lsm_NAME, tp_btf to btf_trace_NAME without __data', () => {
    const f = target('fentry/do_thing')
    expect(f.args).toEqual([{ kind: 'scalar' }, { kind: 'struct', id: 5 }])
    expect(f.ret).toEqual({ kind: 'scalar' })
    expect(target('lsm/file_open').name).toBe('bpf_lsm_file_open')
    const tp = target('tp_btf/sched_switch')
    expect(tp.args).toEqual([{ kind: 'struct', id: 5 }, { kind: 'scalar' }])
    expect(tp.ret).toEqual({ kind: 'other', what: 'void' })
    expect(target('fexit/float_arg').args).toEqual([{ kind: 'other', what: 'FLOAT' }])
  })

  it('refuses a target missing from the BTF, naming it', () => {
    const r = resolveBtfTarget(TEST_BTF, INDEX, 'fentry/do_unlinkat')
    expect(r.ok ? 'found' : r.error.message).toBe(
      "attach target do_unlinkat not found in the kernel's BTF"
    )
    const lsm = resolveBtfTarget(TEST_BTF, INDEX, 'lsm/bprm_check')
    expect(lsm.ok ? 'found' : lsm.error.message).toContain('bpf_lsm_bprm_check not found')
  })

  it('is plain data that survives JSON (it crosses to workers and the job store)', () => {
    const f = target('lsm/file_open')
    expect(JSON.parse(JSON.stringify(f))).toEqual(f)
    expect(f.safeFields).toEqual({ task_struct__safe_rcu_or_null: ['parent:5'] })
  })

  it('without a target, even a program that never reads its context is refused', () => {
    const a = assemble('r0 = 0\nexit', 'llvm')
    if (!a.ok) throw new Error(a.error.message)
    for (const attachType of ['trace_fentry', 'trace_fexit', 'modify_return'] as const) {
      const r = analyze(a.value, { progType: 'tracing', attachType, maps: [], btfRefusal: 'gone' })
      expect(r.ok ? 'accept' : `${r.error.code}: ${r.error.message}`).toBe(
        'VERIFY_UNSUPPORTED: gone'
      )
    }
    const lsm = analyze(a.value, { progType: 'lsm', attachType: 'lsm_mac', maps: [] })
    expect(lsm.ok ? 'accept' : lsm.error.message).toBe('no attach target BTF was given')
  })

  it('without a target, context loads are refused with the reason given', () => {
    const a = assemble('r2 = *(u64 *)(r1 + 0)\nr0 = 0\nexit', 'llvm')
    if (!a.ok) throw new Error(a.error.message)
    const r = analyze(a.value, {
      progType: 'tracing',
      attachType: 'trace_fentry',
      maps: [],
      btfRefusal: "attach target do_unlinkat not found in the kernel's BTF"
    })
    expect(r.ok ? 'accept' : `${r.error.code}: ${r.error.message}`).toBe(
      "VERIFY_UNSUPPORTED: attach target do_unlinkat not found in the kernel's BTF"
    )
  })
})

/** [name, section, program, expected verdict ('accept' or a prefix of `CODE: reason`)]. */
const CASES: readonly (readonly [string, string, string, string])[] = [
  // Context loads (tracing_prog_is_valid_access + btf_ctx_access).
  ['scalar argument, 8 bytes', 'fentry/do_thing', 'r2 = *(u64 *)(r1 + 0)\nr0 = 0\nexit', 'accept'],
  ['scalar argument, narrow', 'fentry/do_thing', 'r2 = *(u32 *)(r1 + 0)\nr0 = 0\nexit', 'accept'],
  [
    'offset not a multiple of 8',
    'fentry/do_thing',
    'r2 = *(u32 *)(r1 + 4)\nr0 = 0\nexit',
    "VERIFY_CTX_ACCESS: func 'do_thing' offset 4 is not multiple of 8"
  ],
  [
    'a third argument of a two-argument function',
    'fentry/do_thing',
    'r2 = *(u64 *)(r1 + 16)\nr0 = 0\nexit',
    "VERIFY_CTX_ACCESS: func 'do_thing' doesn't have 3-th argument"
  ],
  [
    'beyond the return value',
    'fexit/do_thing',
    'r2 = *(u64 *)(r1 + 24)\nr0 = 0\nexit',
    "VERIFY_CTX_ACCESS: func 'do_thing' doesn't have 4-th argument"
  ],
  [
    'fexit reads the return value',
    'fexit/do_thing',
    'r2 = *(u64 *)(r1 + 16)\nr0 = 0\nexit',
    'accept'
  ],
  [
    'fmod_ret reads an int return value',
    'fmod_ret/security_do_thing',
    'r2 = *(u64 *)(r1 + 16)\nr0 = 0\nexit',
    'accept'
  ],
  [
    'fmod_ret of a void function',
    'fmod_ret/security_void_fn',
    'r2 = *(u64 *)(r1 + 8)\nr0 = 0\nexit',
    'VERIFY_CTX_ACCESS: ret type void not allowed for fmod_ret'
  ],
  [
    'a sleepable program (which targets may sleep is not in BTF)',
    'fentry.s/do_thing',
    'r0 = 0\nexit',
    'VERIFY_UNSUPPORTED: whether do_thing may sleep is not in BTF'
  ],
  [
    'fmod_ret of a function not known to be modifiable (error injection list)',
    'fmod_ret/do_thing',
    'r0 = 0\nexit',
    'VERIFY_UNSUPPORTED: do_thing() is not modifiable as far as the analysis knows'
  ],
  [
    'fexit reads the return value of a void function',
    'fexit/void_fn',
    'r2 = *(u64 *)(r1 + 8)\nr0 = 0\nexit',
    "VERIFY_CTX_ACCESS: func 'void_fn' arg1 has type void"
  ],
  [
    'a float argument',
    'fentry/float_arg',
    'r2 = *(u64 *)(r1 + 0)\nr0 = 0\nexit',
    "VERIFY_CTX_ACCESS: func 'float_arg' arg0 has type FLOAT"
  ],
  [
    'a write to the context',
    'fentry/do_thing',
    'r2 = 1\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit',
    'VERIFY_CTX_ACCESS: invalid bpf_context access off=0 size=8'
  ],
  [
    'a pointer argument read narrow',
    'fentry/do_thing',
    'r2 = *(u32 *)(r1 + 8)\nr0 = 0\nexit',
    "VERIFY_CTX_ACCESS: func 'do_thing' size 4 must be 8"
  ],
  [
    'a __nullable argument used without a null check',
    'fentry/nullable_fn',
    'r2 = *(u64 *)(r1 + 0)\nr3 = *(u32 *)(r2 + 0)\nr0 = 0\nexit',
    "VERIFY_NULL_DEREF: R2 invalid mem access 'ptr_or_null_'"
  ],
  [
    'a __nullable argument null-checked first',
    'fentry/nullable_fn',
    'r2 = *(u64 *)(r1 + 0)\nif r2 == 0 goto +1\nr3 = *(u32 *)(r2 + 0)\nr0 = 0\nexit',
    'accept'
  ],
  ['a pointer to int, whole', 'fentry/intptr_fn', 'r2 = *(u64 *)(r1 + 0)\nr0 = 0\nexit', 'accept'],
  [
    'a pointer to int, narrow',
    'fentry/intptr_fn',
    'r2 = *(u32 *)(r1 + 0)\nr0 = 0\nexit',
    "VERIFY_CTX_ACCESS: func 'intptr_fn' size 4 must be 8"
  ],
  [
    'through a pointer to int (a scalar to the kernel)',
    'fentry/intptr_fn',
    'r2 = *(u64 *)(r1 + 0)\nr3 = *(u32 *)(r2 + 0)\nr0 = 0\nexit',
    "VERIFY_INVALID_MEM: R2 invalid mem access 'scalar'"
  ],
  ['fentry must return 0', 'fentry/do_thing', 'r0 = 1\nexit', 'VERIFY_RETURN_CODE'],
  // Loads through the pointer (check_ptr_to_btf_access + btf_struct_walk).
  ['a scalar member', 'fentry/do_thing', withTask('r3 = *(u32 *)(r2 + 4)'), 'accept'],
  ['a member of a nested struct', 'fentry/do_thing', withTask('r3 = *(u32 *)(r2 + 12)'), 'accept'],
  [
    'a char array read as one word',
    'fentry/do_thing',
    withTask('r3 = *(u64 *)(r2 + 24)'),
    'accept'
  ],
  [
    'a pointer member, then through it (fentry: never null)',
    'fentry/do_thing',
    withTask('r3 = *(u64 *)(r2 + 16)\nr4 = *(u32 *)(r3 + 4)'),
    'accept'
  ],
  [
    'part of a pointer member',
    'fentry/do_thing',
    withTask('r3 = *(u32 *)(r2 + 16)'),
    'VERIFY_INVALID_MEM: cannot access ptr member parent with moff 16 in struct task_struct with off 16 size 4'
  ],
  [
    'past the end of the struct',
    'fentry/do_thing',
    withTask('r3 = *(u32 *)(r2 + 48)'),
    'VERIFY_INVALID_MEM: access beyond struct task_struct at off 48 size 4'
  ],
  [
    'across two int members',
    'fentry/do_thing',
    withTask('r3 = *(u64 *)(r2 + 0)'),
    'VERIFY_INVALID_MEM: access beyond the end of member pid (mend:4) in struct task_struct with off 0 size 8'
  ],
  [
    'a store through the pointer',
    'fentry/do_thing',
    withTask('r3 = 1\n*(u32 *)(r2 + 0) = r3'),
    'VERIFY_INVALID_MEM: only read is supported'
  ],
  [
    'a negative offset',
    'fentry/do_thing',
    withTask('r3 = *(u32 *)(r2 - 4)'),
    'VERIFY_INVALID_MEM: R2 is ptr_task_struct invalid negative access: off=-4'
  ],
  [
    'a variable offset',
    'fentry/do_thing',
    withTask('r4 = *(u64 *)(r1 + 0)\nr4 &= 4\nr2 += r4\nr3 = *(u32 *)(r2 + 0)'),
    'VERIFY_INVALID_MEM: R2 is ptr_task_struct invalid variable offset'
  ],
  [
    'a constant offset added first',
    'fentry/do_thing',
    withTask('r2 += 4\nr3 = *(u32 *)(r2 + 0)'),
    'accept'
  ],
  [
    'a __user pointer member',
    'fentry/do_thing',
    withTask('r3 = *(u64 *)(r2 + 40)\nr4 = *(u32 *)(r3 + 0)'),
    'VERIFY_INVALID_MEM: R3 is ptr_task_struct access user memory: off=0'
  ],
  [
    'through a char * member (untrusted memory, not modelled)',
    'fentry/do_thing',
    withTask('r3 = *(u64 *)(r2 + 32)\nr4 = *(u8 *)(r3 + 0)'),
    'VERIFY_UNSUPPORTED'
  ],
  [
    'spilled to the stack and filled back',
    'fentry/do_thing',
    withTask('*(u64 *)(r10 - 8) = r2\nr3 = *(u64 *)(r10 - 8)\nr4 = *(u32 *)(r3 + 0)'),
    'accept'
  ],
  [
    'spilled with a narrow store',
    'fentry/do_thing',
    withTask('*(u32 *)(r10 - 8) = r2'),
    'VERIFY_SPILL'
  ],
  [
    'passed as the source of bpf_probe_read_kernel',
    'fentry/do_thing',
    withTask('r3 = r2\nr3 += 16\nr1 = r10\nr1 += -8\nr2 = 8\ncall 113'),
    'accept'
  ],
  [
    'passed as helper memory',
    'fentry/do_thing',
    withTask('r1 = r2\nr2 = 8\ncall 16'),
    'VERIFY_HELPER_ARG'
  ],
  [
    'null-checked, then read',
    'fentry/do_thing',
    withTask('if r2 == 0 goto +1\nr3 = *(u32 *)(r2 + 0)'),
    'accept'
  ],
  ['multiplied', 'fentry/do_thing', withTask('r2 *= 2'), 'VERIFY_PTR_ARITH'],
  // Trusted arguments (LSM, tp_btf): fields on the kernel's rcu-or-null list need a null check.
  [
    'LSM: a listed RCU-or-null field used without a null check',
    'lsm/file_open',
    withTask('r3 = *(u64 *)(r2 + 16)\nr4 = *(u32 *)(r3 + 0)'),
    "VERIFY_NULL_DEREF: R3 invalid mem access 'ptr_or_null_'"
  ],
  [
    'LSM: a listed RCU-or-null field null-checked first',
    'lsm/file_open',
    withTask('r3 = *(u64 *)(r2 + 16)\nif r3 == 0 goto +1\nr4 = *(u32 *)(r3 + 0)'),
    'accept'
  ],
  [
    'LSM: pointer arithmetic before the null check',
    'lsm/file_open',
    withTask('r3 = *(u64 *)(r2 + 16)\nr3 += 4'),
    'VERIFY_PTR_ARITH'
  ],
  [
    'LSM: the earlier return value is within the hook range and may be returned',
    'lsm/file_open',
    'r0 = *(u64 *)(r1 + 16)\nexit',
    'accept'
  ],
  ['LSM: a positive return value', 'lsm/file_open', 'r0 = 1\nexit', 'VERIFY_RETURN_CODE'],
  ['LSM: -EPERM', 'lsm/file_open', 'r0 = -1\nexit', 'accept'],
  [
    'tp_btf: the task argument, read through',
    'tp_btf/sched_switch',
    'r2 = *(u64 *)(r1 + 0)\nr3 = *(u32 *)(r2 + 0)\nr0 = 0\nexit',
    'accept'
  ],
  [
    'tp_btf: no slot for __data',
    'tp_btf/sched_switch',
    'r2 = *(u64 *)(r1 + 16)\nr0 = 0\nexit',
    "VERIFY_CTX_ACCESS: func 'sched_switch' doesn't have 3-th argument"
  ],
  [
    'tp_btf: a tracepoint whose nullable arguments the analysis does not know',
    'tp_btf/foo_event',
    'r2 = *(u64 *)(r1 + 0)\nr0 = 0\nexit',
    'VERIFY_UNSUPPORTED: whether the kernel treats tp_btf/foo_event'
  ],
  [
    'bpf_get_current_task_btf, read through',
    'fentry/do_thing',
    'call 158\nr3 = *(u32 *)(r0 + 4)\nr0 = 0\nexit',
    'accept'
  ]
]

describe('BTF-typed contexts and kernel-BTF pointers', () => {
  for (const [name, section, asm, expected] of CASES) {
    it(`${expected === 'accept' ? 'accepts' : 'refuses'}: ${name} (${section})`, () => {
      const v = verdict(section, asm)
      if (expected === 'accept') expect(v).toBe('accept')
      else expect(v.startsWith(expected) ? expected : v).toBe(expected)
    })
  }

  it('allows bpf_sk_storage_get on a struct sock argument, except when tracing bpf_sk_storage*', () => {
    const asm = `
      r2 = *(u64 *)(r1 + 0)
      ld_pseudo r1, 1, 0
      r3 = 0
      r4 = 0
      call 107
      r0 = 0
      exit`
    const maps = [{ type: 24, keySize: 4, valueSize: 8, maxEntries: 0, flags: 1 }]
    expect(verdict('fentry/tcp_thing', asm, { maps })).toBe('accept')
    expect(verdict('fentry/bpf_sk_storage_thing', asm, { maps })).toMatch(
      /^VERIFY_UNSUPPORTED: helper bpf_sk_storage_get#107 is allowed only for some attach targets/
    )
    // A pointer moved off the struct's start is not passed to typed helper arguments.
    const moved = asm.replace('r2 = *(u64 *)(r1 + 0)', 'r2 = *(u64 *)(r1 + 0)\nr2 += 8')
    expect(verdict('fentry/tcp_thing', moved, { maps })).toMatch(/^VERIFY_HELPER_ARG/)
  })

  it('refuses loads through the pointer from a program whose license is not GPL-compatible', () => {
    const v = verdict('fentry/do_thing', withTask('r3 = *(u32 *)(r2 + 0)'), {
      btfTarget: target('fentry/do_thing', 'Dual BSD/MIT')
    })
    expect(v).toBe(
      "VERIFY_LICENSE: Cannot access kernel 'struct task_struct' from non-GPL compatible program"
    )
  })

  it('refuses context loads when the BTF is from another kernel than the target', () => {
    const k = parseKernelVersion('6.12')
    if (!k.ok) throw new Error(k.error.message)
    const asm = 'r2 = *(u64 *)(r1 + 0)\nr0 = 0\nexit'
    const btfTarget = { ...target('fentry/do_thing'), kernel: '6.18' }
    expect(verdict('fentry/do_thing', asm, { btfTarget })).toBe('accept')
    expect(verdict('fentry/do_thing', asm, { btfTarget, targetKernel: k.value })).toBe(
      "VERIFY_UNSUPPORTED: the attach target's BTF is from kernel 6.18, not the target kernel 6.12"
    )
  })

  it('refuses LSM programs whose license is not GPL-compatible', () => {
    const v = verdict('lsm/file_open', 'r0 = 0\nexit', {
      btfTarget: target('lsm/file_open', 'Proprietary')
    })
    expect(v).toBe('VERIFY_LICENSE: LSM programs must have a GPL compatible license')
    expect(verdict('lsm/file_open', 'r0 = 0\nexit')).toBe('accept')
  })

  it('refuses tp_btf pointer arguments for kernels before 6.14 (their nullability differs)', () => {
    const k = parseKernelVersion('6.13')
    if (!k.ok) throw new Error(k.error.message)
    const asm = 'r2 = *(u64 *)(r1 + 0)\nr0 = 0\nexit'
    expect(verdict('tp_btf/sched_switch', asm)).toBe('accept')
    expect(verdict('tp_btf/sched_switch', asm, { targetKernel: k.value })).toMatch(
      /^VERIFY_UNSUPPORTED: whether the kernel treats tp_btf\/sched_switch/
    )
  })
})
