/**
 * @fileoverview Equivalence of XDP programs that resize the packet: xdp_adjust_head, _meta and
 * _tail move the bounds the prover compares; grown tails read as zeros, uncovered headroom is
 * an input; every refutation is confirmed by the interpreter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isRoot, printSkip, skipUnlessKernelRuns } from '../support/environment'
import { asm, expectRefuted, useZ3, type Refutation } from './prover-support'
import type { Insn } from '../../src-daemon/core/isa/insn'
import { checkEquivalence } from '../../src-daemon/core/smt/equiv'
import type { EncodeModel } from '../../src-daemon/core/smt/enc-state'
import { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import { ProgType } from '../../src-daemon/engine/kernel/bpf-constants'

const z3 = useZ3()

const model: EncodeModel = { ctx: 'xdp', maxPacket: 64, ctxSize: 0, maps: [] }
const OPTS = { timeoutMs: 60_000 }

/** Moves the data start by `delta`; on success runs `body` with r2 = data, r3 = data_end. */
function afterHead(delta: number, body: string, check = 4): Insn[] {
  return asm(`
    r6 = r1
    r2 = ${delta}
    call 44
    if r0 != 0 goto out
    r2 = *(u32 *)(r6 + 0)
    r3 = *(u32 *)(r6 + 4)
    r4 = r2
    r4 += ${check}
    if r4 > r3 goto out
    ${body}
  out:
    r0 = 2
    exit`)
}

/** Reserves 4 bytes of metadata and stores `store` (r2 = data_meta) there. */
function withMeta(store: string): Insn[] {
  return asm(`
    r6 = r1
    r2 = -4
    call 54
    if r0 != 0 goto out
    r2 = *(u32 *)(r6 + 8)
    r3 = *(u32 *)(r6 + 0)
    r4 = r2
    r4 += 4
    if r4 > r3 goto out
    ${store}
  out:
    r0 = 2
    exit`)
}

/** Reserves 4 bytes of metadata, then moves the data start by `delta`. */
function moveAfterMeta(delta: number): Insn[] {
  return asm(`
    r6 = r1
    r2 = -4
    call 54
    r1 = r6
    r2 = ${delta}
    call 44
    r0 = 2
    exit`)
}

/** Moves the data start by -4 and back by +4. */
const roundTrip = (): Insn[] =>
  asm(`
  r6 = r1
  r2 = -4
  call 44
  r1 = r6
  r2 = 4
  call 44
  r0 = 2
  exit`)

/** Passes the packet unchanged. */
const nothing = (): Insn[] => asm('r0 = 2\nexit')

async function refuted(a: Insn[], b: Insn[]): Promise<Refutation> {
  return expectRefuted(z3(), a, b, model, OPTS)
}

describe('xdp_adjust_head', () => {
  it('proves two halfword stores into grown headroom equal to one word store', async () => {
    const halves = afterHead(-4, '*(u16 *)(r2 + 0) = 513\n*(u16 *)(r2 + 2) = 1027')
    const word = afterHead(-4, 'r5 = 67305985\n*(u32 *)(r2 + 0) = r5')
    const r = await checkEquivalence(halves, word, model, z3(), OPTS)
    expect(r).toEqual({ kind: 'equal' })
  })

  it('refutes a changed byte written into the grown headroom', async () => {
    const a = afterHead(-4, '*(u32 *)(r2 + 0) = 67305985')
    const b = afterHead(-4, '*(u32 *)(r2 + 0) = 67305986')
    await refuted(a, b)
  })

  it('treats uncovered headroom as input: zeroing it is a change the interpreter confirms', async () => {
    const a = afterHead(-4, '')
    const b = afterHead(-4, '*(u32 *)(r2 + 0) = 0')
    const r = await refuted(a, b)
    if (r.kind === 'notEqual') expect(r.input.headroom?.some((x) => x !== 0)).toBe(true)
  })

  it('refutes "grow then shrink is nothing": the shrink fails on short packets', async () => {
    const r = await refuted(roundTrip(), nothing())
    if (r.kind === 'notEqual') {
      const len = r.input.packet?.length ?? 0
      expect(len >= 10 && len < 14).toBe(true)
    }
    const guarded = (move: string): Insn[] =>
      asm(`
        r6 = r1
        r2 = *(u32 *)(r1 + 0)
        r3 = *(u32 *)(r1 + 4)
        r2 += 18
        if r2 > r3 goto out
        ${move}
      out:
        r0 = 2
        exit`)
    const moved = guarded('r1 = r6\nr2 = -4\ncall 44\nr1 = r6\nr2 = 4\ncall 44')
    expect(await checkEquivalence(moved, guarded(''), model, z3(), OPTS)).toEqual({ kind: 'equal' })
  })

  it('gives the kernel result of a move past the reserved headroom (-EINVAL)', async () => {
    const tooFar = asm('r2 = -300\ncall 44\nexit')
    const einval = asm('r0 = -22\nexit')
    expect(await checkEquivalence(tooFar, einval, model, z3(), OPTS)).toEqual({ kind: 'equal' })
    await refuted(asm('r2 = -200\ncall 44\nexit'), einval)
  })
})

