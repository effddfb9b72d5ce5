/**
 * @fileoverview Helpers outside the model in the prover: a call is the environment's move, answered
 * the same way in both programs call by call. Programs that make the same calls are compared;
 * programs whose calls may differ get no answer ("unknown"), never "equal".
 */
import { describe, expect, it } from 'vitest'
import { asm, expectRefuted, useZ3 } from './prover-support'
import { checkEquivalence } from '../../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'

const z3 = useZ3()
const OPTS = { timeoutMs: 60_000 }
const tp: EncodeModel = { ctx: 'tracepoint', maxPacket: 0, ctxSize: 64, maps: [] }
const perf: EncodeModel = {
  ...tp,
  maps: [{ type: 4, keySize: 4, valueSize: 4, maxEntries: 4 }]
}

/** probe_read-like helper `id` of 8 bytes from the address at ctx+8 into r10-8; then `tail`. */
function read(id: number, tail: string, before = ''): string {
  return `r3 = *(u64 *)(r1 + 8)\n${before}r1 = r10\nr1 += -8\nr2 = 8\ncall ${id}\n${tail}`
}

async function answer(a: string, b: string, model: EncodeModel = tp): Promise<string> {
  const r = await checkEquivalence(asm(a), asm(b), model, z3(), OPTS)
  return r.kind === 'unknown' ? `unknown: ${r.reason}` : r.kind
}

