/**
 * @fileoverview Crafted programs for program types beyond XDP, tc and socket filters: context
 * layouts, attach types, return ranges, helper availability, map flags and socket pointers.
 */
import { ARRAY8, HASH4, LOOKUP, PROG_ARRAY, XDP_PTRS, type CraftedCase } from './crafted-cases'

/** An array of array maps. */
const OUTER = { type: 12, keySize: 4, valueSize: 4, maxEntries: 2, inner: ARRAY8 }

/** An array map programs may only read (BPF_F_RDONLY_PROG). */
const RDONLY_ARRAY = { ...ARRAY8, flags: 1 << 7 }

/** Program-type cases (each also checked against the kernel where BPF is available). */
export const TYPED: readonly CraftedCase[] = [
  {
    name: 'sock_ops reads the socket pointer, null-checks it and reads its family',
    progType: 'sock_ops',
    asm: `
      r0 = 1
      r2 = *(u64 *)(r1 + 184)
      if r2 == 0 goto +1
      r3 = *(u32 *)(r2 + 4)
      *(u32 *)(r1 + 4) = r0
      exit`,
    expect: 'accept'
  },
  {
    name: 'sock_ops may not write remote_port',
    progType: 'sock_ops',
    asm: 'r0 = 1\n*(u32 *)(r1 + 64) = r0\nexit',
    expect: { code: 'VERIFY_CTX_ACCESS', reason: 'invalid bpf_context access off=64 size=4' }
  },
  {
    name: 'sock_ops socket pointer used without null check',
    progType: 'sock_ops',
    asm: 'r0 = 1\nr2 = *(u64 *)(r1 + 184)\nr3 = *(u32 *)(r2 + 4)\nexit',
    expect: { code: 'VERIFY_NULL_DEREF', reason: "R2 invalid mem access 'sock_or_null'" }
  },
  {
    name: 'sock_ops must return 0 or 1',
    progType: 'sock_ops',
    asm: 'r0 = 2\nexit',
    expect: { code: 'VERIFY_RETURN_CODE', reason: 'should have been in [0, 1]' }
  },
  {
    name: 'sock_ops may call setsockopt but not skb_load_bytes',
    progType: 'sock_ops',
    asm: `
      r2 = 0
      r3 = 0
      r4 = r10
      r4 += -8
      r5 = 4
      *(u64 *)(r10 - 8) = r2
      call 26
      r0 = 1
      exit`,
    expect: {
      code: 'VERIFY_UNKNOWN_HELPER',
      reason: 'program of this type cannot use helper bpf_skb_load_bytes#26'
    }
  },
  {
    name: 'kprobe reads pt_regs words, not past the end',
    progType: 'kprobe',
    asm: 'r0 = *(u64 *)(r1 + 112)\nr0 = *(u64 *)(r1 + 168)\nexit',
    expect: { code: 'VERIFY_CTX_ACCESS', reason: 'invalid bpf_context access off=168 size=8' }
  },
  {
    name: 'perf_event reads sample_period narrowly',
    progType: 'perf_event',
    asm: 'r0 = *(u32 *)(r1 + 168)\nr2 = *(u64 *)(r1 + 176)\nexit',
    expect: 'accept'
  },
  {
    name: 'cgroup_sock_addr connect4 writes user_ip4',
    progType: 'cgroup_sock_addr',
    attachType: 'cgroup_inet4_connect',
    asm: 'r2 = 16777343\n*(u32 *)(r1 + 4) = r2\nr0 = 1\nexit',
    expect: 'accept'
  },
  {
    name: 'cgroup_sock_addr connect6 may not touch user_ip4',
    progType: 'cgroup_sock_addr',
    attachType: 'cgroup_inet6_connect',
    asm: 'r2 = 16777343\n*(u32 *)(r1 + 4) = r2\nr0 = 1\nexit',
    expect: { code: 'VERIFY_CTX_ACCESS', reason: 'invalid bpf_context access off=4 size=4' }
  },
  {
    name: 'cgroup_sock_addr recvmsg4 must return 1',
    progType: 'cgroup_sock_addr',
    attachType: 'cgroup_udp4_recvmsg',
    asm: 'r0 = 0\nexit',
    expect: { code: 'VERIFY_RETURN_CODE', reason: 'should have been in [1, 1]' }
  },
  {
    name: 'cgroup_skb egress may return 3',
    progType: 'cgroup_skb',
    attachType: 'cgroup_inet_egress',
    asm: 'r0 = 3\nexit',
    expect: 'accept'
  },
  {
    // Linux 6.13-6.17 refuse this (tail calls counted as changing packet data); 6.18 accepts.
    name: 'packet pointers stay valid after a tail call that returns (6.18)',
    progType: 'sched_cls',
    maps: [PROG_ARRAY],
    asm: `
      r6 = r1
      r7 = *(u32 *)(r1 + 76)
      r8 = *(u32 *)(r1 + 80)
      r9 = r7
      r9 += 1
      if r9 > r8 goto +7
      r1 = r6
      ld_pseudo r2, 1, 0
      r3 = 0
      call 12
      r0 = *(u8 *)(r7 + 0)
      exit
      r0 = 0
      exit`,
    expect: 'accept'
  },
  {
    name: 'a map only programs may read refuses stores',
    progType: 'xdp',
    maps: [RDONLY_ARRAY],
    asm: `${LOOKUP}
      if r0 == 0 goto +2
      r1 = 1
      *(u64 *)(r0 + 0) = r1
      r0 = 2
      exit`,
    expect: { code: 'VERIFY_MAP_BOUNDS', reason: 'write into map forbidden' }
  },
  {
    name: 'pkt < pkt_end proves one byte more than pkt <= pkt_end',
    progType: 'xdp',
    asm: `${XDP_PTRS}
      r0 = 1
      r4 = r2
      r4 += 7
      if r4 >= r3 goto +1
      r0 = *(u64 *)(r4 - 7)
      exit`,
    expect: 'accept'
  },
  {
    name: 'a pointer known to be at the packet end decides the next comparison',
    progType: 'xdp',
    asm: `${XDP_PTRS}
      r0 = 1
      r4 = r2
      r4 += 8
      if r4 > r3 goto +1
      exit
      if r4 <= r3 goto +1
      exit
      r0 = *(u8 *)(r2 + 0)
      exit`,
    expect: 'accept'
  },
  {
    name: 'a zero-sized helper access past the stack top',
    progType: 'socket_filter',
    asm: `
      r0 = 0
      *(u64 *)(r10 - 16) = r0
      *(u64 *)(r10 - 8) = r0
      r1 = *(u32 *)(r1 + 0)
      r1 &= 63
      r1 += -16
      r1 += r10
      r2 = 0
      r3 = 0
      call 113
      exit`,
    expect: { code: 'VERIFY_STACK_BOUNDS', reason: 'invalid variable-offset' }
  },
  {
    name: 'a subprogram may return without setting r0',
    progType: 'xdp',
    asm: `
      call l1
      r0 = 2
      exit
    l1:
      r1 = 0
      exit`,
    expect: 'accept'
  },
  {
    name: 'one load through the context and the stack on two paths',
    progType: 'xdp',
    asm: `
      r2 = r1
      r3 = *(u32 *)(r1 + 12)
      if r3 == 0 goto +3
      *(u64 *)(r10 - 16) = r3
      r2 = r10
      r2 += -16
      r0 = *(u32 *)(r2 + 0)
      r0 = 2
      exit`,
    expect: {
      code: 'VERIFY_INVALID_MEM',
      reason: 'same insn cannot be used with different pointers'
    }
  },
  {
    name: 'a socket map lookup yields a referenced socket to release',
    progType: 'sched_cls',
    maps: [{ type: 15, keySize: 4, valueSize: 8, maxEntries: 4 }, HASH4],
    asm: `${LOOKUP}
      if r0 == 0 goto +2
      r1 = r0
      call 86
      r0 = 0
      exit`,
    expect: 'accept'
  },
  {
    name: 'a socket map lookup not released',
    progType: 'sched_cls',
    maps: [{ type: 15, keySize: 4, valueSize: 8, maxEntries: 4 }],
    asm: `${LOOKUP}
      r0 = 0
      exit`,
    expect: { code: 'VERIFY_REF_LEAK', reason: 'Unreleased reference' }
  },
  {
    name: 'an inner array lookup with a constant key still needs its null check',
    progType: 'xdp',
    maps: [OUTER],
    asm: `${LOOKUP}
      if r0 == 0 goto +6
      r1 = r0
      r2 = r10
      r2 += -4
      call 1
      r0 = *(u64 *)(r0 + 0)
      r0 = 2
      exit`,
    expect: { code: 'VERIFY_NULL_DEREF', reason: "R0 invalid mem access 'map_value_or_null'" },
    // Summit's kernel oracle cannot create map-in-map maps (they need an inner map fd).
    kernel: false
  },
  {
    name: 'a null-checked inner map lookup',
    progType: 'xdp',
    maps: [OUTER],
    asm: `${LOOKUP}
      if r0 == 0 goto +7
      r1 = r0
      r2 = r10
      r2 += -4
      call 1
      if r0 == 0 goto +1
      r0 = *(u64 *)(r0 + 0)
      r0 = 2
      exit`,
    expect: 'accept',
    kernel: false
  },
  {
    // Linux 6.12 declares the name buffer plain memory; the helper writes it, so the zeroes
    // stored before the call are gone (found by bench agreement on test_sysctl_prog mutants).
    name: 'sysctl_get_name writes its buffer: bytes zeroed before the call are unknown after',
    progType: 'cgroup_sysctl',
    attachType: 'cgroup_sysctl',
    asm: `
      r7 = r1
      r6 = 0
      *(u64 *)(r10 - 16) = r6
      r1 = r7
      r2 = r10
      r2 += -16
      r3 = 8
      r4 = 0
      call 101
      r1 = *(u8 *)(r10 - 16)
      if r1 != 110 goto +1
      r0 = *(u64 *)(r6 + 0)
      r0 = 1
      exit`,
    expect: { code: 'VERIFY_INVALID_MEM', reason: "R6 invalid mem access 'scalar'" }
  },
  {
    name: 'get_local_storage takes no flags',
    progType: 'cgroup_skb',
    maps: [{ type: 19, keySize: 8, valueSize: 8, maxEntries: 0 }],
    asm: 'ld_pseudo r1, 1, 0\nr2 = 1\ncall 81\nr0 = 1\nexit',
    expect: {
      code: 'VERIFY_HELPER_ARG',
      reason: "get_local_storage() doesn't support non-zero flags"
    },
    // The kernel oracle cannot create cgroup storage maps on their own.
    kernel: false
  },
  {
    name: 'a variable-offset stack write must be aligned',
    progType: 'socket_filter',
    asm: `
      r2 = *(u32 *)(r1 + 0)
      r2 &= 8
      r2 += -17
      r2 += r10
      r3 = 0
      *(u64 *)(r2 + 0) = r3
      r0 = 0
      exit`,
    expect: { code: 'VERIFY_ALIGN', reason: 'misaligned stack access' }
  }
]