describe('xdp_adjust_tail', () => {
  /** Grows the tail by 4; on success runs `body` with r2 = the first new byte. */
  function grown(body: string): Insn[] {
    return asm(`
      r6 = r1
      r2 = 4
      call 65
      if r0 != 0 goto out
      r2 = *(u32 *)(r6 + 4)
      r2 += -4
      r3 = *(u32 *)(r6 + 4)
      r4 = r2
      r4 += 4
      if r4 > r3 goto out
      ${body}
    out:
      r0 = 2
      exit`)
  }

  it('proves that grown bytes are zero: storing zeros there changes nothing', async () => {
    const r = await checkEquivalence(grown(''), grown('*(u32 *)(r2 + 0) = 0'), model, z3(), OPTS)
    expect(r).toEqual({ kind: 'equal' })
  })

  it('refutes a non-zero store into the grown bytes', async () => {
    await refuted(grown(''), grown('*(u8 *)(r2 + 3) = 1'))
  })

  /** Writes `value` to the last packet byte (when there is one), then shrinks the tail by 4. */
  function writeThenShrink(value: number): Insn[] {
    return asm(`
      r6 = r1
      r2 = *(u32 *)(r1 + 0)
      r3 = *(u32 *)(r1 + 4)
      r2 += 1
      if r2 > r3 goto shrink
      *(u8 *)(r3 - 1) = ${value}
    shrink:
      r1 = r6
      r2 = -4
      call 65
      exit`)
  }

  it('ignores writes the shrink cuts off, but not when the shrink fails', async () => {
    const r = await refuted(writeThenShrink(7), writeThenShrink(9))
    // The only inputs where the byte stays visible are those where the shrink is refused.
    if (r.kind === 'notEqual')
      expect(r.resultA.kind === 'exit' && r.resultA.r0).toBe(-22n & ((1n << 64n) - 1n))
  })
  /** Moves the tail by a delta computed from the packet length by `compute` (r3 = length). */
  const computedTail = (compute: string): Insn[] =>
    asm(`
      r6 = r1
      r2 = *(u32 *)(r1 + 0)
      r3 = *(u32 *)(r1 + 4)
      r3 -= r2
      ${compute}
      r1 = r6
      call 65
      r0 = 2
      exit`)

  it('proves two ways of computing a trim to 32 bytes equal', async () => {
    const a = computedTail('r2 = 32\nr2 -= r3')
    const b = computedTail('r2 = r3\nr2 = -r2\nr2 += 32')
    expect(await checkEquivalence(a, b, model, z3(), OPTS)).toEqual({ kind: 'equal' })
    await refuted(a, computedTail('r2 = 33\nr2 -= r3'))
  })

  it('models a computed growth of up to 64 bytes and answers unknown beyond', async () => {
    const small = computedTail('r2 = r3\nr2 &= 63')
    expect(await checkEquivalence(small, small, model, z3(), OPTS)).toEqual({ kind: 'equal' })
    await refuted(small, computedTail('r2 = r3\nr2 &= 31'))
    const large = computedTail('r2 = r3\nr2 += 60')
    expect(await checkEquivalence(large, large, model, z3(), OPTS)).toEqual({
      kind: 'unknown',
      reason: 'unsupported: xdp_adjust_tail may grow the packet by more than 64 bytes'
    })
  })
})

