/**
 * @fileoverview A small hand-made kernel BTF for the BTF-context tests: a `task_struct` with
 * scalar, nested-struct, array, pointer and `__user` members, a trusted-field list, and the
 * attach targets fentry/fexit/fmod_ret/LSM/tp_btf programs name.
 */
import { BTF_KIND, type Btf, type BtfMember, type BtfType } from '../../src-daemon/core/formats/btf'

const m = (name: string, type: number, bitOffset: number, bitfieldSize?: number): BtfMember => ({
  name,
  type,
  offset: bitOffset,
  size: 0,
  ...(bitfieldSize !== undefined ? { bitfieldSize } : {})
})

const t = (
  id: number,
  kind: number,
  name: string,
  sizeOrType: number,
  members: BtfMember[] = [],
  extra: Partial<BtfType> = {}
): BtfType => ({ id, kind, name, sizeOrType, members, ...extra })

const K = BTF_KIND

/**
 * Type ids: 1 int, 2 unsigned long, 3 struct inner {int a; int b}, 4 task_struct *, 5 struct
 * task_struct (48 bytes), 6 char[8], 7 char, 8 char *, 9 `user` tag, 10 `__user task_struct *`.
 */
const TYPES: BtfType[] = [
  t(0, 0, '', 0),
  t(1, K.INT, 'int', 4, [], { int: { encoding: 1, offset: 0, bits: 32 } }),
  t(2, K.INT, 'long unsigned int', 8, [], { int: { encoding: 0, offset: 0, bits: 64 } }),
  t(3, K.STRUCT, 'inner', 8, [m('a', 1, 0), m('b', 1, 32)]),
  t(4, K.PTR, '', 5),
  // struct task_struct { int pid; int tgid; struct inner in; task_struct *parent; char comm[8];
  //                      char *name; task_struct __user *umem; }
  t(5, K.STRUCT, 'task_struct', 48, [
    m('pid', 1, 0),
    m('tgid', 1, 32),
    m('in', 3, 64),
    m('parent', 4, 128),
    m('comm', 6, 192),
    m('name', 8, 256),
    m('umem', 10, 320)
  ]),
  t(6, K.ARRAY, '', 0, [], { array: { type: 7, indexType: 1, nelems: 8 } }),
  t(7, K.INT, 'char', 1, [], { int: { encoding: 2, offset: 0, bits: 8 } }),
  t(8, K.PTR, '', 7),
  t(9, K.TYPE_TAG, 'user', 5),
  t(10, K.PTR, '', 9),
  // int do_thing(int dfd, struct task_struct *t); int bpf_lsm_file_open(...) alike
  t(11, K.FUNC_PROTO, '', 1, [m('dfd', 1, 0), m('t', 4, 0)]),
  t(12, K.FUNC, 'do_thing', 11),
  t(13, K.FUNC, 'bpf_lsm_file_open', 11),
  // btf_trace_sched_switch: void (*)(void *__data, struct task_struct *t, int x)
  t(14, K.FUNC_PROTO, '', 0, [m('__data', 15, 0), m('t', 4, 0), m('x', 1, 0)]),
  t(15, K.PTR, '', 0),
  t(16, K.PTR, '', 14),
  t(17, K.TYPEDEF, 'btf_trace_sched_switch', 16),
  t(18, K.STRUCT, 'task_struct__safe_rcu_or_null', 8, [m('parent', 4, 0)]),
  // void void_fn(struct task_struct *t)
  t(19, K.FUNC, 'void_fn', 20),
  t(20, K.FUNC_PROTO, '', 0, [m('t', 4, 0)]),
  // int float_arg(double f)
  t(21, K.FUNC, 'float_arg', 22),
  t(22, K.FUNC_PROTO, '', 1, [m('f', 23, 0)]),
  t(23, K.FLOAT, 'double', 8),
  t(24, K.TYPEDEF, 'btf_trace_foo_event', 16),
  // int nullable_fn(struct task_struct *t__nullable)
  t(25, K.FUNC, 'nullable_fn', 26),
  t(26, K.FUNC_PROTO, '', 1, [m('t__nullable', 4, 0)]),
  // struct sock { struct sock_common __sk_common; int sk_x; }; int tcp_thing(struct sock *sk)
  t(27, K.STRUCT, 'sock_common', 8, [m('skc_family', 1, 0)]),
  t(28, K.STRUCT, 'sock', 16, [m('__sk_common', 27, 0), m('sk_x', 1, 64)]),
  t(29, K.PTR, '', 28),
  t(30, K.FUNC, 'tcp_thing', 31),
  t(31, K.FUNC_PROTO, '', 1, [m('sk', 29, 0)]),
  t(32, K.FUNC, 'bpf_sk_storage_thing', 31),
  // int intptr_fn(int *p)
  t(33, K.PTR, '', 1),
  t(34, K.FUNC, 'intptr_fn', 35),
  t(35, K.FUNC_PROTO, '', 1, [m('p', 33, 0)]),
  // fmod_ret targets (the analysis takes only security_ functions as modifiable)
  t(36, K.FUNC, 'security_do_thing', 11),
  t(37, K.FUNC, 'security_void_fn', 20)
]

/** The hand-made BTF. */
export const TEST_BTF: Btf = { types: TYPES, stringAt: () => undefined }
