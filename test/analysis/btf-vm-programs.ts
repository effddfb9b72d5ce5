/**
 * @fileoverview The fentry, fexit, fmod_ret and LSM programs `btf-vm.test.ts` asks Linux 6.1 (in
 * a QEMU VM) and the analysis about, with the relation measured between their verdicts.
 */

/** How the two verdicts relate: equal, or the analysis refusing what the kernel accepts. */
export type Relation = 'both accept' | 'both refuse' | 'analysis stricter'

/** Programs of the GPL object; every program is loaded on its own. */
export const GPL_SOURCE = `
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
struct filename { const char *name; } __attribute__((preserve_access_index));

__u64 seen;

SEC("fentry/wake_up_process")
int BPF_PROG(fentry_reads_member, struct task_struct *p)
{
  seen = p->pid;
  return 0;
}

SEC("fentry/wake_up_process")
int BPF_PROG(fentry_through_parent, struct task_struct *p)
{
  seen = p->real_parent->pid;
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

SEC("fentry/wake_up_process")
int fentry_before_struct(__u64 *ctx)
{
  char *p = (char *)ctx[0];
  seen = *(volatile int *)(p - 8);
  return 0;
}

SEC("fentry/wake_up_process")
int fentry_beyond_struct(__u64 *ctx)
{
  char *p = (char *)ctx[0];
  seen = *(volatile int *)(p + 0x100000);
  return 0;
}

SEC("fentry/wake_up_process")
int fentry_writes_ctx(__u64 *ctx)
{
  ctx[0] = 0;
  return 0;
}

SEC("fentry/wake_up_process")
int fentry_returns_one(__u64 *ctx)
{
  return 1;
}

SEC("fentry/wake_up_process")
int fentry_narrow_pointer(__u64 *ctx)
{
  seen = *(volatile __u32 *)ctx;
  return 0;
}

SEC("fentry/do_unlinkat")
int fentry_int_argument(__u64 *ctx)
{
  seen = (int)ctx[0];
  return 0;
}

SEC("fentry/do_unlinkat")
int fentry_narrow_int(__u64 *ctx)
{
  seen = *(volatile __u32 *)ctx;
  return 0;
}

SEC("fentry/do_unlinkat")
int BPF_PROG(fentry_second_pointer, int dfd, struct filename *name)
{
  seen = (long)name->name;
  return 0;
}

SEC("fentry/kfree")
int fentry_const_void_pointer(__u64 *ctx)
{
  seen = ctx[0];
  return 0;
}

SEC("fentry/kthread_worker_fn")
int fentry_void_pointer(__u64 *ctx)
{
  seen = ctx[0];
  return 0;
}

SEC("fentry/kthread_worker_fn")
int fentry_void_pointer_deref(__u64 *ctx)
{
  seen = *(volatile long *)ctx[0];
  return 0;
}

SEC("fentry/summit_no_such_function")
int fentry_missing_target(__u64 *ctx)
{
  return 0;
}

SEC("fentry.s/wake_up_process")
int fentry_sleepable(__u64 *ctx)
{
  return 0;
}

SEC("fexit/wake_up_process")
int fexit_return_value(__u64 *ctx)
{
  seen = ctx[1];
  return 0;
}

SEC("fexit/wake_up_process")
int BPF_PROG(fexit_reads_member, struct task_struct *p, int ret)
{
  seen = p->pid + ret;
  return 0;
}

SEC("fexit/wake_up_process")
int fexit_beyond_return(__u64 *ctx)
{
  seen = ctx[2];
  return 0;
}

SEC("fexit/wake_up_process")
int fexit_writes_return(__u64 *ctx)
{
  ctx[1] = 0;
  return 0;
}

SEC("fexit/kfree")
int fexit_void_return(__u64 *ctx)
{
  seen = ctx[1];
  return 0;
}

SEC("fexit/wake_up_process")
int fexit_returns_one(__u64 *ctx)
{
  return 1;
}

SEC("fmod_ret/security_file_open")
int BPF_PROG(fmod_ret_passes_on, struct file *file, int ret)
{
  return ret;
}

SEC("fmod_ret/security_file_open")
int BPF_PROG(fmod_ret_reads_member, struct file *file)
{
  return file->f_flags == 12345 ? -1 : 0;
}

SEC("fmod_ret/security_file_open")
int fmod_ret_writes_ctx(__u64 *ctx)
{
  ctx[1] = 0;
  return 0;
}

SEC("fmod_ret/security_file_open")
int fmod_ret_beyond_return(__u64 *ctx)
{
  return (int)ctx[2];
}

SEC("fmod_ret/bpf_modify_return_test")
int fmod_ret_injectable(__u64 *ctx)
{
  return 7;
}

SEC("fmod_ret/wake_up_process")
int fmod_ret_not_modifiable(__u64 *ctx)
{
  return 0;
}

SEC("fmod_ret/kfree")
int fmod_ret_void_target(__u64 *ctx)
{
  return 0;
}

SEC("lsm/file_open")
int BPF_PROG(lsm_reads_flags, struct file *file)
{
  return file->f_flags == 12345 ? -1 : 0;
}

SEC("lsm/file_open")
int BPF_PROG(lsm_returns_earlier_verdict, struct file *file, int ret)
{
  return ret;
}

SEC("lsm/file_open")
int BPF_PROG(lsm_returns_one, struct file *file)
{
  return 1;
}

SEC("lsm/file_open")
int BPF_PROG(lsm_writes_member, struct file *file)
{
  file->f_flags = 0;
  return 0;
}

SEC("lsm/file_open")
int lsm_writes_ctx(__u64 *ctx)
{
  ctx[0] = 0;
  return 0;
}

SEC("lsm/file_open")
int lsm_beyond_struct(__u64 *ctx)
{
  char *p = (char *)ctx[0];
  return *(volatile int *)(p + 0x100000) ? -1 : 0;
}

SEC("lsm/file_open")
int lsm_beyond_return(__u64 *ctx)
{
  return (int)ctx[2];
}

SEC("lsm/task_free")
int BPF_PROG(lsm_void_hook, struct task_struct *task)
{
  seen = task->pid;
  return 0;
}

SEC("lsm/task_free")
int lsm_void_hook_return_slot(__u64 *ctx)
{
  seen = ctx[1];
  return 0;
}

SEC("lsm.s/file_open")
int lsm_sleepable(__u64 *ctx)
{
  return 0;
}

SEC("lsm/summit_no_such_hook")
int lsm_missing_hook(__u64 *ctx)
{
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
`