describe('xdp_adjust_meta', () => {
  it('proves metadata byte stores equal to one word store', async () => {
    const bytes = withMeta(
      '*(u8 *)(r2 + 0) = 1\n*(u8 *)(r2 + 1) = 0\n*(u8 *)(r2 + 2) = 0\n*(u8 *)(r2 + 3) = 0'
    )
    const r = await checkEquivalence(bytes, withMeta('*(u32 *)(r2 + 0) = 1'), model, z3(), OPTS)
    expect(r).toEqual({ kind: 'equal' })
  })

  it('refutes different metadata, and metadata that moved with a later head move', async () => {
    await refuted(withMeta('*(u32 *)(r2 + 0) = 1'), withMeta('*(u32 *)(r2 + 0) = 2'))
    // The metadata travels with the data start: the same move is equal, another is not.
    expect(await checkEquivalence(moveAfterMeta(-8), moveAfterMeta(-8), model, z3(), OPTS)).toEqual(
      {
        kind: 'equal'
      }
    )
    await refuted(moveAfterMeta(-8), moveAfterMeta(-12))
  })

  it('moves the metadata bytes with the data start', async () => {
    /**
     * On packets of 14 bytes or more (where both moves succeed): reserves 4 bytes of metadata,
     * runs `first`, moves the head by -8, runs `then`, clears the 8 bytes the move uncovered
     * (the old metadata place is one of them).
     */
    const program = (first: string, then: string): Insn[] =>
      asm(`
        r6 = r1
        r2 = *(u32 *)(r1 + 0)
        r3 = *(u32 *)(r1 + 4)
        r2 += 14
        if r2 > r3 goto out
        r1 = r6
        r2 = -4
        call 54
        if r0 != 0 goto out
        ${first}
        r1 = r6
        r2 = -8
        call 44
        if r0 != 0 goto out
        ${then}
        r2 = *(u32 *)(r6 + 0)
        r3 = *(u32 *)(r6 + 4)
        r4 = r2
        r4 += 8
        if r4 > r3 goto out
        *(u64 *)(r2 + 0) = 0
      out:
        r0 = 2
        exit`)
    const store = `
        r2 = *(u32 *)(r6 + 8)
        r3 = *(u32 *)(r6 + 0)
        r4 = r2
        r4 += 4
        if r4 > r3 goto out
        *(u32 *)(r2 + 0) = 305419896`
    const before = program(store, '')
    const after = program('', store)
    expect(await checkEquivalence(before, after, model, z3(), OPTS)).toEqual({ kind: 'equal' })
    await refuted(before, program('', store.replace('305419896', '305419897')))
  })
})

/** Prepends "packets under 14 bytes pass untouched", so counterexamples fit the kernel's test run. */
function kernelSized(p: Insn[]): Insn[] {
  const guard = asm(`
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r2 += 14
    if r2 <= r3 goto +2
    r0 = 2
    exit`)
  return [...guard, ...p]
}

describe('drivers without metadata support', () => {
  /** Reserves metadata; `onFailure` runs when that fails (r0 holds the error), then exits. */
  const reserveMeta = (onFailure: string): Insn[] =>
    asm(`
      r2 = -4
      call 54
      if r0 == 0 goto ok
      ${onFailure}
      exit
    ok:
      r0 = 2
      exit`)

  it('refutes dropping the error path of xdp_adjust_meta: it fails where metadata is unsupported', async () => {
    const r = await refuted(reserveMeta('r0 = 0'), reserveMeta(''))
    if (r.kind === 'notEqual') {
      expect(r.input.xdpNoMeta).toBe(true)
      expect(r.resultB.kind === 'exit' && r.resultB.r0).toBe(BigInt.asUintN(64, -524n))
    }
  })

  it('reads data_meta as data + 1 there', async () => {
    const metaIsData = asm(`
      r2 = *(u32 *)(r1 + 8)
      r3 = *(u32 *)(r1 + 0)
      r0 = 1
      if r2 == r3 goto +1
      r0 = 2
      exit`)
    const r = await refuted(metaIsData, asm('r0 = 1\nexit'))
    if (r.kind === 'notEqual') expect(r.input.xdpNoMeta).toBe(true)
  })
})