describe('helpers outside the model', () => {
  it('proves a program with probe_read, get_current_comm and get_stackid against itself', async () => {
    const p = `
      r6 = r1
      ${read(113, 'r7 = *(u64 *)(r10 - 8)')}
      r1 = r10
      r1 += -32
      r2 = 16
      call 16
      r8 = *(u8 *)(r10 - 32)
      r7 += r8
      r1 = r6
      ld_pseudo r2, 1, 0
      r3 = 256
      call 27
      r0 += r7
      exit`
    const stacks: EncodeModel = {
      ...tp,
      maps: [{ type: 7, keySize: 4, valueSize: 64, maxEntries: 16 }]
    }
    expect(await answer(p, p, stacks)).toBe('equal')
  })

  it('answers current_task_under_cgroup call by call, in its range', async () => {
    const cgroups: EncodeModel = {
      ...tp,
      maps: [{ type: 8, keySize: 4, valueSize: 4, maxEntries: 1 }]
    }
    // bcc's cgroup filter: leave early unless the task is in the cgroup at index 0.
    const filter = (index: number, tail: string): string =>
      `ld_pseudo r1, 1, 0\nr2 = ${index}\ncall 37\nif r0 == 0 goto +1\n${tail}r0 = 0\nexit`
    const p = filter(0, 'r0 = 5\nexit\n')
    expect(await answer(p, p, cgroups)).toBe('equal')
    // The result is at most 1: the branch on r0 > 1 is never taken.
    const branch = `ld_pseudo r1, 1, 0\nr2 = 0\ncall 37\nif r0 s> 1 goto +1\nr0 = 0\nexit\nr0 = 9\nexit`
    expect(await answer(branch, `ld_pseudo r1, 1, 0\nr2 = 0\ncall 37\nr0 = 0\nexit`, cgroups)).toBe(
      'equal'
    )
    // Asking about another slot is another question: no answer, never equal.
    expect(await answer(p, filter(1, 'r0 = 5\nexit\n'), cgroups)).not.toBe('equal')
  })

  it('knows probe_read fills its buffer: a store before it is dead', async () => {
    const tail = 'r0 = *(u64 *)(r10 - 8)\nexit'
    const zeroFirst = read(113, tail, 'r4 = 0\n*(u64 *)(r10 - 8) = r4\n')
    expect(await answer(zeroFirst, read(113, tail))).toBe('equal')
  })

  it('knows probe_read_str keeps the bytes past the string: a store before it is not dead', async () => {
    const tail = 'r0 = *(u64 *)(r10 - 8)\nexit'
    const zeroFirst = read(115, tail, 'r4 = 0\n*(u64 *)(r10 - 8) = r4\n')
    const r = await expectRefuted(z3(), asm(zeroFirst), asm(read(115, tail)), tp, OPTS)
    const first = r.input.calls?.[0]
    expect(first).toBeDefined()
    // A short string leaves bytes of the buffer as they were.
    expect(first!.r0 > 0n && first!.r0 < 8n).toBe(true)
  })

  it('uses the helper result range: probe_read never returns a positive value', async () => {
    const branch = read(113, 'if r0 s> 0 goto +1\nr0 = 7\nexit')
    expect(await answer(branch, read(113, 'r0 = 7\nexit'))).toBe('equal')
  })

  it('gives separate calls separate answers', async () => {
    const twice = 'call 160\nr6 = r0\ncall 160\nr0 -= r6\nexit'
    const zero = 'call 160\ncall 160\nr0 = 0\nexit'
    const r = await expectRefuted(z3(), asm(twice), asm(zero), tp, OPTS)
    expect(r.input.calls?.length).toBe(2)
  })

  it('answers unknown, never equal, when the calls may differ', async () => {
    const a = read(113, 'r0 = 0\nexit')
    const b = read(113, 'r0 = 0\nexit', 'r3 += 1\n')
    expect(await answer(a, b)).toMatch(/^unknown: the programs may call helpers/)
    // Two clocks are two helpers, however alike (ktime_get_ns against ktime_get_boot_ns).
    expect(await answer('call 125\nexit', 'call 5\nexit')).toMatch(/^unknown/)
    expect(await answer('call 125\nr0 = 0\nexit', 'r0 = 0\nexit')).toMatch(/^unknown/)
  })

  it('compares where calls fall among the outputs', async () => {
    const out = `r1 = 0\n*(u64 *)(r10 - 8) = r1\nr4 = r10\nr4 += -8\nr5 = 8\nld_pseudo r2, 1, 0\nr3 = 4294967295 ll\ncall 25\n`
    const signal = 'r1 = 9\ncall 109\n'
    expect(
      await answer(
        `r6 = r1\n${out}${signal}r0 = 0\nexit`,
        `r6 = r1\n${signal}r1 = r6\n${out}r0 = 0\nexit`,
        perf
      )
    ).toMatch(/^unknown/)
  })

  it('proves calls made on different paths that are the same calls', async () => {
    const split = `
      r6 = *(u64 *)(r1 + 0)
      r3 = *(u64 *)(r1 + 8)
      r1 = r10
      r1 += -8
      r2 = 8
      if r6 == 0 goto +2
      call 113
      goto +1
      call 113
      r0 = *(u64 *)(r10 - 8)
      exit`
    expect(await answer(split, read(113, 'r0 = *(u64 *)(r10 - 8)\nexit'))).toBe('equal')
  })

  it('copies the program memory exactly when probe_read reads it', async () => {
    const own = `
      r4 = 77
      *(u64 *)(r10 - 16) = r4
      r3 = r10
      r3 += -16
      r1 = r10
      r1 += -8
      r2 = 8
      call 4
      r0 = *(u64 *)(r10 - 8)
      exit`
    expect(await answer(own, 'r0 = 77\nexit')).toBe('equal')
  })

  it('refuses an address computed from a pointer of the program', async () => {
    const leak = 'r3 = r10\nr3 *= 1\nr1 = r10\nr1 += -8\nr2 = 8\ncall 113\nr0 = 0\nexit'
    expect(await answer(leak, leak)).toMatch(/^unknown: unsupported: .*computed from a pointer/)
  })

  it("takes an address a null check only chooses as the environment's, not as a pointer", async () => {
    const hash: EncodeModel = {
      ...tp,
      maps: [{ type: 1, keySize: 4, valueSize: 8, maxEntries: 4 }]
    }
    // The address is one of two context values; which one depends on whether the lookup found
    // its key, so a map pointer's base is in the condition but never in the address.
    const lookupThen = (pick: string): string => `
      r6 = r1
      r2 = 0
      *(u32 *)(r10 - 12) = r2
      r2 = r10
      r2 += -12
      ld_pseudo r1, 1, 0
      call 1
      r3 = *(u64 *)(r6 + 8)
      ${pick}
      r1 = r10
      r1 += -8
      r2 = 8
      call 113
      r0 = *(u64 *)(r10 - 8)
      exit`
    const chosen = lookupThen('if r0 == 0 goto +1\nr3 = *(u64 *)(r6 + 16)')
    expect(await answer(chosen, chosen, hash)).toBe('equal')
    // An address computed from the map value's pointer when found is still refused.
    const own = lookupThen('if r0 == 0 goto +2\nr3 = r0\nr3 *= 1')
    expect(await answer(own, own, hash)).toMatch(/^unknown: unsupported: .*computed from a pointer/)
  })
})

