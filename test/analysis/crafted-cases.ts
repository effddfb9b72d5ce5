/** @fileoverview Hand-written programs with the analysis verdict each must get (and the kernel too). */
import type { AttachType } from '../../src-daemon/core/analysis/program-kind'
import type { AnalysisCode, MapDef, ProgType } from '../../src-daemon/core/analysis/types'

/** One crafted program in LLVM assembly syntax. */
export interface CraftedCase {
  readonly name: string
  readonly progType: ProgType
  /** Expected attach type (cgroup types whose rules depend on it). */
  readonly attachType?: AttachType
  readonly maps?: readonly MapDef[]
  readonly ctxSize?: number
  readonly asm: string
  /** 'accept', or the analysis code plus a fragment of the kernel-style reason. */
  readonly expect: 'accept' | { readonly code: AnalysisCode | string; readonly reason: string }
  /** Instruction budget for the analysis (for loops that never converge). */
  readonly budget?: number
  /** Whether the kernel should be asked too (default true). */
  readonly kernel?: boolean
}

/** Maps the crafted programs use. */
export const ARRAY8: MapDef = { type: 2, keySize: 4, valueSize: 8, maxEntries: 4 }
export const HASH4: MapDef = { type: 1, keySize: 4, valueSize: 8, maxEntries: 64 }
export const HASH16: MapDef = { type: 1, keySize: 16, valueSize: 16, maxEntries: 64 }
export const PROG_ARRAY: MapDef = { type: 3, keySize: 4, valueSize: 4, maxEntries: 4 }
export const RINGBUF: MapDef = { type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 }

/** r0 = lookup(map 0, &key) with key = 0 at fp-4. */
export const LOOKUP = `
  r1 = 0
  *(u32 *)(r10 - 4) = r1
  r2 = r10
  r2 += -4
  ld_pseudo r1, 1, 0
  call 1`

/** r2 = data, r3 = data_end (XDP). */
export const XDP_PTRS = `
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)`