const SUITE = 'kernel runs of packet-resizing counterexamples'

describe('counterexamples in the kernel', () => {
  const oracle = new KernelOracle()
  let unavailable: string | undefined
  beforeAll(async () => {
    const a = isRoot(SUITE) ? await oracle.availability() : undefined
    unavailable = a === undefined ? 'not root' : a.available ? undefined : a.reason
    if (a !== undefined && !a.available) printSkip(SUITE, a.reason)
  })
  afterAll(async () => {
    await oracle.dispose()
  })

  const pairs: [string, () => Insn[], () => Insn[]][] = [
    [
      'a changed store into grown headroom',
      () => afterHead(-4, '*(u32 *)(r2 + 0) = 67305985'),
      () => afterHead(-4, '*(u32 *)(r2 + 0) = 67305986')
    ],
    [
      'a move the kernel allows',
      () => asm('r2 = -200\ncall 44\nexit'),
      () => asm('r0 = -22\nexit')
    ],
    [
      'different metadata',
      () => withMeta('*(u32 *)(r2 + 0) = 1'),
      () => withMeta('*(u32 *)(r2 + 0) = 2')
    ],
    ['different head moves after metadata', () => moveAfterMeta(-8), () => moveAfterMeta(-12)],
    ['a shrunk tail', () => asm('r2 = -4\ncall 65\nr0 = 2\nexit'), nothing],
    ['a grown tail', () => asm('r2 = 4\ncall 65\nr0 = 2\nexit'), nothing]
  ]
  for (const [name, ma, mb] of pairs)
    it(`the kernel confirms the counterexample for ${name}`, async (ctx) => {
      if (unavailable !== undefined) ctx.skip()
      const a = kernelSized(ma())
      const b = kernelSized(mb())
      await skipUnlessKernelRuns(`${SUITE}: ${name}`, a, ProgType.xdp, [], { testRun: true })
      await skipUnlessKernelRuns(`${SUITE}: ${name}`, b, ProgType.xdp, [], { testRun: true })
      const r = await refuted(a, b)
      if (r.kind !== 'notEqual') return
      const data = r.input.packet ?? new Uint8Array(0)
      expect(data.length).toBeGreaterThanOrEqual(14)
      const run = async (p: Insn[]): Promise<string> => {
        const out = await oracle.runOnce(p, [], { progType: ProgType.xdp, data })
        if (!out.ok) throw new Error(out.error.message)
        return `${out.value.run.retval}:${Buffer.from(out.value.run.data ?? []).toString('hex')}`
      }
      expect(await run(a)).not.toBe(await run(b))
    })
})

describe('constructs outside the model on paths no input takes', () => {
  /** Calls skb_vlan_push (not modelled) only for packets longer than `over` bytes. */
  const guardedCall = (over: number): Insn[] =>
    asm(`
      r2 = *(u32 *)(r1 + 0)
      r3 = *(u32 *)(r1 + 4)
      r3 -= r2
      if r3 <= ${over} goto out
      call 18
    out:
      r0 = 2
      exit`)

  it('proves programs equal when no packet reaches the unmodelled helper', async () => {
    // Packets are at most 64 bytes here, so the call is dead and the programs are equal.
    const r = await checkEquivalence(guardedCall(100), nothing(), model, z3(), OPTS)
    expect(r).toEqual({ kind: 'equal' })
  })

  it('answers unknown, naming the instruction, when some packet reaches it', async () => {
    const r = await checkEquivalence(guardedCall(40), nothing(), model, z3(), OPTS)
    expect(r).toEqual({
      kind: 'unknown',
      reason: 'unsupported: slot 4 (call 18): helper 18 is not modelled by the prover'
    })
  })
})