describe('helpers real programs use that were outside the model (katran, falco, sk_skb)', () => {
  const tc: EncodeModel = { ctx: 'skb', maxPacket: 64, ctxSize: 192, maps: [] }

  /** katran's health check: a tunnel key built on the stack (remote address `addr`), then set. */
  function setKey(addr: number): string {
    return `
      r6 = r1
      r2 = 0
      *(u64 *)(r10 - 8) = r2
      *(u64 *)(r10 - 16) = r2
      *(u64 *)(r10 - 24) = r2
      *(u64 *)(r10 - 32) = r2
      *(u64 *)(r10 - 40) = r2
      r2 = ${addr}
      *(u32 *)(r10 - 40) = r2
      r1 = r6
      r2 = r10
      r2 += -40
      r3 = 28
      r4 = 2
      call 21
      if r0 != 0 goto +2
      r0 = 0
      exit
      r0 = 2
      exit`
  }

  it('proves skb_set_tunnel_key programs against themselves and never equal with another key', async () => {
    expect(await answer(setKey(0x0a000001), setKey(0x0a000001), tc)).toBe('equal')
    expect(await answer(setKey(0x0a000001), setKey(0x0a000002), tc)).toMatch(/^unknown/)
  })

  it('answers skb_get_tunnel_key by filling the key (zeros on an error), call by call', async () => {
    const get = (tail: string): string => `
      r2 = r10
      r2 += -32
      r3 = 28
      r4 = 0
      call 20
      ${tail}`
    // The key is written in full: a store before the call is dead; its bytes are the answer's.
    const plain = get('r0 = *(u32 *)(r10 - 32)\nexit')
    const stored = `r5 = 7\n*(u32 *)(r10 - 32) = r5\n${plain}`
    expect(await answer(plain, stored, tc)).toBe('equal')
    await expectRefuted(z3(), asm(plain), asm(get('r0 = *(u32 *)(r10 - 28)\nexit')), tc, OPTS)
  })

  it('answers sk_redirect_map with SK_PASS or SK_DROP only', async () => {
    const sockmap: EncodeModel = {
      ctx: 'skb',
      maxPacket: 64,
      ctxSize: 192,
      maps: [{ type: 15, keySize: 4, valueSize: 4, maxEntries: 2 }]
    }
    const redirect = (tail: string): string =>
      `ld_pseudo r2, 1, 0\nr3 = 0\nr4 = 0\ncall 52\n${tail}`
    const p = redirect('exit')
    expect(await answer(p, p, sockmap)).toBe('equal')
    // r0 is 0 or 1: masking it with 1 changes nothing.
    expect(await answer(p, redirect('r0 &= 1\nexit'), sockmap)).toBe('equal')
    expect(await answer(p, redirect('r0 ^= 1\nexit'), sockmap)).toBe('notEqual')
  })

  it('reads kernel memory through get_current_task_btf (falco)', async () => {
    const btf: EncodeModel = { ...tp, kernelReads: true }
    const field = (off: number): string => `call 158\nr0 = *(u32 *)(r0 + ${off})\nexit`
    expect(await answer(field(1200), field(1200), btf)).toBe('equal')
    await expectRefuted(z3(), asm(field(1200)), asm(field(1204)), btf, OPTS)
  })
})
