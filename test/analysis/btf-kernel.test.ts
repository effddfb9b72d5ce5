/**
 * @fileoverview BTF-typed programs (fentry, fexit, tp_btf, LSM) written in C, compiled here with
 * clang and checked by the safety analysis against this kernel's BTF and by the kernel's own
 * verifier (libbpf sets the attach target): both must reach the same verdict. Needs root, clang,
 * libbpf headers and /sys/kernel/btf/vmlinux; skipped with the reason printed otherwise. A program
 * the kernel cannot load for another reason (some kernels refuse fentry and LSM loads with EPERM
 * before the verifier runs, as this test machine's does) is skipped with libbpf's reason.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { chooseProfile } from '../../src-daemon/core/search/safety'
import { loadInput } from '../../src-daemon/engine/program/load'
import { runnable } from '../../src-daemon/engine/program/program-model'
import { openKernelOracle } from '../kernel/kernel-test-support'
import { hasTool, printSkip } from '../support/environment'

const SOURCE = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct mm_struct { unsigned long total_vm; } __attribute__((preserve_access_index));
struct task_struct {
  int pid;
  struct task_struct *real_parent;
  struct mm_struct *mm;
} __attribute__((preserve_access_index));
struct file { unsigned int f_flags; } __attribute__((preserve_access_index));

__u64 seen;

SEC("fentry/wake_up_process")
int BPF_PROG(fentry_reads_member, struct task_struct *p)
{
  seen = p->pid;
  return 0;
}

SEC("fentry/wake_up_process")
int BPF_PROG(fentry_writes_member, struct task_struct *p)
{
  p->pid = 1;
  return 0;
}

SEC("fentry/wake_up_process")
int fentry_second_argument(__u64 *ctx)
{
  seen = ctx[1];
  return 0;
}

SEC("fexit/wake_up_process")
int fexit_return_value(__u64 *ctx)
{
  seen = ctx[1];
  return 0;
}

SEC("fentry/wake_up_process")
int fentry_returns_one(__u64 *ctx)
{
  return 1;
}

SEC("fentry/wake_up_process")
int fentry_before_struct(__u64 *ctx)
{
  char *p = (char *)ctx[0];
  seen = *(volatile int *)(p - 8);
  return 0;
}

SEC("fentry/wake_up_process")
int BPF_PROG(fentry_through_parent, struct task_struct *p)
{
  seen = p->real_parent->pid;
  return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(tp_parent_pid, int preempt, struct task_struct *prev, struct task_struct *next)
{
  seen = next->real_parent->pid;
  return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(tp_mm_checked, int preempt, struct task_struct *prev, struct task_struct *next)
{
  struct mm_struct *mm = next->mm;
  if (mm)
    seen = mm->total_vm;
  return 0;
}

SEC("tp_btf/sched_switch")
int tp_fifth_argument(__u64 *ctx)
{
  seen = ctx[4];
  return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(tp_writes_member, int preempt, struct task_struct *prev, struct task_struct *next)
{
  next->pid = 1;
  return 0;
}

SEC("tp_btf/sched_switch")
int tp_before_struct(__u64 *ctx)
{
  char *p = (char *)ctx[2];
  seen = *(volatile int *)(p - 8);
  return 0;
}

SEC("tp_btf/sched_switch")
int tp_scalar_argument(__u64 *ctx)
{
  seen = (unsigned int)ctx[3];
  return 0;
}

SEC("lsm/file_open")
int BPF_PROG(lsm_reads_flags, struct file *file)
{
  return file->f_flags == 12345 ? -1 : 0;
}

SEC("lsm/file_open")
int BPF_PROG(lsm_returns_one, struct file *file)
{
  return 1;
}

SEC("lsm/file_open")
int BPF_PROG(lsm_returns_earlier_verdict, struct file *file, int ret)
{
  return ret;
}

char LICENSE[] SEC("license") = "GPL";
`

/** Program name → the verdict both must reach. */
const EXPECTED: Readonly<Record<string, 'accept' | 'reject'>> = {
  fentry_reads_member: 'accept',
  fentry_writes_member: 'reject',
  fentry_second_argument: 'reject',
  fentry_through_parent: 'accept',
  fexit_return_value: 'accept',
  fentry_returns_one: 'reject',
  fentry_before_struct: 'reject',
  tp_parent_pid: 'accept',
  tp_mm_checked: 'accept',
  tp_fifth_argument: 'reject',
  tp_writes_member: 'reject',
  tp_before_struct: 'reject',
  tp_scalar_argument: 'accept',
  lsm_reads_flags: 'accept',
  lsm_returns_one: 'reject',
  lsm_returns_earlier_verdict: 'accept'
}

const WHAT = 'BTF-typed programs against the kernel'

function build(): string | undefined {
  if (!hasTool('clang', WHAT)) return undefined
  if (!existsSync('/sys/kernel/btf/vmlinux')) {
    printSkip(WHAT, 'this kernel exposes no BTF (/sys/kernel/btf/vmlinux)')
    return undefined
  }
  if (!existsSync('/usr/include/bpf/bpf_tracing.h')) {
    printSkip(WHAT, 'libbpf headers are not installed (Debian package libbpf-dev)')
    return undefined
  }
  const dir = mkdtempSync(join(tmpdir(), 'summit-btf-'))
  writeFileSync(join(dir, 'btf.c'), SOURCE)
  execFileSync('clang', [
    '-O2',
    '-g',
    '-target',
    'bpf',
    '-I/usr/include/x86_64-linux-gnu',
    '-c',
    join(dir, 'btf.c'),
    '-o',
    join(dir, 'btf.o')
  ])
  return dir
}

const dir = build()
const { oracle, available } = await openKernelOracle(WHAT)
afterAll(async () => {
  await oracle.dispose()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

/** The analysis verdict on program `name` of the built object (resolved against this kernel). */
function analysisVerdict(file: string, name: string): string {
  const input = loadInput(file)
  const p = input.programs.find((q) => q.name === name)
  if (p === undefined) throw new Error(`${name} not in the object`)
  const r = runnable(input, p)
  const c = chooseProfile(r.slots, r.progType, r.model, r.attachType, undefined, r.btf)
  return c.ok ? 'accept' : `reject (${c.error.error.code}: ${c.error.error.message})`
}

describe.skipIf(dir === undefined || !available)(WHAT, () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${expected === 'accept' ? 'both accept' : 'both refuse'} ${name}`, async () => {
      const file = join(dir as string, 'btf.o')
      // The analysis answers as the kernel's rules say, whether or not this kernel can load it.
      expect(analysisVerdict(file, name).split(' ')[0]).toBe(expected)
      const k = await oracle.openObject(readFileSync(file), { load: [name] })
      if (!k.ok && k.error.code !== 'KERNEL_VERIFIER_REJECTED') {
        printSkip(`${WHAT}: ${name} in the kernel`, `it could not load it: ${k.error.message}`)
        return
      }
      if (k.ok) await oracle.closeObject(k.value)
      expect(k.ok ? 'accept' : 'reject').toBe(expected)
    })
  }
})