/** Programs of an object whose license the kernel does not count as GPL-compatible. */
export const NON_GPL_SOURCE = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct task_struct { int pid; } __attribute__((preserve_access_index));
struct file { unsigned int f_flags; } __attribute__((preserve_access_index));

__u64 seen;

SEC("fentry/wake_up_process")
int BPF_PROG(nongpl_fentry_reads_member, struct task_struct *p)
{
  seen = p->pid;
  return 0;
}

SEC("fentry/do_unlinkat")
int nongpl_fentry_int_argument(__u64 *ctx)
{
  seen = (int)ctx[0];
  return 0;
}

SEC("fexit/wake_up_process")
int nongpl_fexit_return_value(__u64 *ctx)
{
  seen = ctx[1];
  return 0;
}

SEC("fmod_ret/security_file_open")
int nongpl_fmod_ret(__u64 *ctx)
{
  return 0;
}

SEC("lsm/file_open")
int nongpl_lsm(__u64 *ctx)
{
  return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/MIT";
`

/** Program name → the relation measured against Debian 12's 6.1 kernel. */
export const EXPECTED: Readonly<Record<string, Relation>> = {
  fentry_reads_member: 'both accept',
  fentry_through_parent: 'both accept',
  fentry_writes_member: 'both refuse',
  fentry_second_argument: 'both refuse',
  fentry_before_struct: 'both refuse',
  fentry_beyond_struct: 'both refuse',
  fentry_writes_ctx: 'both refuse',
  fentry_returns_one: 'both refuse',
  fentry_narrow_pointer: 'analysis stricter',
  fentry_int_argument: 'both accept',
  fentry_narrow_int: 'both accept',
  fentry_second_pointer: 'both accept',
  fentry_const_void_pointer: 'both refuse',
  fentry_void_pointer: 'both accept',
  fentry_void_pointer_deref: 'both refuse',
  fentry_missing_target: 'both refuse',
  fentry_sleepable: 'both refuse',
  fexit_return_value: 'both accept',
  fexit_reads_member: 'both accept',
  fexit_beyond_return: 'both refuse',
  fexit_writes_return: 'both refuse',
  fexit_void_return: 'both refuse',
  fexit_returns_one: 'both refuse',
  fmod_ret_passes_on: 'both accept',
  fmod_ret_reads_member: 'both accept',
  fmod_ret_writes_ctx: 'both refuse',
  fmod_ret_beyond_return: 'both refuse',
  fmod_ret_injectable: 'both refuse',
  fmod_ret_not_modifiable: 'both refuse',
  fmod_ret_void_target: 'both refuse',
  lsm_reads_flags: 'both accept',
  lsm_returns_earlier_verdict: 'both accept',
  lsm_returns_one: 'analysis stricter',
  lsm_writes_member: 'both refuse',
  lsm_writes_ctx: 'analysis stricter',
  lsm_beyond_struct: 'both refuse',
  lsm_beyond_return: 'both refuse',
  lsm_void_hook: 'both accept',
  lsm_void_hook_return_slot: 'both refuse',
  lsm_sleepable: 'analysis stricter',
  lsm_missing_hook: 'both refuse',
  nongpl_fentry_reads_member: 'analysis stricter',
  nongpl_fentry_int_argument: 'both accept',
  nongpl_fexit_return_value: 'both accept',
  nongpl_fmod_ret: 'both accept',
  nongpl_lsm: 'both refuse'
}
