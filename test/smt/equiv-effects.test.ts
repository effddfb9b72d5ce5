/** @fileoverview Equivalence over output effects: perf_event_output records and trace_printk. */
import { describe, expect, it } from 'vitest'
import { asm, expectRefuted, useZ3 } from './prover-support'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { checkEquivalence } from '../../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'

const z3 = useZ3()

const PERF = { name: 'events', type: 4, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 }
const model: EncodeModel = { ctx: 'xdp', maxPacket: 64, ctxSize: 0, maps: [PERF] }
const OPTS = { timeoutMs: 30_000 }

/** Emits the 8-byte record `storeRecord` writes at r10-8 (r3 = packet length), then `tail`. */
function perfProgram(storeRecord: string, tail = 'r0 = 2', flags = '4294967295'): Insn[] {
  return asm(`
    r6 = r1
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r3 -= r2
    ${storeRecord}
    r1 = r6
    ld_pseudo r2, 1, 0
    r3 = ${flags} ll
    r4 = r10
    r4 += -8
    r5 = 8
    call 25
    ${tail}
    exit`)
}

describe('perf_event_output records', () => {
  const twoWords = perfProgram('*(u32 *)(r10 - 8) = r3\n*(u32 *)(r10 - 4) = 7')
  it('proves two stores equal to one doubleword store of the same bytes', async () => {
    const merged = perfProgram('r1 = 7\nr1 <<= 32\nr3 |= r1\n*(u64 *)(r10 - 8) = r3')
    const r = await checkEquivalence(twoWords, merged, model, z3(), OPTS)
    expect(r.kind).toBe('equal')
  })

  it('refutes a record with one byte changed, with a counterexample the interpreter confirms', async () => {
    const wrong = perfProgram('*(u32 *)(r10 - 8) = r3\n*(u32 *)(r10 - 4) = 6')
    const r = await checkEquivalence(twoWords, wrong, model, z3(), OPTS)
    expect(r.kind).toBe('notEqual')
    if (r.kind === 'notEqual') expect(r.resultA).not.toEqual(r.resultB)
  })
})

describe('many perf_event_output records (Cilium makes dozens of calls)', () => {
  /** 40 records of the packet length on one path; `beforeLast` runs before the last one. */
  function forty(beforeLast = ''): Insn[] {
    const call = `
      r1 = r6
      ld_pseudo r2, 1, 0
      r3 = 4294967295 ll
      r4 = r10
      r4 += -8
      r5 = 8
      call 25`
    return asm(`
      r6 = r1
      r2 = *(u32 *)(r1 + 0)
      r8 = *(u32 *)(r1 + 4)
      r8 -= r2
      *(u64 *)(r10 - 8) = r8
      ${Array.from({ length: 39 }, () => call).join('\n')}
      ${beforeLast}
      ${call}
      r0 = 2
      exit`)
  }

  it('proves a program of 40 records equal to itself (more than the 31 calls it once took)', async () => {
    const p = forty()
    expect((await checkEquivalence(p, p, model, z3(), OPTS)).kind).toBe('equal')
  })

  it('refutes a last record changed, with a counterexample the interpreter confirms', async () => {
    const r = await expectRefuted(
      z3(),
      forty(),
      forty('r8 += 1\n*(u64 *)(r10 - 8) = r8'),
      model,
      OPTS
    )
    expect(r.resultA).not.toEqual(r.resultB)
  })
})

describe('perf_event_output results', () => {
  it('refutes assuming an installed slot takes the record: the buffer may be full', async () => {
    // Counting -ENOSPC is not dead code: the interpreter confirms the counterexample.
    const stored = '*(u64 *)(r10 - 8) = r3'
    const counts = perfProgram(stored, 'if r0 == -28 goto +2\nr0 = 2\nexit\nr0 = 9')
    const r = await expectRefuted(z3(), counts, perfProgram(stored), model, OPTS)
    expect(r.resultA.kind === 'exit' ? r.resultA.r0 : r.resultA.kind).toBe(9n)
    expect(r.resultA.kind === 'exit' ? r.resultA.outputs : []).toEqual([])
  })

  it('answers two records position by position: refused then written, in both programs', async () => {
    const two = asm(`
      r6 = r1
      *(u64 *)(r10 - 8) = 1
      r1 = r6
      ld_pseudo r2, 1, 0
      r3 = 4294967295 ll
      r4 = r10
      r4 += -8
      r5 = 8
      call 25
      r7 = r0
      r1 = r6
      ld_pseudo r2, 1, 0
      r3 = 4294967295 ll
      r4 = r10
      r4 += -8
      r5 = 8
      call 25
      r0 -= r7
      exit`)
    expect((await checkEquivalence(two, two, model, z3(), OPTS)).kind).toBe('equal')
  })

  it('refutes assuming success: the current CPU may have no event or lie past the array', async () => {
    const stored = '*(u64 *)(r10 - 8) = r3'
    const r = await checkEquivalence(
      perfProgram(stored, 'r0 = 0'),
      perfProgram(stored, ''),
      model,
      z3(),
      OPTS
    )
    expect(r.kind).toBe('notEqual')
    if (r.kind === 'notEqual') expect(r.resultA).not.toEqual(r.resultB)
  })

  it('refuses an explicit index: the event there may belong to another CPU', async () => {
    const explicit = perfProgram('*(u64 *)(r10 - 8) = r3', 'r0 = 2', '0')
    const r = await checkEquivalence(explicit, explicit, model, z3(), OPTS)
    expect(r).toMatchObject({ kind: 'unknown' })
    if (r.kind === 'unknown') expect(r.reason).toMatch(/explicit index/)
  })
})