/** The crafted programs. */
export const CRAFTED: readonly CraftedCase[] = [
  { name: 'minimal xdp', progType: 'xdp', asm: 'r0 = 2\nexit', expect: 'accept' },
  {
    name: 'bounds-checked packet read',
    progType: 'xdp',
    asm: `${XDP_PTRS}
      r0 = 1
      r4 = r2
      r4 += 14
      if r4 > r3 goto +1
      r0 = *(u8 *)(r2 + 13)
      exit`,
    expect: 'accept'
  },
  {
    name: 'null-checked map value through a copy',
    progType: 'xdp',
    maps: [ARRAY8],
    asm: `${LOOKUP}
      r6 = r0
      r0 = 0
      if r6 == 0 goto +2
      r1 = *(u64 *)(r6 + 0)
      r0 = r1
      exit`,
    expect: 'accept'
  },
  {
    name: 'bounded loop',
    progType: 'xdp',
    asm: `
      r1 = 0
      r0 = 0
    l1:
      r0 += r1
      r1 += 1
      if r1 < 10 goto l1
      exit`,
    expect: 'accept'
  },
  {
    name: 'variable packet offset within proven range',
    progType: 'xdp',
    asm: `${XDP_PTRS}
      r0 = 0
      r4 = *(u32 *)(r1 + 12)
      r4 &= 7
      r2 += r4
      r5 = r2
      r5 += 4
      if r5 > r3 goto +1
      r0 = *(u32 *)(r2 + 0)
      exit`,
    expect: 'accept'
  },
  {
    name: 'bpf-to-bpf call with a stack argument',
    progType: 'xdp',
    asm: `
      r1 = 5
      *(u64 *)(r10 - 8) = r1
      r1 = r10
      r1 += -8
      call f1
      exit
    f1:
      r0 = *(u64 *)(r1 + 0)
      exit`,
    expect: 'accept'
  },
  {
    name: 'ringbuf reserve and submit',
    progType: 'xdp',
    maps: [RINGBUF],
    asm: `
      ld_pseudo r1, 1, 0
      r2 = 8
      r3 = 0
      call 131
      if r0 == 0 goto +5
      r1 = 7
      *(u64 *)(r0 + 0) = r1
      r1 = r0
      r2 = 0
      call 132
      r0 = 2
      exit`,
    expect: 'accept'
  },
  {
    name: 'pointer returned (privileged)',
    progType: 'xdp',
    asm: 'r0 = r10\nexit',
    expect: 'accept'
  },
  {
    name: 'socket filter writes cb[0]',
    progType: 'socket_filter',
    asm: 'r2 = 1\n*(u32 *)(r1 + 48) = r2\nr0 = 0\nexit',
    expect: 'accept'
  },
  {
    name: 'tracepoint reads within its context',
    progType: 'tracepoint',
    ctxSize: 32,
    asm: 'r0 = *(u32 *)(r1 + 28)\nexit',
    expect: 'accept'
  },
  {
    name: 'tc reads the packet through __sk_buff data pointers and writes mark',
    progType: 'sched_cls',
    asm: `
      r2 = *(u32 *)(r1 + 76)
      r3 = *(u32 *)(r1 + 80)
      r4 = 7
      *(u32 *)(r1 + 8) = r4
      r0 = 0
      r4 = r2
      r4 += 34
      if r4 > r3 goto +2
      r0 = *(u8 *)(r2 + 23)
      *(u8 *)(r2 + 22) = r0
      exit`,
    expect: 'accept'
  },
  {
    name: 'tc ld_abs with r6 = ctx',
    progType: 'sched_cls',
    asm: 'r6 = r1\nr0 = *(u16 *)skb[12]\nexit',
    expect: 'accept'
  },
  {
    name: 'socket filter cannot read __sk_buff data',
    progType: 'socket_filter',
    asm: 'r2 = *(u32 *)(r1 + 76)\nr0 = 0\nexit',
    expect: { code: 'VERIFY_CTX_ACCESS', reason: 'invalid bpf_context access off=76 size=4' }
  },
  {
    name: 'combined stack of caller and callee over 512 bytes',
    progType: 'xdp',
    asm: `
      r1 = 0
      *(u64 *)(r10 - 400) = r1
      call f1
      exit
    f1:
      r1 = 0
      *(u64 *)(r10 - 200) = r1
      r0 = 0
      exit`,
    expect: { code: 'VERIFY_STACK_SIZE', reason: 'combined stack size of 2 calls is' }
  },
  {
    name: 'callee returns a pointer to its own stack',
    progType: 'xdp',
    asm: `
      call f1
      r0 = 0
      exit
    f1:
      r0 = r10
      r0 += -8
      exit`,
    expect: { code: 'VERIFY_INVALID_MEM', reason: 'cannot return stack pointer to the caller' }
  },
  {
    name: 'uninitialised stack read is fine for a privileged load',
    progType: 'xdp',
    asm: 'r0 = *(u64 *)(r10 - 8)\nexit',
    expect: 'accept'
  },
  {
    name: 'packet pointers die after xdp_adjust_head',
    progType: 'xdp',
    asm: `
      r6 = r1
      r2 = *(u32 *)(r6 + 0)
      r3 = *(u32 *)(r6 + 4)
      r0 = 0
      r4 = r2
      r4 += 8
      if r4 > r3 goto +5
      r1 = r6
      r7 = r2
      r2 = 4
      call 44
      r0 = *(u8 *)(r7 + 0)
      exit`,
    expect: { code: 'VERIFY_INVALID_MEM', reason: "R7 invalid mem access 'scalar'" }
  },
  // tc helpers that change the packet kill packet pointers; skb_change_type does not.
  ...(
    [
      ['skb_change_proto', 'r2 = 0\nr3 = 0\ncall 31'],
      ['skb_change_tail', 'r2 = 60\nr3 = 0\ncall 38'],
      ['skb_pull_data', 'r2 = 0\ncall 39'],
      ['skb_adjust_room', 'r2 = 8\nr3 = 1\nr4 = 0\ncall 50'],
      ['skb_change_type', 'r2 = 0\ncall 32']
    ] as const
  ).map(([name, callText]): CraftedCase => ({
    name: `packet pointers ${name === 'skb_change_type' ? 'survive' : 'die after'} ${name}`,
    progType: 'sched_cls',
    asm: `
      r6 = r1
      r2 = *(u32 *)(r6 + 76)
      r3 = *(u32 *)(r6 + 80)
      r0 = 0
      r4 = r2
      r4 += 8
      if r4 > r3 goto +${callText.split('\n').length + 3}
      r1 = r6
      r7 = r2
      ${callText}
      r0 = *(u8 *)(r7 + 0)
      exit`,
    expect:
      name === 'skb_change_type'
        ? 'accept'
        : { code: 'VERIFY_INVALID_MEM', reason: "R7 invalid mem access 'scalar'" }
  })),
  {
    name: 'loop bound learnt from a 32-bit compare',
    progType: 'xdp',
    asm: `
      r1 = 0
      r0 = 0
    l1:
      r0 += 3
      w1 += 1
      if w1 < 20 goto l1
      exit`,
    expect: 'accept'
  },
  // Rejections.
  {
    name: 'uninitialised register',
    progType: 'xdp',
    asm: 'r0 = r2\nexit',
    expect: { code: 'VERIFY_UNINIT_REG', reason: 'R2 !read_ok' }
  },
  {
    name: 'exit without r0',
    progType: 'xdp',
    asm: 'exit',
    expect: { code: 'VERIFY_UNINIT_REG', reason: 'R0 !read_ok' }
  },
  {
    name: 'stack write below the frame',
    progType: 'xdp',
    asm: 'r0 = 0\n*(u64 *)(r10 - 520) = r0\nexit',
    expect: { code: 'VERIFY_STACK_BOUNDS', reason: 'invalid write to stack R10 off=-520 size=8' }
  },
  {
    name: 'stack write above the frame',
    progType: 'xdp',
    asm: 'r0 = 0\n*(u64 *)(r10 + 0) = r0\nexit',
    expect: { code: 'VERIFY_STACK_BOUNDS', reason: 'invalid write to stack R10 off=0 size=8' }
  },
  {
    name: 'misaligned stack access',
    progType: 'xdp',
    asm: 'r0 = 0\n*(u32 *)(r10 - 6) = r0\nexit',
    expect: { code: 'VERIFY_ALIGN', reason: 'misaligned stack access' }
  },
  {
    name: 'array lookup with a constant in-range key needs no null check',
    progType: 'xdp',
    maps: [ARRAY8],
    asm: `${LOOKUP}
      r0 = *(u64 *)(r0 + 0)
      exit`,
    expect: 'accept'
  },
  {
    name: 'array lookup with an out-of-range constant key',
    progType: 'xdp',
    maps: [ARRAY8],
    asm: `
      r1 = 9
      *(u32 *)(r10 - 4) = r1
      r2 = r10
      r2 += -4
      ld_pseudo r1, 1, 0
      call 1
      r0 = *(u64 *)(r0 + 0)
      exit`,
    expect: { code: 'VERIFY_NULL_DEREF', reason: "R0 invalid mem access 'map_value_or_null'" }
  },
  {
    name: 'map value used without null check',
    progType: 'xdp',
    maps: [HASH4],
    asm: `${LOOKUP}
      r0 = *(u64 *)(r0 + 0)
      exit`,
    expect: { code: 'VERIFY_NULL_DEREF', reason: "R0 invalid mem access 'map_value_or_null'" }
  },
  {
    name: 'map value read past value_size',
    progType: 'xdp',
    maps: [ARRAY8],
    asm: `${LOOKUP}
      if r0 == 0 goto +1
      r0 = *(u64 *)(r0 + 4)
      exit`,
    expect: {
      code: 'VERIFY_MAP_BOUNDS',
      reason: 'invalid access to map value, value_size=8 off=4 size=8'
    }
  },
  {
    name: 'packet read without bounds check',
    progType: 'xdp',
    asm: `${XDP_PTRS}
      r0 = *(u8 *)(r2 + 0)
      exit`,
    expect: { code: 'VERIFY_PKT_BOUNDS', reason: 'invalid access to packet, off=0 size=1' }
  },
  {
    name: 'packet read past the checked range',
    progType: 'xdp',
    asm: `${XDP_PTRS}
      r0 = 1
      r4 = r2
      r4 += 14
      if r4 > r3 goto +1
      r0 = *(u16 *)(r2 + 13)
      exit`,
    expect: { code: 'VERIFY_PKT_BOUNDS', reason: 'invalid access to packet, off=13 size=2' }
  },
  {
    name: 'packet read on the failing side of the check',
    progType: 'xdp',
    asm: `${XDP_PTRS}
      r0 = 1
      r4 = r2
      r4 += 14
      if r4 <= r3 goto +1
      r0 = *(u8 *)(r2 + 0)
      exit`,
    expect: { code: 'VERIFY_PKT_BOUNDS', reason: 'invalid access to packet' }
  },
  {
    name: 'store into read-only xdp context',
    progType: 'xdp',
    asm: 'r2 = 0\n*(u32 *)(r1 + 12) = r2\nr0 = 0\nexit',
    expect: { code: 'VERIFY_CTX_ACCESS', reason: 'invalid bpf_context access off=12 size=4' }
  },
  {
    name: 'socket filter writes mark',
    progType: 'socket_filter',
    asm: 'r2 = 1\n*(u32 *)(r1 + 8) = r2\nr0 = 0\nexit',
    expect: { code: 'VERIFY_CTX_ACCESS', reason: 'invalid bpf_context access off=8 size=4' }
  },
  {
    name: 'tracepoint reads the common header',
    progType: 'tracepoint',
    ctxSize: 32,
    asm: 'r0 = *(u32 *)(r1 + 0)\nexit',
    expect: { code: 'VERIFY_CTX_ACCESS', reason: 'invalid bpf_context access off=0 size=4' }
  },
  {
    name: 'jump out of range',
    progType: 'xdp',
    asm: 'r0 = 0\ngoto +5\nexit',
    expect: { code: 'CFG_JUMP_OUT_OF_RANGE', reason: 'jump out of range from insn 1 to 7' }
  },
  {
    name: 'jump into the middle of ld_imm64',
    progType: 'xdp',
    asm: 'r0 = 0\nif r0 == 0 goto +1\nr1 = 0x100000000 ll\nexit',
    expect: { code: 'CFG_JUMP_INTO_LDDW', reason: 'jump into the middle of ldimm64 insn 2' }
  },
  {
    name: 'dead code is not checked',
    progType: 'xdp',
    asm: 'r0 = 0\nif r0 == 0 goto +1\nr0 = *(u8 *)(r0 + 0)\nexit',
    expect: 'accept'
  },
  {
    name: 'division by a zero immediate',
    progType: 'xdp',
    asm: 'r0 = 1\nr0 /= 0\nexit',
    expect: { code: 'ISA_BAD_IMM', reason: 'zero' }
  },
  {
    name: 'infinite loop',
    progType: 'xdp',
    asm: 'r0 = 0\nl1:\nr1 = 0\nif r0 == 0 goto l1\nexit',
    expect: { code: 'VERIFY_LOOP', reason: 'infinite loop detected' },
    kernel: true
  },
  {
    name: 'loop without a bound',
    progType: 'xdp',
    asm: `
      r0 = *(u32 *)(r1 + 12)
      r1 = 0
    l1:
      r1 += 1
      if r1 < r0 goto l1
      exit`,
    budget: 20000,
    expect: { code: 'VERIFY_TOO_COMPLEX', reason: 'BPF program is too large' },
    kernel: false
  },
  {
    name: 'argument register read after a call',
    progType: 'xdp',
    asm: 'r1 = 1\ncall 5\nr0 = r1\nexit',
    expect: { code: 'VERIFY_UNINIT_REG', reason: 'R1 !read_ok' }
  },
  {
    name: 'multiplying a pointer',
    progType: 'xdp',
    asm: 'r1 *= 2\nr0 = 0\nexit',
    expect: {
      code: 'VERIFY_PTR_ARITH',
      reason: 'R1 pointer arithmetic with *= operator prohibited'
    }
  },
  {
    name: '32-bit pointer arithmetic',
    progType: 'xdp',
    asm: 'w1 += 1\nr0 = 0\nexit',
    expect: { code: 'VERIFY_PTR_ARITH', reason: 'R1 32-bit pointer arithmetic prohibited' }
  },
  {
    name: 'subtraction from the stack pointer',
    progType: 'xdp',
    asm: 'r2 = r10\nr2 -= 8\nr0 = 0\nexit',
    expect: { code: 'VERIFY_PTR_ARITH', reason: 'R2 subtraction from stack pointer prohibited' }
  },
  {
    name: 'arithmetic on a maybe-null map value',
    progType: 'xdp',
    maps: [HASH4],
    asm: `${LOOKUP}
      r0 += 4
      exit`,
    expect: {
      code: 'VERIFY_PTR_ARITH',
      reason: 'R0 pointer arithmetic on map_value_or_null prohibited, null-check it first'
    }
  },
  {
    name: 'unreachable instruction',
    progType: 'xdp',
    asm: 'r0 = 0\nexit\nr0 = 1\nexit',
    expect: { code: 'CFG_UNREACHABLE', reason: 'unreachable insn 2' }
  },
  {
    name: 'falls off the end',
    progType: 'xdp',
    asm: 'r0 = 0',
    expect: { code: 'CFG_NO_EXIT', reason: 'last insn is not an exit or jmp' }
  },
  {
    name: 'xdp calls a tc-only helper',
    progType: 'xdp',
    asm: 'r2 = 0\nr3 = r10\nr3 += -8\nr4 = 1\nr5 = 0\ncall 9\nexit',
    expect: {
      code: 'VERIFY_UNKNOWN_HELPER',
      reason: 'program of this type cannot use helper bpf_skb_store_bytes#9'
    }
  },
  {
    name: 'partial fill of a spilled pointer',
    progType: 'xdp',
    asm: '*(u64 *)(r10 - 8) = r1\nr0 = *(u32 *)(r10 - 8)\nexit',
    expect: { code: 'VERIFY_SPILL', reason: 'invalid size of register fill' }
  },
  {
    name: 'ld_abs in xdp',
    progType: 'xdp',
    asm: 'r6 = r1\nr0 = *(u16 *)skb[12]\nexit',
    expect: {
      code: 'VERIFY_LD_ABS',
      reason: 'BPF_LD_[ABS|IND] instructions not allowed for this program type'
    }
  },
  {
    name: 'tail call through a hash map',
    progType: 'xdp',
    maps: [HASH16],
    asm: 'ld_pseudo r2, 1, 0\nr3 = 0\ncall 12\nr0 = 0\nexit',
    expect: { code: 'VERIFY_HELPER_ARG', reason: 'expected prog array map for tail call' }
  },
  {
    name: 'ringbuf reservation never released',
    progType: 'xdp',
    maps: [RINGBUF],
    asm: `
      ld_pseudo r1, 1, 0
      r2 = 8
      r3 = 0
      call 131
      r0 = 2
      exit`,
    expect: { code: 'VERIFY_REF_LEAK', reason: 'Unreleased reference' }
  },
  {
    name: 'store through a scalar',
    progType: 'xdp',
    asm: 'r0 = 0\n*(u8 *)(r0 + 0) = 1\nexit',
    expect: { code: 'VERIFY_INVALID_MEM', reason: "R0 invalid mem access 'scalar'" }
  },
  {
    name: 'map key pointer outside the stack frame',
    progType: 'xdp',
    maps: [HASH16],
    asm: 'r2 = r10\nr2 += -8\nld_pseudo r1, 1, 0\ncall 1\nr0 = 0\nexit',
    expect: { code: 'VERIFY_STACK_BOUNDS', reason: 'invalid read from stack R2 off=-8 size=16' }
  },
  {
    name: 'tail call with prog array (accepted)',
    progType: 'xdp',
    maps: [PROG_ARRAY],
    asm: 'ld_pseudo r2, 1, 0\nr3 = 0\ncall 12\nr0 = 0\nexit',
    expect: 'accept'
  }
]