describe('trace_printk messages', () => {
  /** "n=%d" (4 bytes, no NUL), as a little-endian u32. */
  const N_EQ_D = 0x64253d6e
  /** "%d%d" (4 bytes), as a little-endian u32. */
  const D_D = 0x64256425

  /**
   * Prints with format `format` (a u32 at r10-8) the packet length computed by `compute` into
   * r3; `args` sets r4 and r5 (left out, they are whatever the earlier lines left there).
   */
  function printk(
    compute: string,
    tail = 'r0 = 2',
    format = N_EQ_D,
    args = 'r4 = 0\nr5 = 0'
  ): Insn[] {
    return asm(`
      r2 = *(u32 *)(r1 + 0)
      r3 = *(u32 *)(r1 + 4)
      ${compute}
      r1 = ${format}
      *(u32 *)(r10 - 8) = r1
      r1 = r10
      r1 += -8
      r2 = 4
      ${args}
      call 6
      ${tail}
      exit`)
  }

  it('proves equal messages equal and refutes a different argument', async () => {
    const a = printk('r3 -= r2')
    const b = printk('r2 = -r2\nr3 += r2')
    const same = await checkEquivalence(a, b, model, z3(), OPTS)
    expect(
      same.kind,
      JSON.stringify(same, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))
    ).toBe('equal')
    const c = printk('r3 -= r2\nr3 += 1')
    const r = await checkEquivalence(a, c, model, z3(), OPTS)
    expect(r.kind).toBe('notEqual')
  })

  it('leaves out the arguments the format does not read (scratch registers may be passed there)', async () => {
    // r4 and r5 uninitialised at the call (the verifier allows it: the helper checks two
    // arguments); the format reads only r3, so the program is equal to itself and to one that
    // puts other values there.
    const scratch = printk('r3 -= r2', 'r0 = 2', N_EQ_D, '')
    expect((await checkEquivalence(scratch, scratch, model, z3(), OPTS)).kind).toBe('equal')
    const other = printk('r3 -= r2', 'r0 = 2', N_EQ_D, 'r4 = 7\nr5 = r2')
    expect((await checkEquivalence(scratch, other, model, z3(), OPTS)).kind).toBe('equal')
    // With "%d%d" the second argument is printed: a different r4 is a different message.
    const two = printk('r3 -= r2', 'r0 = 2', D_D, 'r4 = 0\nr5 = 0')
    const twoOther = printk('r3 -= r2', 'r0 = 2', D_D, 'r4 = 1\nr5 = 0')
    const r = await checkEquivalence(two, twoOther, model, z3(), OPTS)
    expect(r.kind).toBe('notEqual')
    if (r.kind === 'notEqual') expect(r.resultA).not.toEqual(r.resultB)
  })

  describe('formats written on a path that a tail call or a branch conditions', () => {
    const PROGS = { name: 'jmp', type: 3, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 }
    const withProgs: EncodeModel = { ...model, maps: [PROGS] }
    /** "none" and "n=%d" (4 bytes each, no NUL), as little-endian u32s. */
    const NONE = 0x656e6f6e

    /**
     * A tail call that may fall through (slot 1 of the prog array may be empty), then a message
     * whose format is stored after it: the stores are guarded by "the tail call fell through",
     * the condition under which the message is printed. r3 is what the tail call left there
     * (1 before, clobbered after) and r4, r5 are never set.
     */
    function afterTailCall(format: number, r3 = ''): Insn[] {
      return asm(`
        r6 = r1
        r1 = r6
        ld_pseudo r2, 1, 0
        r3 = 1
        call 12
        r1 = ${format}
        *(u32 *)(r10 - 8) = r1
        r1 = r10
        r1 += -8
        r2 = 4
        ${r3}
        call 6
        r0 = 2
        exit`)
    }

    it('proves a format without conversions after a fall-through tail call equal to itself (scratch r3..r5 are not printed)', async () => {
      const p = afterTailCall(NONE)
      const r = await checkEquivalence(p, p, withProgs, z3(), OPTS)
      expect(
        r.kind,
        JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))
      ).toBe('equal')
      const other = afterTailCall(NONE, 'r3 = 9\nr4 = 1')
      expect((await checkEquivalence(p, other, withProgs, z3(), OPTS)).kind).toBe('equal')
    })

    it('still prints the argument a format stored after a tail call reads', async () => {
      const a = afterTailCall(N_EQ_D, 'r3 = 5')
      const b = afterTailCall(N_EQ_D, 'r3 = 6')
      await expectRefuted(z3(), a, b, withProgs, OPTS)
      expect((await checkEquivalence(a, a, withProgs, z3(), OPTS)).kind).toBe('equal')
    })

    /**
     * Stores format `then` or `otherwise` depending on the packet's length, then prints after
     * the branches join, with r3 = the packet length and r4, r5 unset.
     */
    function joined(then: number, otherwise: number, r3 = 'r3 = r2'): Insn[] {
      return asm(`
        r2 = *(u32 *)(r1 + 4)
        r3 = *(u32 *)(r1 + 0)
        r2 -= r3
        if r2 > 10 goto big
        r1 = ${then}
        *(u32 *)(r10 - 8) = r1
        goto print
      big:
        r1 = ${otherwise}
        *(u32 *)(r10 - 8) = r1
      print:
        ${r3}
        r1 = r10
        r1 += -8
        r2 = 4
        call 6
        r0 = 2
        exit`)
    }

    it('reads a format stored on either side of a branch as the path that prints it wrote it', async () => {
      // Both sides store the same format without conversions: nothing but the format is printed.
      const none = joined(NONE, NONE)
      expect((await checkEquivalence(none, none, model, z3(), OPTS)).kind).toBe('equal')
      expect(
        (await checkEquivalence(none, joined(NONE, NONE, 'r3 = 0'), model, z3(), OPTS)).kind
      ).toBe('equal')
      // "n=%d" on one side only: r3 is printed there, so a different r3 is refuted (and a
      // counterexample takes that side), while the same program is equal to itself.
      const one = joined(NONE, N_EQ_D)
      expect((await checkEquivalence(one, one, model, z3(), OPTS)).kind).toBe('equal')
      await expectRefuted(z3(), one, joined(NONE, N_EQ_D, 'r3 = 0'), model, OPTS)
    })
  })

  describe('a format that prints a register the original leaves unset', () => {
    // r3 printed by "n=%d" but never set: the verifier allows it (it checks two arguments),
    // and the kernel prints whatever r3 held. That value is the kernel's, not the program's, so
    // a candidate may print anything there; where the original sets it, the candidate must too.
    /** `before`, then prints "n=%d" with whatever r3 holds. */
    const printR3 = (before = ''): Insn[] =>
      asm(`
        ${before}
        r1 = ${N_EQ_D}
        *(u32 *)(r10 - 8) = r1
        r1 = r10
        r1 += -8
        r2 = 4
        call 6
        r0 = 2
        exit`)
    const set = printk('r3 = 0')
    const unset = printR3()

    it('proves the original equal to itself and to a candidate that sets the register', async () => {
      expect((await checkEquivalence(unset, unset, model, z3(), OPTS)).kind).toBe('equal')
      expect((await checkEquivalence(unset, set, model, z3(), OPTS)).kind).toBe('equal')
    })

    it('never proves a candidate that leaves unset what the original prints', async () => {
      // Unknown, not an encoder error: the interpreter gives the unset register one value, so
      // no input shows the difference there.
      const r = await checkEquivalence(set, unset, model, z3(), OPTS)
      expect(r.kind).toBe('unknown')
      if (r.kind === 'unknown') expect(r.reason).toMatch(/prints r3 of the second program/)
    })

    it('still compares what the original prints on the paths where it sets the register', async () => {
      // r3 set only when the packet is longer than 10 bytes (unset otherwise): a candidate
      // printing another value on that path is refuted.
      const partly = (value: string): Insn[] =>
        printR3(`
          r2 = *(u32 *)(r1 + 4)
          r4 = *(u32 *)(r1 + 0)
          r2 -= r4
          if r2 <= 10 goto print
          r3 = ${value}
        print:`)
      expect((await checkEquivalence(partly('7'), partly('7'), model, z3(), OPTS)).kind).toBe(
        'equal'
      )
      await expectRefuted(z3(), partly('7'), partly('8'), model, OPTS)
    })
  })

  it('never proves a program that returns the printed length equal (it is not modelled)', async () => {
    const a = printk('r3 -= r2', '')
    const r = await checkEquivalence(a, a, model, z3(), OPTS)
    expect(r.kind).not.toBe('equal')
  })
})
